"""The bank hand-off as one record: what was forwarded when, the bank's reference, decision, date and approved
amounts per year."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import AFTER_CLOSE, World
from tests.review.helpers import applicant, fire, forwarded, in_review, manager, money, prioritised, scored
from workflow.context import Context
from workflow.people.roles import Role

SENT_AT = AFTER_CLOSE + timedelta(days=20)
DECIDED_AT = AFTER_CLOSE + timedelta(days=80)
DOCUMENTS = ["Projektantrag", "Beschluss der Lenkungsgruppe vom 30.06.2026"]


def prioritised_proposal(ctx: Context, world: World, title: str = "MINT-Netzwerk") -> int:
    pid = in_review(ctx, world, title=title)
    scored(ctx, world, pid, 5, 10)
    prioritised(ctx, world, pid)
    return pid


def test_the_record_of_an_approval(ctx: Context, world: World) -> None:
    pid = prioritised_proposal(ctx, world)
    empty = ctx.bank.record(manager(world), pid)
    assert (empty.forwarded_at, empty.documents, empty.decision) == (None, [], None)

    forwarded(ctx, world, pid, now=SENT_AT, documents=DOCUMENTS)
    waiting = ctx.bank.record(world.actor(Role.BANK), pid)
    assert (waiting.forwarded_at, waiting.documents) == (SENT_AT, DOCUMENTS)
    assert (waiting.decision, waiting.decided_at, waiting.bank_reference) == (None, None, None)

    fire(ctx, world.actor(Role.BANK), pid, "approve", now=DECIDED_AT, inputs={
        "bank_reference": "SAB-2026-0815", "decision_date": "2026-08-28", "approved_amounts": {"2026": "40000"}})
    record = ctx.bank.record(applicant(world), pid)
    assert (record.proposal_id, record.forwarded_at, record.documents) == (pid, SENT_AT, DOCUMENTS)
    assert (record.decision, record.decided_at, record.bank_reference, record.decision_date) == (
        "approve", DECIDED_AT, "SAB-2026-0815", "2026-08-28")
    assert [(a.year, a.requested, a.approved) for a in record.amounts] == [(2026, money(45_000), money(40_000))]


def test_the_record_of_a_rejection(ctx: Context, world: World) -> None:
    pid = prioritised_proposal(ctx, world)
    forwarded(ctx, world, pid, now=SENT_AT)
    fire(ctx, manager(world), pid, "reject", now=DECIDED_AT, reason="Nicht förderfähig nach Ziffer 2.1",
         inputs={"bank_reference": "SAB-2026-0816", "decision_date": "2026-09-01"})
    record = ctx.bank.record(manager(world), pid)
    assert (record.forwarded_at, record.documents) == (SENT_AT, [])
    assert (record.decision, record.bank_reference, record.decision_date, record.reason) == (
        "reject", "SAB-2026-0816", "2026-09-01", "Nicht förderfähig nach Ziffer 2.1")
    assert [(a.requested, a.approved) for a in record.amounts] == [(money(45_000), None)]
