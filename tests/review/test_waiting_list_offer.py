"""When money is freed (a bank rejection, a withdrawal), the next proposal on the waiting list that the freed
money covers is offered to the alliance's managers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlmodel import Session

from tests.factories import AFTER_CLOSE, World, make_world
from tests.review.helpers import (
    applicant,
    fire,
    forwarded,
    in_review,
    manager,
    money,
    prioritised_in_earlier_round,
    reviewer,
    scored,
    second_manager,
    state,
    use_scheme,
)
from workflow.context import Context
from workflow.notify.store import OUTBOX
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

REJECTED_AT = AFTER_CLOSE + timedelta(days=80)


def offers(ctx: Context) -> list[Row[Any]]:
    with ctx.db.read() as session:
        return list(session.execute(sa.select(OUTBOX).where(OUTBOX.c.topic == "waiting_list")
                                    .order_by(OUTBOX.c.id)).all())


@pytest.fixture
def round_with_waiting_list(ctx: Context) -> tuple[World, dict[str, int]]:
    """100,000 EUR; two proposals of 45,000 prioritised; on the waiting list first one of 63,000, then one of
    45,000."""
    world = make_world(ctx, budget_eur=100_000)
    use_scheme(ctx, world)
    ids = {
        "first": in_review(ctx, world, title="Erster", total_eur=50_000),
        "second": in_review(ctx, world, title="Zweiter", total_eur=50_000),
        "big": in_review(ctx, world, title="Großes Vorhaben", total_eur=70_000),
        "next": in_review(ctx, world, title="Nachrücker", total_eur=50_000),
    }
    for pid in ids.values():
        scored(ctx, world, pid, 4, 8)
    ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-06-30", "prioritised": [ids["first"], ids["second"]],
        "waiting_list": [ids["big"], ids["next"]]}, now=AFTER_CLOSE)
    return world, ids


def test_a_bank_rejection_offers_the_next_waiting_proposal_that_fits(
        ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    world, ids = round_with_waiting_list
    deputy = second_manager(ctx, world)
    calls: list[tuple[Row[Any], datetime]] = []
    offer = ctx.proposals.freed_money

    class Recording:
        def offer(self, session: Session, row: Row[Any], now: datetime) -> None:
            calls.append((row, now))
            offer.offer(session, row, now)

    monkeypatch.setattr(ctx.proposals, "freed_money", Recording())
    forwarded(ctx, world, ids["first"])
    ranking = ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE)
    assert (ranking.line.free, ranking.offer) == (money(10_000), None)

    fire(ctx, world.actor(Role.BANK), ids["first"], "reject", now=REJECTED_AT, reason="nicht förderfähig",
         inputs={"bank_reference": "SAB-2026-0815"})
    ranking = ctx.priorisation.ranking(manager(world), world.round_id, now=REJECTED_AT)
    # 55,000 EUR are free: the large proposal (63,000) still does not fit, the next one (45,000) does.
    assert ranking.line.free == money(55_000)
    assert ranking.offer == ids["next"]

    for person in (manager(world), deputy):
        [note] = ctx.outbox.inbox(person)
        assert (note.topic, note.kind, note.proposal_id, note.channel) == ("waiting_list", "offer", ids["next"],
                                                                          "inapp")
        assert "Nachrücker" in note.subject and "55.000,00 EUR" in note.body
        assert note.created_at == REJECTED_AT
    assert ctx.outbox.inbox(reviewer(world)) == []
    assert ctx.outbox.inbox(world.other_manager) == []
    assert len(offers(ctx)) == 2

    # The same freeing told twice (a retried step, a replayed hook) writes no second message.
    [(row, now)] = calls
    with ctx.db.write() as session:
        offer.offer(session, row, now)
    assert len(offers(ctx)) == 2

    # The manager moves it up with the next version of the resolution.
    ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-09-05", "prioritised": [ids["second"], ids["next"]], "waiting_list": [ids["big"]]},
        now=REJECTED_AT)
    assert state(ctx, ids["next"]) == "prioritised"
    assert ctx.priorisation.ranking(manager(world), world.round_id, now=REJECTED_AT).offer is None


def test_a_withdrawal_frees_money_too(ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]]) -> None:
    world, ids = round_with_waiting_list
    fire(ctx, applicant(world), ids["second"], "withdraw", now=REJECTED_AT, reason="Projekt anderweitig finanziert")
    [note] = ctx.outbox.inbox(manager(world))
    assert (note.topic, note.proposal_id) == ("waiting_list", ids["next"])


def test_nothing_is_offered_when_the_freed_money_covers_no_waiting_proposal(
        ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]]) -> None:
    world, ids = round_with_waiting_list
    fire(ctx, manager(world), ids["next"], "decline", reason="Verzichtet")  # the one that would fit leaves the list
    forwarded(ctx, world, ids["first"])
    fire(ctx, world.actor(Role.BANK), ids["first"], "reject", now=REJECTED_AT, reason="nicht förderfähig",
         inputs={"bank_reference": "SAB-2026-0815"})
    assert ctx.priorisation.ranking(manager(world), world.round_id, now=REJECTED_AT).offer is None
    assert offers(ctx) == []


@pytest.mark.parametrize("approved_amounts", [None, {"2026": "45000.00"}])
def test_an_approval_as_requested_tells_no_one_that_funds_were_freed(
        ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]],
        approved_amounts: dict[str, str] | None) -> None:
    world, ids = round_with_waiting_list
    ctx.admin.set_budget(manager(world), world.alliance_id, 2026, money(200_000))  # the waiting ones fit already
    forwarded(ctx, world, ids["first"])
    inputs: dict[str, Any] = {"bank_reference": "SAB-2026-0815"}
    if approved_amounts is not None:
        inputs["approved_amounts"] = approved_amounts
    fire(ctx, world.actor(Role.BANK), ids["first"], "approve", now=REJECTED_AT, inputs=inputs)
    assert offers(ctx) == []


def test_an_approval_below_the_request_offers_what_the_difference_covers(
        ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]]) -> None:
    world, ids = round_with_waiting_list
    forwarded(ctx, world, ids["first"])
    fire(ctx, world.actor(Role.BANK), ids["first"], "approve", now=REJECTED_AT, inputs={
        "bank_reference": "SAB-2026-0815", "approved_amounts": {"2026": "9000.00"}})
    # 10,000 EUR were free, 36,000 EUR more now: 46,000 EUR cover the 45,000 EUR proposal.
    [note] = ctx.outbox.inbox(manager(world))
    assert note.proposal_id == ids["next"] and "46.000,00 EUR" in note.body


def test_money_freed_in_one_round_is_offered_to_another_rounds_waiting_list(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=100_000)
    use_scheme(ctx, world)
    earlier = prioritised_in_earlier_round(ctx, world, title="Aus dem Februar", total_eur=70_000)  # 63,000 EUR
    first, waiting = in_review(ctx, world, title="Erster"), in_review(ctx, world, title="Nachrücker")
    for pid in (first, waiting):
        scored(ctx, world, pid, 4, 8)
    ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-06-30", "waiting_list": [first, waiting]}, now=AFTER_CLOSE)
    assert offers(ctx) == []
    fire(ctx, applicant(world), earlier, "withdraw", reason="Anderweitig finanziert")
    [note] = ctx.outbox.inbox(manager(world))
    assert note.proposal_id == first  # the first on this round's waiting list that fits


def test_a_proposal_stays_on_the_waiting_list_until_it_is_decided(
        ctx: Context, round_with_waiting_list: tuple[World, dict[str, int]]) -> None:
    world, ids = round_with_waiting_list
    # A later resolution moves the large one up (after a drawing on the reserve) and does not repeat the list.
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "100000",
                                                 "alliance_ids": [world.alliance_id]})
    ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-07-15", "prioritised": [ids["big"]], "reserve_draws": [
            {"pool_id": pool.id, "year": 2026, "amount": "53000", "reason": "Großes Vorhaben mit Reserve"}]},
        now=AFTER_CLOSE)
    assert state(ctx, ids["next"]) == "waiting_list"
    # Money comes free: the proposal still waiting is offered, though the latest version did not name it again.
    fire(ctx, applicant(world), ids["second"], "withdraw", now=REJECTED_AT, reason="Anderweitig finanziert")
    assert ctx.priorisation.ranking(manager(world), world.round_id, now=REJECTED_AT).offer == ids["next"]
    [note] = ctx.outbox.inbox(manager(world))
    assert note.proposal_id == ids["next"]
