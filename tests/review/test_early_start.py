"""A request to start early (vorzeitiger Maßnahmebeginn): asked by the applicant, answered by the bank (or by the
manager on the bank's letter), recorded on the proposal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import AFTER_CLOSE, World
from tests.review.helpers import applicant, draft, fire, forwarded, in_review, kinds, manager, prioritised, scored
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, NotFound
from workflow.people.roles import Role

ASKED_AT = AFTER_CLOSE + timedelta(days=2)
ANSWERED_AT = AFTER_CLOSE + timedelta(days=9)
REQUEST = {"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn am 1. August"}


def test_the_bank_answers_a_request_and_the_record_shows_both(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    scored(ctx, world, pid, 5, 10)
    prioritised(ctx, world, pid)
    forwarded(ctx, world, pid)
    asked = ctx.bank.request_early_start(applicant(world), pid, REQUEST, now=ASKED_AT)
    assert (asked.status, asked.wanted_from, asked.requested_at, asked.answered_at) == (
        "requested", date(2026, 8, 1), ASKED_AT, None)
    answered = ctx.bank.answer_early_start(world.actor(Role.BANK), pid, asked.id,
                                           {"granted": True, "note": "Unschädlich, auf eigenes Risiko"},
                                           now=ANSWERED_AT)
    assert (answered.status, answered.answer_note, answered.answered_at) == (
        "granted", "Unschädlich, auf eigenes Risiko", ANSWERED_AT)
    for reader in (applicant(world), manager(world), world.actor(Role.BANK)):
        [shown] = ctx.bank.record(reader, pid).early_starts
        assert (shown.id, shown.status, shown.reason) == (asked.id, "granted", "Schuljahresbeginn am 1. August")
    events = kinds(ctx, pid, "early_start")
    assert [(e.actor_role, e.inputs["action"]) for e in events] == [("applicant", "requested"), ("bank", "granted")]


def test_one_open_request_at_a_time(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    first = ctx.bank.request_early_start(applicant(world), pid, REQUEST, now=ASKED_AT)
    with pytest.raises(Conflict, match="still unanswered"):
        ctx.bank.request_early_start(applicant(world), pid, {**REQUEST, "wanted_from": "2026-09-01"}, now=ASKED_AT)
    # The bank is not involved yet: the manager records its answer from the letter.
    ctx.bank.answer_early_start(manager(world), pid, first.id, {"granted": False, "note": "Erst nach Bescheid"},
                                now=ANSWERED_AT)
    with pytest.raises(Conflict, match="answered already"):
        ctx.bank.answer_early_start(manager(world), pid, first.id, {"granted": True}, now=ANSWERED_AT)
    second = ctx.bank.request_early_start(applicant(world), pid, {**REQUEST, "wanted_from": "2026-09-01"},
                                          now=ANSWERED_AT)
    assert [(e.id, e.status) for e in ctx.bank.record(manager(world), pid).early_starts] == [
        (first.id, "refused"), (second.id, "requested")]


def test_who_asks_and_who_answers(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    for someone in (manager(world), world.actor(Role.REVIEWER)):
        with pytest.raises(Forbidden, match="the applicant asks"):
            ctx.bank.request_early_start(someone, pid, REQUEST, now=ASKED_AT)
    asked = ctx.bank.request_early_start(applicant(world), pid, REQUEST, now=ASKED_AT)
    for someone in (applicant(world), world.actor(Role.REVIEWER)):
        with pytest.raises(Forbidden, match="the bank answers"):
            ctx.bank.answer_early_start(someone, pid, asked.id, {"granted": True}, now=ANSWERED_AT)
    for outsider in (world.other_manager, world.actor(Role.BANK)):  # the bank sees it once forwarded
        with pytest.raises(NotFound):
            ctx.bank.answer_early_start(outsider, pid, asked.id, {"granted": True}, now=ANSWERED_AT)
    assert ctx.bank.record(manager(world), pid).early_starts[0].status == "requested"


def test_an_early_start_is_asked_for_a_proposal_awaiting_its_decision(ctx: Context, world: World) -> None:
    unsent = draft(ctx, world, title="Noch ein Entwurf")
    with pytest.raises(Conflict, match="submitted proposal"):
        ctx.bank.request_early_start(applicant(world), unsent, REQUEST, now=ASKED_AT)
    declined = in_review(ctx, world, title="Abgelehnt")
    fire(ctx, manager(world), declined, "decline")
    with pytest.raises(Conflict, match="'not_prioritised'"):
        ctx.bank.request_early_start(applicant(world), declined, REQUEST, now=ASKED_AT)
