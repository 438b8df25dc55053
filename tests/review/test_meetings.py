"""Steering-group sessions: an agenda that sets hearing dates, minutes made of the decisions taken in them."""

from __future__ import annotations

from datetime import date, time

import pytest

from tests.factories import AFTER_CLOSE, REASON, World
from tests.review.helpers import fire, in_review, manager, reviewer, scored, state
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.people.roles import Role
from workflow.timeutil import end_of_day, local

SESSION_DAY = date(2026, 6, 23)
HELD_AT = local(SESSION_DAY, time(16, 0))


def steering_session(ctx: Context, world: World, title: str = "Lenkungsgruppe Juni") -> int:
    return ctx.meetings.create(manager(world), world.alliance_id, {"title": title, "held_at": HELD_AT},
                               now=AFTER_CLOSE).id


def test_a_session_is_the_alliances_own(ctx: Context, world: World) -> None:
    view = ctx.meetings.create(manager(world), world.alliance_id, {"title": "Lenkungsgruppe Juni",
                                                                   "held_at": HELD_AT}, now=AFTER_CLOSE)
    assert (view.alliance_id, view.title, view.held_at) == (world.alliance_id, "Lenkungsgruppe Juni", HELD_AT)
    assert [s.id for s in ctx.meetings.list(reviewer(world), world.alliance_id)] == [view.id]
    for outsider in (world.other_manager, world.actor(Role.APPLICANT)):
        with pytest.raises(NotFound):
            ctx.meetings.get(outsider, view.id)
    for not_steward in (reviewer(world), world.other_manager):
        with pytest.raises(Forbidden):
            ctx.meetings.create(not_steward, world.alliance_id, {"title": "Sondersitzung", "held_at": HELD_AT},
                                now=AFTER_CLOSE)


