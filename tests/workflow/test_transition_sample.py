"""Every transition of every shipped procedure, through the real service on a real database.

tests/workflow/test_transition_matrix.py checks every (state, transition, role) against the pure functions the
service asks; this file checks that the service asks them and acts on the answer: every allowed triple (each
transition from each of its source states, as each role that may fire it there: a few dozen of the thousands)
moves the proposal to its target with one audit row, and per procedure one refusal of each kind (NotFound,
Forbidden, InvalidTransition) leaves state, version and history as they were. The expected outcome is computed
from the TOML (tests/workflow/transition_cases.py), not from the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import fresh_database_url, make_context
from tests.factories import (
    REASON,
    World,
    make_world,
    moment_for,
    open_round,
    proposal_in,
    sample_inputs,
    satisfy,
)
from tests.workflow.transition_cases import Case, cases, definitions, expected, procedure_ref, states_on_path
from workflow.context import Context
from workflow.errors import Forbidden, InvalidTransition, NotFound
from workflow.people.roles import Role

WorldFor = Callable[[str], tuple[Context, World]]
REFUSALS = (NotFound, Forbidden, InvalidTransition)


def allowed_triples() -> list[Case]:
    """Every allowed triple of every shipped procedure: each transition from each of its source states as each
    role that may fire it there."""
    return [c for c in cases() if isinstance(expected(c), str)]


def refused_sample() -> list[Case]:
    """Per procedure and kind of refusal, a triple in the state farthest from the initial one (a proposal that
    passed the most stages and checks), of the transition defined last among them."""
    sample = []
    for stem in definitions():
        for kind in REFUSALS:
            of_kind = [(len(states_on_path(stem, c.state)), index, c)
                       for index, c in enumerate(cases()) if c.procedure == stem and expected(c) is kind]
            sample.append(max(of_kind, key=lambda found: found[:2])[2])
    return sample


@pytest.fixture(scope="module")
def worlds(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorldFor]:
    """One database and world per process; each shipped procedure gets a round of its own in the world's alliance
    (made when a test first needs it, so that a process running part of this file makes only what it uses)."""
    ctx = make_context(fresh_database_url(migrated_template, tmp_path_factory.mktemp("transitions")))
    base = make_world(ctx)
    default = ctx.procedures.latest(ctx.settings.default_procedure)
    by_procedure: dict[str, World] = {}

    def world_for(stem: str) -> tuple[Context, World]:
        if stem not in by_procedure:
            key, version = procedure_ref(stem)
            by_procedure[stem] = base if (key, version) == (default.key, default.version) else dataclasses.replace(
                base, round_id=open_round(ctx, base.alliance_id, f"Runde {stem}", procedure_key=key,
                                          procedure_version=version))
        return ctx, by_procedure[stem]

    yield world_for
    ctx.close()


@pytest.mark.parametrize("case", allowed_triples(), ids=str)
def test_allowed_step(case: Case, worlds: WorldFor) -> None:
    ctx, world = worlds(case.procedure)
    key, version_of_procedure = procedure_ref(case.procedure)
    definition = ctx.procedures.get(key, version_of_procedure).transitions[case.transition]
    outcome = expected(case)
    actor = world.actor(case.role)
    now = moment_for(definition)
    admin = world.actor(Role.ADMIN)

    proposal_id, version = proposal_in(ctx, world, case.state, title=str(case))
    # What the step's rules wait for (scores, answered or judged conditions) is done first: this checks who may
    # fire what from where; the rules themselves are tested on their own.
    version = satisfy(ctx, world, proposal_id, definition, version, now=now)
    before = ctx.proposals.history(admin, proposal_id)
    result = ctx.proposals.fire(actor, proposal_id, case.transition, expected_version=version, now=now,
                                reason=REASON, inputs=sample_inputs(definition))
    assert (result.from_state, result.to_state, result.version) == (case.state, outcome, version + 1)
    history = ctx.proposals.history(admin, proposal_id)
    assert history[:-1] == before
    last = history[-1]
    assert (last.transition, last.from_state, last.to_state) == (case.transition, case.state, outcome)
    assert (last.actor_role, last.actor_id) == (case.role.value, actor.user_id)
    assert ctx.proposals.get(admin, proposal_id, now=now).state == outcome


@pytest.mark.parametrize("case", refused_sample(), ids=str)
def test_refused_step(case: Case, worlds: WorldFor) -> None:
    ctx, world = worlds(case.procedure)
    key, version_of_procedure = procedure_ref(case.procedure)
    definition = ctx.procedures.get(key, version_of_procedure).transitions[case.transition]
    now = moment_for(definition)
    admin = world.actor(Role.ADMIN)

    refusal = expected(case)
    assert not isinstance(refusal, str)
    proposal_id, version = proposal_in(ctx, world, case.state, title=str(case))
    before = ctx.proposals.history(admin, proposal_id)
    with pytest.raises(refusal):
        ctx.proposals.fire(world.actor(case.role), proposal_id, case.transition, expected_version=version, now=now,
                           reason=REASON, inputs=sample_inputs(definition))
    view = ctx.proposals.get(admin, proposal_id, now=now)
    assert (view.state, view.version) == (case.state, version)
    assert ctx.proposals.history(admin, proposal_id) == before


def test_the_sample_has_every_transition_and_refusal() -> None:
    every = {(stem, t["name"]) for stem, data in definitions().items() for t in data["transitions"]}
    assert {(c.procedure, c.transition) for c in allowed_triples()} == every
    assert all(isinstance(expected(c), str) for c in allowed_triples())
    assert {(c.procedure, expected(c)) for c in refused_sample()} == {
        (stem, kind) for stem in definitions() for kind in REFUSALS}
