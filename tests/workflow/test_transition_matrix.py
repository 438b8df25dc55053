"""Every (state, transition, role) of every shipped procedure, through the real service on a real database.

The expected outcome is computed from the TOML definition itself (sources, roles, bank stage), not from the engine:
allowed triples move the proposal to the target with one audit row; every other one raises the right domain error
and changes nothing (same state, version and history).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import fresh_database_url, make_context
from tests.factories import (
    REASON,
    World,
    make_world,
    moment_for,
    open_round,
    path_to,
    proposal_in,
    sample_inputs,
    satisfy,
)
from workflow.context import Context
from workflow.errors import Forbidden, InvalidTransition, NotFound
from workflow.people.roles import Role
from workflow.procedure.registry import SHIPPED_DIR, ProcedureRegistry

WorldFor = Callable[[str], tuple[Context, World]]


@dataclass(frozen=True)
class Case:
    procedure: str
    state: str
    transition: str
    role: Role

    def __str__(self) -> str:
        return f"{self.procedure}:{self.state}:{self.transition}:{self.role.value}"


def _definitions() -> dict[str, dict]:
    return {path.stem: tomllib.loads(path.read_text("utf-8")) for path in sorted(SHIPPED_DIR.glob("*.toml"))}


def _cases() -> list[Case]:
    cases = []
    for stem, data in _definitions().items():
        for state in data["states"]:
            for t in data["transitions"]:
                for role in Role:
                    cases.append(Case(stem, state, t["name"], role))
    return cases


def expected(case: Case) -> type[Exception] | str:
    """The target state when the triple is allowed, else the domain error it must raise."""
    data = _definitions()[case.procedure]
    t = next(t for t in data["transitions"] if t["name"] == case.transition)
    if case.role == Role.BANK and not _passed(data, case.state, "bank_stage"):
        return NotFound
    if case.role in (Role.REVIEWER, Role.MANAGER) and not _passed(data, case.state, "alliance_stage"):
        return NotFound
    if case.role.value not in t["roles"]:
        return Forbidden
    if case.state not in t["from"]:
        return InvalidTransition
    return str(t["to"])


def _passed(data: dict, state: str, flag: str) -> bool:
    """On the driver's shortest path to `state`, did the proposal pass a state with `flag` (handed on to someone)?"""
    states = data["states"]
    return any(states[s].get(flag, False) for s in _states_on_path(data, state))


def _states_on_path(data: dict, state: str) -> list[str]:
    # Breadth-first over the raw TOML, mirroring the driver's shortest path.
    initial = data["procedure"]["initial"]
    previous: dict[str, str | None] = {initial: None}
    queue = [initial]
    while queue:
        current = queue.pop(0)
        for t in data["transitions"]:
            if current in t["from"] and t["to"] not in previous:
                previous[t["to"]] = current
                queue.append(t["to"])
    path = [state]
    while (before := previous[path[-1]]) is not None:
        path.append(before)
    return path


@pytest.fixture(scope="module")
def worlds(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorldFor]:
    """One database and world; each shipped procedure gets a round of its own in the world's alliance."""
    ctx = make_context(fresh_database_url(migrated_template, tmp_path_factory.mktemp("matrix")))
    base = make_world(ctx)
    default = ctx.procedures.latest(ctx.settings.default_procedure)
    by_procedure: dict[str, World] = {}

    def world_for(stem: str) -> tuple[Context, World]:
        if stem not in by_procedure:
            header = _definitions()[stem]["procedure"]
            key, version = header["key"], header["version"]
            by_procedure[stem] = base if (key, version) == (default.key, default.version) else dataclasses.replace(
                base, round_id=open_round(ctx, base.alliance_id, f"Runde {stem}", procedure_key=key,
                                          procedure_version=version))
        return ctx, by_procedure[stem]

    yield world_for
    ctx.close()


_parked: dict[tuple[str, str], tuple[int, int]] = {}


def parked_in(ctx: Context, world: World, procedure: str, state: str) -> tuple[int, int]:
    """One proposal per state for all refused triples: a refusal must leave it untouched, which we check."""
    if (procedure, state) not in _parked:
        _parked[procedure, state] = proposal_in(ctx, world, state, title=f"parked in {state}")
    return _parked[procedure, state]


@pytest.mark.parametrize("case", _cases(), ids=str)
def test_triple(case: Case, worlds: WorldFor) -> None:
    ctx, world = worlds(case.procedure)
    data = _definitions()[case.procedure]["procedure"]
    procedure = ctx.procedures.get(data["key"], data["version"])
    definition = procedure.transitions[case.transition]
    outcome = expected(case)
    actor = world.actor(case.role)
    now = moment_for(definition)

    if isinstance(outcome, str):
        proposal_id, version = proposal_in(ctx, world, case.state, title=str(case))
        # What the step's rules wait for (scores, answered or judged conditions) is done first: the matrix checks
        # who may fire what from where; the rules themselves are tested on their own.
        version = satisfy(ctx, world, proposal_id, definition, version, now=now)
        result = ctx.proposals.fire(actor, proposal_id, case.transition, expected_version=version, now=now,
                                    reason=REASON, inputs=sample_inputs(definition))
        assert (result.from_state, result.to_state, result.version) == (case.state, outcome, version + 1)
        history = ctx.proposals.history(world.actor(Role.ADMIN), proposal_id)
        last = history[-1]
        assert (last.transition, last.from_state, last.to_state) == (case.transition, case.state, outcome)
        assert (last.actor_role, last.actor_id) == (case.role.value, actor.user_id)
        assert ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=now).state == outcome
        return

    proposal_id, version = parked_in(ctx, world, case.procedure, case.state)
    admin = world.actor(Role.ADMIN)
    before = ctx.proposals.history(admin, proposal_id)
    with pytest.raises(outcome):
        ctx.proposals.fire(actor, proposal_id, case.transition, expected_version=version, now=now,
                           reason=REASON, inputs=sample_inputs(definition))
    view = ctx.proposals.get(admin, proposal_id, now=now)
    assert (view.state, view.version) == (case.state, version)
    assert ctx.proposals.history(admin, proposal_id) == before


def test_every_state_is_reachable_by_the_driver(procedures: ProcedureRegistry) -> None:
    for procedure in procedures.all():
        for state in procedure.states:
            steps = path_to(procedure, state)
            assert (steps[-1].to if steps else procedure.initial) == state


def test_matrix_size_is_the_full_product() -> None:
    definitions = _definitions()
    assert {"saxony-regional.v1", "lower-saxony-regional.v1"} <= set(definitions)
    for stem, data in definitions.items():
        assert len([c for c in _cases() if c.procedure == stem]) == (
            len(data["states"]) * len(data["transitions"]) * len(Role)), stem
    assert Path(SHIPPED_DIR / "saxony-regional.v1.toml").exists()
