"""Second-reading conditions (Auflagen): asked for with request_revision, answered by the applicant, judged by the
steering group, each one's life in the proposal's history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import AFTER_CLOSE, World
from tests.review.helpers import applicant, fire, in_review, kinds, manager, reviewer, scored, state, version
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, GuardFailed, NotFound
from workflow.people.roles import Role

DAY = timedelta(days=1)
FIRST_READING = {
    "conditions": [
        "Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten",
        {"text": "Kofinanzierung der Stadt schriftlich bestätigen", "responsible": "Stadt Leipzig",
         "due": "2026-06-20"},
    ],
    "revision_deadline": "2026-06-25",
    "next_session": "2026-06-30",
}


def revision_requested(ctx: Context, world: World, inputs: dict[str, object] | None = None) -> int:
    """A scored proposal sent back with the first reading's conditions."""
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    fire(ctx, manager(world), pid, "request_revision", inputs=dict(inputs or FIRST_READING))
    return pid


def answer(ctx: Context, world: World, pid: int, condition_id: int, text: str = "Erledigt", *,
           evidence: list[str] | None = None, days: int = 1) -> None:
    ctx.conditions.answer(applicant(world), pid, condition_id, {"text": text, "evidence": evidence or []},
                          now=AFTER_CLOSE + days * DAY)


def judge(ctx: Context, world: World, pid: int, condition_id: int, *, met: bool, note: str = "",
          days: int = 20) -> None:
    ctx.conditions.judge(manager(world), pid, condition_id, {"met": met, "note": note}, now=AFTER_CLOSE + days * DAY)


def refused(ctx: Context, world: World, pid: int, actor_role: Role, step: str) -> dict[str, str]:
    with pytest.raises(GuardFailed) as refusal:
        fire(ctx, world.actor(actor_role), pid, step, now=AFTER_CLOSE + 21 * DAY)
    return {f.rule: f.why for f in refusal.value.failures}


