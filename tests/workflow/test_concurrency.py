"""No lost update: two writers from the same version, one wins, the other is told, nothing is lost."""

from __future__ import annotations

from functools import partial

import pytest

from tests.concurrently import at_once
from tests.conftest import make_context
from tests.factories import AFTER_CLOSE, REASON, WHILE_OPEN, make_world, new_draft, proposal_in, satisfy
from workflow.context import Context
from workflow.errors import GuardFailed, StaleVersion
from workflow.people.roles import Role
from workflow.procedure.definition import TransitionDef
from workflow.proposals import store as repo


def transition(ctx: Context, name: str) -> TransitionDef:
    return ctx.procedures.latest(ctx.settings.default_procedure).transitions[name]


def test_second_writer_from_the_same_version_gets_stale_version(ctx: Context) -> None:
    world = make_world(ctx)
    applicant = world.actor(Role.APPLICANT)
    proposal_id = new_draft(ctx, world)
    # Both read version 1; the applicant's edit lands first, then the (older) submit decision arrives.
    ctx.proposals.edit_draft(applicant, proposal_id, {"title": "Geänderter Titel"}, expected_version=1, now=WHILE_OPEN)
    with pytest.raises(StaleVersion) as stale:
        ctx.proposals.fire(applicant, proposal_id, "submit", expected_version=1, now=WHILE_OPEN)
    assert (stale.value.expected, stale.value.current) == (1, 2)
    view = ctx.proposals.get(applicant, proposal_id, now=WHILE_OPEN)
    assert (view.title, view.state, view.version) == ("Geänderter Titel", "draft", 2)
    assert [h.kind for h in ctx.proposals.history(applicant, proposal_id)] == ["created", "edited"]


@pytest.mark.parametrize("writers", [2, 8])
def test_concurrent_sessions_one_wins_the_rest_are_stale(database_url: str, writers: int) -> None:
    setup = make_context(database_url)
    world = make_world(setup)
    proposal_id, version = proposal_in(setup, world, "in_review")
    # The steering group has scored, so that prioritising is allowed and the race is about the version alone.
    version = satisfy(setup, world, proposal_id, transition(setup, "prioritise"), version)
    setup.close()

    # Each thread has its own context (engine, pool, sessions), as separate processes or API workers would.
    contexts = [make_context(database_url) for _ in range(writers)]

    def decide(ctx: Context, transition: str) -> str:
        try:
            ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, transition, expected_version=version,
                               now=AFTER_CLOSE, reason=REASON)
            return f"won:{transition}"
        except StaleVersion:
            return "stale"

    outcomes = at_once([partial(decide, c, "prioritise" if i % 2 else "decline") for i, c in enumerate(contexts)])
    for c in contexts[1:]:
        c.close()

    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == writers and len(winners) == 1 and outcomes.count("stale") == writers - 1
    ctx = contexts[0]
    history = ctx.proposals.history(world.actor(Role.ADMIN), proposal_id)
    view = ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=AFTER_CLOSE)
    ctx.close()
    assert history[-1].transition == winners[0].removeprefix("won:")
    assert [h.seq for h in history] == list(range(1, version + 2))  # exactly one new event, no gap, no double
    assert (view.state, view.version) == (history[-1].to_state, version + 1)


def test_the_versioned_update_refuses_a_write_from_an_older_version(ctx: Context) -> None:
    """The UPDATE itself checks the version, not only the read before it (PostgreSQL reads do not serialise)."""
    world = make_world(ctx)
    proposal_id = new_draft(ctx, world)
    with ctx.db.write() as session:
        assert repo.update_proposal(session, proposal_id, 1, {"title": "Erste Änderung"})
    with ctx.db.write() as session:
        assert not repo.update_proposal(session, proposal_id, 1, {"title": "Verlorene Änderung"})
    view = ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=WHILE_OPEN)
    assert (view.title, view.version) == ("Erste Änderung", 2)


@pytest.mark.parametrize("attempt", range(5))
def test_two_priorisations_at_once_never_spend_more_than_the_budget(database_url: str, attempt: int) -> None:
    """Budget for one grant, two managers prioritise two proposals at the same moment: exactly one fits.

    The priorisation is the step that binds the budget (the grant is earmarked from then on), so it is where two
    decisions can race for the same money."""
    setup = make_context(database_url)
    world = make_world(setup, budget_eur=50_000)  # one grant of 45,000 fits, two do not
    prioritise = transition(setup, "prioritise")
    proposals = []
    for i in range(2):
        proposal_id, version = proposal_in(setup, world, "in_review", title=f"Projekt {i}")
        proposals.append((proposal_id, satisfy(setup, world, proposal_id, prioritise, version)))
    setup.close()

    contexts = [make_context(database_url) for _ in proposals]

    def decide(ctx: Context, proposal_id: int, version: int) -> str:
        try:
            ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, "prioritise", expected_version=version,
                               now=AFTER_CLOSE)
            return "prioritised"
        except GuardFailed as refused:
            return ",".join(f.rule for f in refused.failures)

    outcomes = at_once([partial(decide, c, pid, v) for c, (pid, v) in zip(contexts, proposals, strict=True)])
    for c in contexts:
        c.close()
    assert sorted(outcomes) == ["budget_covers", "prioritised"], attempt