def test_a_hearing_on_the_agenda_sets_the_hearing_date_and_its_deadline(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    session_id = steering_session(ctx, world)
    detail = ctx.meetings.add_to_agenda(manager(world), session_id, {"proposal_id": pid}, now=AFTER_CLOSE)
    assert [(a.position, a.proposal_id, a.purpose, a.state) for a in detail.agenda] == [
        (1, pid, "hearing", "in_review")]
    last = ctx.proposals.history(manager(world), pid)[-1]
    assert (last.transition, last.from_state, last.to_state) == ("schedule_hearing", "in_review", "in_review")
    assert last.inputs == {"next_session": "2026-06-23"}
    [hearing] = [d for d in ctx.proposals.get(manager(world), pid, now=AFTER_CLOSE).deadlines if d.kind == "hearing"]
    assert hearing.due_at == end_of_day(SESSION_DAY)  # the session's day, Europe/Berlin
    # Setting the date is itself a decision of record: it is in the session's minutes.
    assert [(d.proposal_id, d.entry.transition) for d in detail.decisions] == [(pid, "schedule_hearing")]


def test_the_same_proposal_twice_on_one_agenda_is_a_conflict(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    session_id = steering_session(ctx, world)
    ctx.meetings.add_to_agenda(manager(world), session_id, {"proposal_id": pid}, now=AFTER_CLOSE)
    with pytest.raises(Conflict, match="on this session's agenda already"):
        ctx.meetings.add_to_agenda(manager(world), session_id, {"proposal_id": pid, "purpose": "decision"},
                                   now=AFTER_CLOSE)
    assert len(ctx.meetings.get(manager(world), session_id).agenda) == 1


def test_a_decision_taken_in_the_session_is_in_its_minutes(ctx: Context, world: World) -> None:
    declined = in_review(ctx, world, title="Nicht förderfähig")
    chosen = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    elsewhere = in_review(ctx, world, title="Ohne Sitzung")
    scored(ctx, world, chosen, 5, 10)
    session_id = steering_session(ctx, world)
    for pid in (declined, chosen):
        ctx.meetings.add_to_agenda(manager(world), session_id, {"proposal_id": pid, "purpose": "decision"},
                                   now=AFTER_CLOSE)
    assert state(ctx, declined) == "in_review"  # a decision item sets no hearing date
    fire(ctx, manager(world), declined, "decline", reason="Fördergegenstand nicht erfüllt", meeting_id=session_id)
    fire(ctx, manager(world), chosen, "prioritise", meeting_id=session_id)
    fire(ctx, manager(world), elsewhere, "decline", reason=REASON)  # decided outside any session
    minutes = ctx.meetings.get(reviewer(world), session_id).decisions
    assert [(d.proposal_id, d.title, d.entry.transition, d.entry.to_state) for d in minutes] == [
        (declined, "Nicht förderfähig", "decline", "not_prioritised"),
        (chosen, "MINT-Netzwerk Leipzig", "prioritise", "prioritised"),
    ]
    assert minutes[0].entry.reason == "Fördergegenstand nicht erfüllt"


def test_a_session_of_another_alliance_is_refused(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    theirs = ctx.meetings.create(world.other_manager, world.other_alliance_id,
                                 {"title": "Lenkungsgruppe Mittelsachsen", "held_at": HELD_AT}, now=AFTER_CLOSE).id
    with pytest.raises(InvalidInput) as refused:
        fire(ctx, manager(world), pid, "decline", reason=REASON, meeting_id=theirs)
    assert [(p.field, p.problem) for p in refused.value.problems] == [
        ("session_id", f"no session {theirs} of this proposal's alliance")]
    assert state(ctx, pid) == "in_review"
    # Nor can their session hold our proposal, or our manager see it.
    with pytest.raises(NotFound):
        ctx.meetings.add_to_agenda(manager(world), theirs, {"proposal_id": pid}, now=AFTER_CLOSE)
    with pytest.raises(NotFound):
        ctx.meetings.add_to_agenda(world.other_manager, theirs, {"proposal_id": pid}, now=AFTER_CLOSE)
    assert ctx.meetings.get(world.other_manager, theirs).decisions == []


def test_judgements_and_resolutions_name_only_their_own_alliances_sessions(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    fire(ctx, manager(world), pid, "request_revision", inputs={
        "conditions": ["Kooperation mit der HTWK"], "revision_deadline": "2026-06-20", "next_session": "2026-06-23"})
    [condition] = ctx.conditions.conditions(manager(world), pid)
    ctx.conditions.answer(world.actor(Role.APPLICANT), pid, condition.id, {"text": "Vereinbarung geschlossen"},
                          now=AFTER_CLOSE)
    fire(ctx, world.actor(Role.APPLICANT), pid, "resubmit")
    ours = steering_session(ctx, world)
    theirs = ctx.meetings.create(world.other_manager, world.other_alliance_id,
                                 {"title": "Lenkungsgruppe Mittelsachsen", "held_at": HELD_AT}, now=AFTER_CLOSE).id
    with pytest.raises(InvalidInput, match="session_id"):
        ctx.conditions.judge(manager(world), pid, condition.id, {"met": True, "session_id": theirs}, now=HELD_AT)
    with pytest.raises(InvalidInput, match="session_id"):
        ctx.priorisation.resolve(manager(world), world.round_id, {
            "decided_on": "2026-06-23", "session_id": theirs, "prioritised": [pid]}, now=HELD_AT)
    assert state(ctx, pid) == "second_reading"

    judged = ctx.conditions.judge(manager(world), pid, condition.id, {"met": True, "session_id": ours}, now=HELD_AT)
    assert judged.session_id == ours
    resolution = ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-06-23", "session_id": ours, "prioritised": [pid]}, now=HELD_AT)
    minutes = ctx.meetings.get(manager(world), ours)
    assert [(d.entry.kind, d.entry.transition) for d in minutes.decisions] == [
        ("condition", None), ("transition", "prioritise")]
    assert minutes.resolutions == [resolution.id]