def test_request_revision_creates_one_row_per_condition(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    assert (first.position, first.text, first.responsible) == (
        1, "Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten", "applicant")
    assert first.due_on == date(2026, 6, 25)  # no due date of its own: the revision deadline
    assert (second.position, second.responsible, second.due_on) == (2, "Stadt Leipzig", date(2026, 6, 20))
    assert all(c.status == "open" and c.current and c.answer is None for c in (first, second))
    # Both belong to the reading started by that step: its place in the history.
    [step] = [h for h in ctx.proposals.history(manager(world), pid) if h.transition == "request_revision"]
    assert first.reading_seq == second.reading_seq == step.seq
    # The applicant sees the conditions they must meet.
    assert [c.id for c in ctx.conditions.conditions(applicant(world), pid)] == [first.id, second.id]


def test_resubmit_is_refused_until_every_condition_is_answered(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    assert refused(ctx, world, pid, Role.APPLICANT, "resubmit") == {
        "conditions_answered": "condition(s) 1, 2 of the second reading are not answered yet"}
    answer(ctx, world, pid, first.id, "Kooperationsvereinbarung mit der HTWK geschlossen",
           evidence=["Kooperationsvereinbarung mit der HTWK vom 08.06.2016"])
    assert refused(ctx, world, pid, Role.APPLICANT, "resubmit") == {
        "conditions_answered": "condition(s) 2 of the second reading are not answered yet"}
    answer(ctx, world, pid, second.id, "Bestätigung der Stadt liegt bei", evidence=["Schreiben der Stadt Leipzig"])
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    assert state(ctx, pid) == "second_reading"
    answered = ctx.conditions.conditions(manager(world), pid)[0]
    assert (answered.status, answered.answer, answered.evidence) == (
        "answered", "Kooperationsvereinbarung mit der HTWK geschlossen",
        ["Kooperationsvereinbarung mit der HTWK vom 08.06.2016"])
    assert answered.answered_at == AFTER_CLOSE + DAY


def test_only_the_applicant_answers_and_only_while_revising(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    for someone in (manager(world), reviewer(world), world.actor(Role.ADMIN)):
        with pytest.raises(Forbidden, match="the applicant answers"):
            ctx.conditions.answer(someone, pid, first.id, {"text": "Für den Antragsteller"}, now=AFTER_CLOSE)
    with pytest.raises(NotFound):
        ctx.conditions.answer(world.other_applicant, pid, first.id, {"text": "Fremd"}, now=AFTER_CLOSE)
    answer(ctx, world, pid, first.id)
    answer(ctx, world, pid, second.id)
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    with pytest.raises(Conflict, match="while the proposal is being revised; it is in 'second_reading'"):
        answer(ctx, world, pid, first.id, "Nachgereicht", days=3)
    assert ctx.conditions.conditions(manager(world), pid)[0].answer == "Erledigt"


def test_the_manager_judges_in_the_second_reading(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    answer(ctx, world, pid, first.id)
    with pytest.raises(Conflict, match="judged in the second reading"):
        judge(ctx, world, pid, first.id, met=True)  # still being revised
    answer(ctx, world, pid, second.id)
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    for someone in (reviewer(world), applicant(world)):
        with pytest.raises(Forbidden, match="may not judge conditions"):
            ctx.conditions.judge(someone, pid, first.id, {"met": True}, now=AFTER_CLOSE + 20 * DAY)
    with pytest.raises(NotFound):
        ctx.conditions.judge(world.other_manager, pid, first.id, {"met": True}, now=AFTER_CLOSE + 20 * DAY)
    judge(ctx, world, pid, first.id, met=True, note="Vereinbarung liegt vor")
    judged = ctx.conditions.conditions(manager(world), pid)[0]
    assert (judged.status, judged.judgement_note, judged.judged_at) == (
        "met", "Vereinbarung liegt vor", AFTER_CLOSE + 20 * DAY)


def test_prioritise_waits_for_every_condition_to_be_judged_met(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    answer(ctx, world, pid, first.id)
    answer(ctx, world, pid, second.id)
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    assert refused(ctx, world, pid, Role.MANAGER, "prioritise") == {
        "conditions_met": "condition(s) 1, 2 of the second reading are not judged yet"}
    judge(ctx, world, pid, first.id, met=True)
    judge(ctx, world, pid, second.id, met=False, note="Keine Bestätigung der Stadt")
    assert refused(ctx, world, pid, Role.MANAGER, "prioritise") == {
        "conditions_met": "condition(s) 2 of the second reading were judged not met"}
    assert state(ctx, pid) == "second_reading"


def test_a_new_second_reading_brings_the_conditions_that_count(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    answer(ctx, world, pid, first.id)
    answer(ctx, world, pid, second.id)
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    judge(ctx, world, pid, first.id, met=True)
    judge(ctx, world, pid, second.id, met=False)

    # The group asks once more, from the second reading, with one new condition.
    fire(ctx, manager(world), pid, "request_revision", now=AFTER_CLOSE + 21 * DAY, inputs={
        "conditions": ["Bestätigung der Stadt im Original vorlegen"], "revision_deadline": "2026-07-20",
        "next_session": "2026-07-28"})
    views = ctx.conditions.conditions(manager(world), pid)
    assert [(c.position, c.status, c.current) for c in views] == [
        (1, "met", False), (2, "not_met", False), (1, "open", True)]
    new = views[2]
    assert new.reading_seq > first.reading_seq and new.due_on == date(2026, 7, 20)
    with pytest.raises(Conflict, match="belongs to an earlier second reading"):
        answer(ctx, world, pid, second.id, "Doch noch", days=22)
    assert refused(ctx, world, pid, Role.APPLICANT, "resubmit") == {
        "conditions_answered": "condition(s) 1 of the second reading are not answered yet"}
    answer(ctx, world, pid, new.id, "Original liegt bei", days=23)
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 24 * DAY)
    judge(ctx, world, pid, new.id, met=True, days=30)
    # The earlier reading's unmet condition was decided in its time; the current reading is all met.
    fire(ctx, manager(world), pid, "prioritise", now=AFTER_CLOSE + 30 * DAY)
    assert state(ctx, pid) == "prioritised"


def test_the_history_shows_each_conditions_life(ctx: Context, world: World) -> None:
    pid = revision_requested(ctx, world)
    first, second = ctx.conditions.conditions(manager(world), pid)
    answer(ctx, world, pid, first.id, "Vereinbarung geschlossen", evidence=["Vereinbarung vom 08.06.2016"])
    answer(ctx, world, pid, second.id, "Bestätigung liegt bei")
    fire(ctx, applicant(world), pid, "resubmit", now=AFTER_CLOSE + 2 * DAY)
    judge(ctx, world, pid, first.id, met=True, note="ausreichend")
    judge(ctx, world, pid, second.id, met=False, note="nur mündlich")
    events = kinds(ctx, pid, "condition")
    assert [(e.actor_role, e.inputs["condition_id"], e.inputs["action"], e.inputs.get("status")) for e in events] == [
        ("applicant", first.id, "answered", None),
        ("applicant", second.id, "answered", None),
        ("manager", first.id, "judged", "met"),
        ("manager", second.id, "judged", "not_met"),
    ]
    assert events[0].inputs["text"] == "Vereinbarung geschlossen"
    assert events[0].inputs["evidence"] == ["Vereinbarung vom 08.06.2016"]
    assert events[3].inputs["note"] == "nur mündlich"
    # Each answer and judgement is a write of the proposal: the history stays one ordered list (the manager's
    # from the submission on, the proposal's second event).
    history = ctx.proposals.history(manager(world), pid)
    assert [h.seq for h in history] == list(range(2, version(ctx, pid) + 1))
    assert [h.kind for h in history if h.kind != "scored"][-5:] == [
        "condition", "condition", "transition", "condition", "condition"]
