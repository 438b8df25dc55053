"""The unit of work: a step is taken inside the caller's transaction, and everything it writes (state, version,
deadlines, audit row, outbox rows, the waiting list's offer) commits with that transaction or not at all. What a
step does besides its own rows it does through the effects the service was built with, nothing attached later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlmodel import Session

from tests.factories import REASON, World, make_world, moment_for, procedure_of, proposal_in, sample_inputs
from workflow.context import Context
from workflow.errors import InvalidTransition
from workflow.notify.store import OUTBOX
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.proposals import store as repo
from workflow.proposals.service import ProposalService


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


def written(session: Session, proposal_id: int) -> dict[str, Any]:
    """Everything a step of the proposal writes, as the session sees it."""
    row = repo.proposal(session, proposal_id)
    assert row is not None
    return {
        "proposal": (row.state, row.version, row.binds_budget),
        "audit": [(e.seq, e.kind, e.transition) for e in repo.history(session, proposal_id)],
        "deadlines": sorted(session.execute(sa.select(repo.DEADLINES.c.kind, repo.DEADLINES.c.status).where(
            repo.DEADLINES.c.proposal_id == proposal_id)).all()),
        "outbox": sorted(session.execute(sa.select(OUTBOX.c.key)).scalars()),
    }


def test_a_step_whose_transaction_fails_afterwards_leaves_nothing_behind(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "prioritised")
    forward = procedure_of(ctx, proposal_id).transitions["forward"]
    with ctx.db.read() as session:
        before = written(session, proposal_id)

    seen: dict[str, Any] = {}

    def forward_then_fail() -> None:
        with ctx.db.write() as session:
            step = ctx.proposals.step(session, world.actor(Role.MANAGER), proposal_id, "forward",
                                      expected_version=version, now=moment_for(forward), reason=REASON,
                                      inputs=sample_inputs(forward))
            seen.update(written(session, proposal_id), step=(step.to_state, step.version))
            raise RuntimeError("the caller's next write failed")

    with pytest.raises(RuntimeError, match="the caller's next write failed"):
        forward_then_fail()
    inside = {k: v for k, v in seen.items() if k != "step"}
    # Inside the transaction the step wrote every part of it ...
    assert inside["proposal"][:2] == ("forwarded_to_bank", version + 1) == seen["step"]
    assert inside["audit"][-1] == (version + 1, "transition", "forward")
    assert ("bank_decision", "open") in inside["deadlines"] and inside["deadlines"] != before["deadlines"]
    assert len(inside["outbox"]) > len(before["outbox"])  # the applicant hears of it

    # ... and none of it outlived the caller's failure.
    with ctx.db.read() as session:
        assert written(session, proposal_id) == before

    # The same step taken again commits all of it.
    ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, "forward", expected_version=version,
                       now=moment_for(forward), reason=REASON, inputs=sample_inputs(forward))
    with ctx.db.read() as session:
        assert written(session, proposal_id) == inside


class RecordingNotifier:
    def __init__(self) -> None:
        self.told: list[tuple[int, str, str, str, int]] = []

    def write(self, session: Session, *, proposal: Row[Any], actor: Actor, transition: str, from_state: str,
              to_state: str, version: int, now: datetime) -> int:
        self.told.append((proposal.id, transition, from_state, to_state, version))
        return 0


class RecordingOffer:
    def __init__(self) -> None:
        self.offered: list[tuple[int, str, bool]] = []

    def offer(self, session: Session, row: Row[Any], now: datetime) -> None:
        # `row` is the proposal as it was before the step; the session sees it after.
        after = repo.proposal(session, row.id)
        assert after is not None
        self.offered.append((row.id, row.state, after.binds_budget))


def test_a_step_tells_and_offers_freed_money_through_the_effects_the_service_was_built_with(
        ctx: Context, world: World) -> None:
    notifier, offer = RecordingNotifier(), RecordingOffer()
    service = ProposalService(ctx.db, ctx.procedures, notifier=notifier, freed_money=offer)
    manager, applicant = world.actor(Role.MANAGER), world.actor(Role.APPLICANT)
    prioritised, version = proposal_in(ctx, world, "prioritised")
    forward = procedure_of(ctx, prioritised).transitions["forward"]

    with ctx.db.write() as session:
        service.step(session, manager, prioritised, "forward", expected_version=version, now=moment_for(forward),
                     reason=REASON, inputs=sample_inputs(forward))
    # Told, and nothing offered: the forwarded proposal still binds its money.
    assert notifier.told == [(prioritised, "forward", "prioritised", "forwarded_to_bank", version + 1)]
    assert offer.offered == []

    withdraw = procedure_of(ctx, prioritised).transitions["withdraw"]
    with ctx.db.write() as session:
        service.step(session, applicant, prioritised, "withdraw", expected_version=version + 1,
                     now=moment_for(withdraw), reason=REASON)
    assert notifier.told[-1] == (prioritised, "withdraw", "forwarded_to_bank", "withdrawn", version + 2)
    assert offer.offered == [(prioritised, "forwarded_to_bank", False)]

    # A step refused has no effect at all.
    with pytest.raises(InvalidTransition), ctx.db.write() as session:
        service.step(session, applicant, prioritised, "withdraw", expected_version=version + 2,
                     now=moment_for(withdraw), reason=REASON)
    assert len(notifier.told) == 2 and len(offer.offered) == 1


def test_the_context_builds_the_services_with_the_same_effects(ctx: Context) -> None:
    """The proposal service and the migrations offer freed money the same way; nothing is attached afterwards."""
    assert ctx.migrations.freed_money is ctx.proposals.freed_money
    assert ctx.meetings.proposals is ctx.proposals and ctx.priorisation.proposals is ctx.proposals
