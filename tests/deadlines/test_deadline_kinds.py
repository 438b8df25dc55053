"""Every deadline kind on a frozen clock: reminders at 09:00 Berlin on the right days, to the right people, once;
escalations when overdue; cancellation when the proposal moves on; summer time; catching up; mutes; config.

Each sweep is given its moment; `sweep_fires` also checks that a minute earlier nothing went out and that a
second sweep at the same moment adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from tests.deadlines.helpers import (
    MINUTE,
    NINE,
    REVISION_DAY,
    SESSION_DAY,
    assert_sent,
    audit,
    berlin,
    deadlines,
    draft_of,
    drive,
    firing_label,
    lapsing_procedure,
    nothing_after,
    one_deadline,
    outbox,
    person,
    ready_for,
    request_revision,
    revision_rows,
    state_of,
    step,
    sweep_fires,
    uid,
    wall_clock,
)
from tests.factories import AFTER_CLOSE, ROUND_CLOSES, WHILE_OPEN, World, make_world, new_draft
from workflow.context import Context, build_context
from workflow.errors import GuardFailed
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.settings import Settings
from workflow.timeutil import end_of_day

WEEK = timedelta(weeks=1)


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


@pytest.fixture
def context_with(database_url: str) -> Iterator[Callable[..., Context]]:
    made: list[Context] = []

    def make(**settings: Any) -> Context:
        made.append(build_context(Settings(database_url=database_url, **settings)))
        return made[-1]

    yield make
    for context in made:
        context.close()


# --- submission (the round's deadline) -------------------------------------------------------------------

def test_submission_reminders_go_to_each_draft_of_the_round_at_nine_on_14_7_and_1_days_before(ctx, world):
    colleague = person(ctx, "Dr. Kühn", Role.APPLICANT, organisation_id=world.organisation_id)
    drafts = {new_draft(ctx, world, title="MINT-Netzwerk Leipzig"), new_draft(ctx, world, title="Pflege 2030")}
    # The other organisation has a submitted proposal and no draft: it has nothing left to submit.
    theirs = draft_of(ctx, world.other_applicant, world.round_id, "Logistik-Lotsen", now=WHILE_OPEN)
    step(ctx, world.other_applicant, theirs, "submit", now=WHILE_OPEN)

    for label, day in (("r14d", date(2026, 5, 17)), ("r7d", date(2026, 5, 24)), ("r1d", date(2026, 5, 30))):
        rows = sweep_fires(ctx, berlin(day), topic="submission")
        assert_sent(rows, label=label, kind="reminder", to={uid(world, Role.APPLICANT): 2, colleague.user_id: 2})
        assert {r.proposal_id for r in rows} == drafts
        assert all(r.subject.startswith("Erinnerung: Einreichungstermin am 31.05.2026, 24:00 Uhr") for r in rows)
    # Nobody is told at the deadline itself: the round closes by itself.
    nothing_after(ctx, [ROUND_CLOSES, AFTER_CLOSE], topic="submission")
    assert one_deadline(ctx, round_id=world.round_id, kind="submission").status == "done"


def test_closing_the_round_sends_submitted_proposals_to_review_and_drafts_can_no_longer_be_submitted(ctx, world):
    submitted = drive(ctx, world, "submitted", title="MINT-Netzwerk Leipzig")
    draft = new_draft(ctx, world, title="Pflege 2030")

    assert ctx.sweeper.close_rounds(ROUND_CLOSES - MINUTE).steps == 0
    assert state_of(ctx, submitted) == "submitted"
    report = ctx.sweeper.close_rounds(ROUND_CLOSES)
    assert (report.steps, report.refused_steps) == (1, [])
    assert state_of(ctx, submitted) == "in_review"
    assert state_of(ctx, draft) == "draft"
    last = audit(ctx, submitted)[-1]
    assert (last.transition, last.actor_role, last.actor_id, last.at) == ("open_review", "system", None, ROUND_CLOSES)
    assert "Einreichungstermin abgelaufen (01.06.2026 00:00" in last.reason
    assert ctx.sweeper.close_rounds(ROUND_CLOSES + MINUTE).steps == 0  # nothing twice

    with pytest.raises(GuardFailed, match="closed at"):
        step(ctx, world.actor(Role.APPLICANT), draft, "submit", now=ROUND_CLOSES)


def test_with_auto_transition_off_the_closed_round_leaves_submitted_proposals_alone(context_with):
    ctx = context_with(deadlines={"submission": {"auto_transition": False}})
    world = make_world(ctx)
    submitted = drive(ctx, world, "submitted")
    report = ctx.sweeper.close_rounds(AFTER_CLOSE)
    assert (report.steps, report.refused_steps) == (0, [])
    ctx.sweeper.sweep(AFTER_CLOSE)
    assert state_of(ctx, submitted) == "submitted"


# --- hearing ---------------------------------------------------------------------------------------------

def test_hearing_reminders_reach_the_applicant_and_the_alliances_reviewers(ctx, world):
    proposal = drive(ctx, world, "in_review")
    step(ctx, world.actor(Role.MANAGER), proposal, "schedule_hearing", now=AFTER_CLOSE, next_session="2026-07-02")
    second = person(ctx, "Handwerkskammer zu Leipzig", Role.REVIEWER, alliance_id=world.alliance_id)
    person(ctx, "IHK Chemnitz", Role.REVIEWER, alliance_id=world.other_alliance_id)

    for label, day in (("r7d", date(2026, 6, 25)), ("r1d", date(2026, 7, 1))):
        rows = sweep_fires(ctx, berlin(day), topic="hearing")
        assert_sent(rows, label=label, kind="reminder",
                    to={uid(world, Role.APPLICANT): 1, uid(world, Role.REVIEWER): 1, second.user_id: 1})
    # A hearing has no escalation: when the session day is over, it is done.
    nothing_after(ctx, [end_of_day(date(2026, 7, 2)), end_of_day(date(2026, 8, 2))], topic="hearing")
    assert one_deadline(ctx, proposal_id=proposal, kind="hearing").status == "done"


def test_a_new_hearing_date_replaces_the_old_one(ctx, world):
    proposal = drive(ctx, world, "in_review")
    manager = world.actor(Role.MANAGER)
    step(ctx, manager, proposal, "schedule_hearing", now=AFTER_CLOSE, next_session="2026-07-02")
    step(ctx, manager, proposal, "schedule_hearing", now=AFTER_CLOSE + MINUTE, next_session="2026-07-09")

    rows = deadlines(ctx, proposal_id=proposal, kind="hearing")
    assert [(r.status, r.due_at) for r in rows] == [("cancelled", end_of_day(date(2026, 7, 2))),
                                                    ("open", end_of_day(date(2026, 7, 9)))]
    nothing_after(ctx, [berlin(date(2026, 6, 25)), berlin(date(2026, 7, 1))], topic="hearing")
    rows = sweep_fires(ctx, berlin(date(2026, 7, 2)), topic="hearing")
    assert {firing_label(r) for r in rows} == {"r7d"} and all("09.07.2026" in r.subject for r in rows)


def test_a_requested_revision_sets_the_hearing_too_and_it_outlives_the_resubmission(ctx, world):
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    opened = {(r.kind, r.due_at) for r in deadlines(ctx, proposal_id=proposal, status="open")}
    assert opened == {("revision", end_of_day(REVISION_DAY)), ("hearing", end_of_day(SESSION_DAY))}

    ready_for(ctx, world, proposal, "resubmit", now=berlin(date(2026, 7, 9)))  # the condition answered
    step(ctx, world.actor(Role.APPLICANT), proposal, "resubmit", now=berlin(date(2026, 7, 10)))
    revision = one_deadline(ctx, proposal_id=proposal, kind="revision")
    assert (revision.status, revision.closed_at) == ("cancelled", berlin(date(2026, 7, 10)))
    rows = sweep_fires(ctx, berlin(date(2026, 7, 16)), topic="hearing")
    assert_sent(rows, label="r7d", kind="reminder", to={uid(world, Role.APPLICANT): 1, uid(world, Role.REVIEWER): 1})
    assert outbox(ctx, topic="revision") == []  # its 2-day reminder and its escalation never came


def test_deciding_before_the_session_cancels_the_hearing(ctx, world):
    proposal = drive(ctx, world, "in_review")
    step(ctx, world.actor(Role.MANAGER), proposal, "schedule_hearing", now=AFTER_CLOSE, next_session="2026-07-02")
    assert sweep_fires(ctx, berlin(date(2026, 6, 25)), topic="hearing")
    ready_for(ctx, world, proposal, "prioritise", now=berlin(date(2026, 6, 26)))  # the members scored
    step(ctx, world.actor(Role.MANAGER), proposal, "prioritise", now=berlin(date(2026, 6, 26)))
    assert one_deadline(ctx, proposal_id=proposal, kind="hearing").status == "cancelled"
    nothing_after(ctx, [berlin(date(2026, 7, 1)), end_of_day(date(2026, 7, 2))], topic="hearing")


# --- revision --------------------------------------------------------------------------------------------

def test_revision_reminders_reach_applicants_in_their_language_and_the_overdue_revision_its_managers(ctx, world):
    english = person(ctx, "Dr. Smith", Role.APPLICANT, organisation_id=world.organisation_id, language="en")
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    assert one_deadline(ctx, proposal_id=proposal, kind="revision").due_at == datetime(2026, 7, 15, 22, tzinfo=UTC)

    for label, day in (("r7d", date(2026, 7, 8)), ("r2d", date(2026, 7, 13))):
        rows = sweep_fires(ctx, berlin(day), topic="revision")
        assert_sent(rows, label=label, kind="reminder", to={uid(world, Role.APPLICANT): 1, english.user_id: 1})
        subject = {r.user_id: r.subject for r in rows}
        assert subject[uid(world, Role.APPLICANT)] == ("Erinnerung: Frist für den überarbeiteten Antrag am "
                                                       "15.07.2026, 24:00 Uhr – MINT-Netzwerk Leipzig")
        assert subject[english.user_id] == ("Reminder: Deadline for the revised proposal on 15.07.2026, "
                                            "24:00 (Berlin time) – MINT-Netzwerk Leipzig")
        assert {r.proposal_id for r in rows} == {proposal}
    # Dr. Smith also heard of the steps that led here; these are the reminders.
    inbox = [n for n in ctx.outbox.inbox(english) if n.kind == "reminder"]
    assert [n.subject[:12] for n in inbox] == ["Reminder: De"] * 2 and "What to do: Resubmit" in inbox[0].body

    overdue = sweep_fires(ctx, end_of_day(REVISION_DAY), topic="revision")
    assert_sent(overdue, label="due", kind="escalation", to={uid(world, Role.MANAGER): 1})
    assert overdue[0].subject.startswith("Frist überschritten: Frist für den überarbeiteten Antrag (15.07.2026")
    nothing_after(ctx, [end_of_day(REVISION_DAY) + WEEK, end_of_day(REVISION_DAY) + 8 * WEEK], topic="revision")
    assert one_deadline(ctx, proposal_id=proposal, kind="revision").status == "open"  # overdue, not met


def test_reminders_whose_day_passed_before_the_revision_was_requested_are_not_owed(ctx, world):
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal, now=berlin(date(2026, 7, 10)))  # the 7-day reminder was due on the 8th
    rows = sweep_fires(ctx, berlin(date(2026, 7, 13)), topic="revision")
    assert {firing_label(r) for r in outbox(ctx, topic="revision")} == {"r2d"}
    assert {r.status for r in rows} == {"sent"}


# --- bank decision ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_an_open_bank_decision_is_escalated_to_managers_weekly_until_the_bank_decides(ctx, world, decision):
    proposal = drive(ctx, world, "forwarded_to_bank")  # forwarded at AFTER_CLOSE
    due = AFTER_CLOSE + 8 * WEEK  # eight weeks since version 2 (six in version 1)
    assert one_deadline(ctx, proposal_id=proposal, kind="bank_decision").due_at == due

    for label, at in (("due", due), ("o1", due + WEEK), ("o2", due + 2 * WEEK)):
        rows = sweep_fires(ctx, at, topic="bank_decision")
        assert_sent(rows, label=label, kind="escalation", to={uid(world, Role.MANAGER): 1})
    step(ctx, world.actor(Role.BANK), proposal, decision, now=due + 2 * WEEK + timedelta(days=1),
         bank_reference="SAB-2026-0815")
    assert one_deadline(ctx, proposal_id=proposal, kind="bank_decision").status == "cancelled"
    nothing_after(ctx, [due + 3 * WEEK, due + 10 * WEEK], topic="bank_decision")


# --- tranche application and proof of use ----------------------------------------------------------------

def test_each_later_plan_year_has_a_tranche_deadline_reminded_4_and_1_weeks_before(ctx, world):
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2028, 10_000_000_00)
    proposal = drive(ctx, world, "approved", years=(2026, 2027, 2028))
    step(ctx, world.actor(Role.APPLICANT), proposal, "start_implementation", now=AFTER_CLOSE + WEEK,
         start_date="2026-07-01")
    rows = deadlines(ctx, proposal_id=proposal, kind="tranche_application")
    # 3 months before 2027 and 2028 begin: when 30 September ends (22:00 UTC in summer time).
    assert [(r.due_at, r.status) for r in rows] == [(datetime(2026, 9, 30, 22, tzinfo=UTC), "open"),
                                                    (datetime(2027, 9, 30, 22, tzinfo=UTC), "open")]
    first, second = rows
    for label, day in (("r4w", date(2026, 9, 2)), ("r1w", date(2026, 9, 23))):
        sent = sweep_fires(ctx, berlin(day), topic="tranche_application")
        assert_sent(sent, label=label, kind="reminder", to={uid(world, Role.APPLICANT): 1})
        assert {r.deadline_id for r in sent} == {first.id}
    overdue = sweep_fires(ctx, first.due_at, topic="tranche_application")
    assert_sent(overdue, label="due", kind="escalation", to={uid(world, Role.MANAGER): 1})

    sent = sweep_fires(ctx, berlin(date(2027, 9, 2)), topic="tranche_application")
    assert {(r.deadline_id, firing_label(r)) for r in sent} == {(second.id, "r4w")}


def test_proof_of_use_is_reminded_4_and_1_weeks_before_six_months_after_the_plan_and_then_escalated(ctx, world):
    proposal = drive(ctx, world, "in_implementation", years=(2026,))
    row = one_deadline(ctx, proposal_id=proposal, kind="proof_of_use")
    assert row.due_at == end_of_day(date(2027, 6, 30))
    for label, day in (("r4w", date(2027, 6, 2)), ("r1w", date(2027, 6, 23))):
        rows = sweep_fires(ctx, berlin(day), topic="proof_of_use")
        assert_sent(rows, label=label, kind="reminder", to={uid(world, Role.APPLICANT): 1})
    rows = sweep_fires(ctx, row.due_at, topic="proof_of_use")
    assert_sent(rows, label="due", kind="escalation", to={uid(world, Role.MANAGER): 1})


def test_submitting_the_proof_of_use_ends_its_own_and_the_tranche_deadlines(ctx, world):
    proposal = drive(ctx, world, "in_implementation", years=(2026, 2027))
    step(ctx, world.actor(Role.APPLICANT), proposal, "submit_proof_of_use", now=berlin(date(2026, 8, 3)),
         document="Verwendungsnachweis.pdf")
    rows = deadlines(ctx, proposal_id=proposal)
    assert {(r.kind, r.status) for r in rows} == {("bank_decision", "cancelled"), ("tranche_application", "cancelled"),
                                                  ("proof_of_use", "cancelled")}
    nothing_after(ctx, [berlin(date(2026, 9, 2)), end_of_day(date(2026, 9, 30)), end_of_day(date(2028, 6, 30))])


def test_a_returned_proof_of_use_does_not_escalate_tranche_applications_of_years_gone_by(ctx):
    # Version 1 hands a returned proof of use back to implementation (version 2 asks for a revision instead).
    world = make_world(ctx, procedure_version=1)
    proposal = drive(ctx, world, "in_implementation", years=(2026, 2027))
    ctx.sweeper.sweep(end_of_day(date(2026, 9, 30)))
    assert len(outbox(ctx, topic="tranche_application", kind="escalation")) == 1
    step(ctx, world.actor(Role.APPLICANT), proposal, "submit_proof_of_use", now=berlin(date(2028, 3, 1)),
         document="Verwendungsnachweis.pdf")
    step(ctx, world.actor(Role.BANK), proposal, "return_proof_of_use", now=berlin(date(2028, 3, 10)))
    ctx.sweeper.sweep(berlin(date(2028, 3, 10), time(12)))
    assert len(outbox(ctx, topic="tranche_application", kind="escalation")) == 1


# --- the alliance's action concept -----------------------------------------------------------------------

def test_the_action_concept_reminds_managers_3_and_1_months_before_and_escalates_to_admins(ctx, world):
    second_admin = person(ctx, "Rechenzentrum", Role.ADMIN)
    ctx.admin.renew_action_concept(world.actor(Role.MANAGER), world.alliance_id, date(2026, 5, 12),
                                   now=berlin(date(2026, 5, 13)))
    row = one_deadline(ctx, alliance_id=world.alliance_id, kind="action_concept")
    assert row.due_at == end_of_day(date(2028, 5, 12))
    for label, at in (("r3m", datetime(2028, 2, 12, 8, tzinfo=UTC)), ("r1m", datetime(2028, 4, 12, 7, tzinfo=UTC))):
        assert wall_clock(at).time() == NINE
        rows = sweep_fires(ctx, at, topic="action_concept")
        assert_sent(rows, label=label, kind="reminder", to={uid(world, Role.MANAGER): 1})
        assert all(r.proposal_id is None and "Fachkräfteallianz Leipzig" in r.subject for r in rows)
    rows = sweep_fires(ctx, row.due_at, topic="action_concept")
    assert_sent(rows, label="due", kind="escalation", to={uid(world, Role.ADMIN): 1, second_admin.user_id: 1})


def test_renewing_the_action_concept_starts_its_two_years_again(ctx, world):
    alliance = ctx.admin.create_alliance(SYSTEM, "Fachkräfteallianz Erzgebirge", now=berlin(date(2026, 5, 13)),
                                         action_concept_adopted_on=date(2026, 5, 12))
    assert alliance.id is not None
    manager = person(ctx, "Landratsamt Erzgebirgskreis", Role.MANAGER, alliance_id=alliance.id)
    assert_sent(sweep_fires(ctx, berlin(date(2028, 2, 12)), topic="action_concept"), label="r3m", kind="reminder",
                to={manager.user_id: 1})

    ctx.admin.renew_action_concept(manager, alliance.id, date(2028, 3, 1), now=berlin(date(2028, 3, 2)))
    rows = deadlines(ctx, alliance_id=alliance.id, kind="action_concept")
    assert [(r.status, r.due_at) for r in rows] == [("cancelled", end_of_day(date(2028, 5, 12))),
                                                    ("open", end_of_day(date(2030, 3, 1)))]
    nothing_after(ctx, [berlin(date(2028, 4, 12)), end_of_day(date(2028, 5, 12))], topic="action_concept")
    assert_sent(sweep_fires(ctx, berlin(date(2029, 12, 1)), topic="action_concept"), label="r3m", kind="reminder",
                to={manager.user_id: 1})


# --- summer time -----------------------------------------------------------------------------------------

def test_reminders_stay_at_nine_in_leipzig_across_the_start_of_summer_time(ctx, world):
    # Summer time starts on 29 March 2026: a revision due on 2 April is reminded on 26 March in winter time
    # (09:00 CET = 08:00 UTC) and on 31 March in summer time (09:00 CEST = 07:00 UTC).
    opens = berlin(date(2026, 1, 5), time(0))
    spring = ctx.admin.create_round(SYSTEM, world.alliance_id, "Einreichungstermin 28. Februar", opens_at=opens,
                                    closes_at=end_of_day(date(2026, 2, 28)), now=opens)
    assert spring.id is not None
    proposal = draft_of(ctx, world.actor(Role.APPLICANT), spring.id, "Berufsorientierung", now=berlin(date(2026, 2, 2)))
    step(ctx, world.actor(Role.APPLICANT), proposal, "submit", now=berlin(date(2026, 2, 2)))
    step(ctx, world.actor(Role.MANAGER), proposal, "open_review", now=berlin(date(2026, 3, 2)))
    request_revision(ctx, world, proposal, deadline=date(2026, 4, 2), session=date(2026, 4, 16),
                     now=berlin(date(2026, 3, 2)))
    row = one_deadline(ctx, proposal_id=proposal, kind="revision")
    assert row.due_at == datetime(2026, 4, 2, 22, tzinfo=UTC)  # midnight CEST
    assert row.next_fire_at == datetime(2026, 3, 26, 8, tzinfo=UTC)

    for label, at in (("r7d", datetime(2026, 3, 26, 8, tzinfo=UTC)), ("r2d", datetime(2026, 3, 31, 7, tzinfo=UTC))):
        assert wall_clock(at).time() == NINE
        assert_sent(sweep_fires(ctx, at, topic="revision"), label=label, kind="reminder",
                    to={uid(world, Role.APPLICANT): 1})
    assert one_deadline(ctx, id=row.id).next_fire_at == datetime(2026, 4, 2, 22, tzinfo=UTC)
    assert_sent(sweep_fires(ctx, row.due_at, topic="revision"), label="due", kind="escalation",
                to={uid(world, Role.MANAGER): 1})


def test_reminders_stay_at_nine_in_leipzig_across_the_end_of_summer_time(ctx, world):
    # Summer time ends on 25 October 2026: 22 October 09:00 CEST = 07:00 UTC, 27 October 09:00 CET = 08:00 UTC.
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal, deadline=date(2026, 10, 29), session=date(2026, 11, 5))
    row = one_deadline(ctx, proposal_id=proposal, kind="revision")
    assert row.due_at == datetime(2026, 10, 29, 23, tzinfo=UTC)  # midnight CET
    for label, at in (("r7d", datetime(2026, 10, 22, 7, tzinfo=UTC)), ("r2d", datetime(2026, 10, 27, 8, tzinfo=UTC))):
        assert wall_clock(at).time() == NINE
        assert_sent(sweep_fires(ctx, at, topic="revision"), label=label, kind="reminder",
                    to={uid(world, Role.APPLICANT): 1})
    assert_sent(sweep_fires(ctx, row.due_at, topic="revision"), label="due", kind="escalation",
                to={uid(world, Role.MANAGER): 1})


# --- catching up after the service was down --------------------------------------------------------------

def test_a_late_sweep_sends_only_the_latest_reminder_and_records_the_earlier_one_as_superseded(ctx, world):
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    report = ctx.sweeper.sweep(berlin(date(2026, 7, 13), time(11)))  # down since before the 7-day reminder
    assert (report.notifications, report.skipped) == (1, 1)
    rows = revision_rows(ctx)
    assert rows["r2d"] == ("sent", None)
    assert rows["r7d"][0] == "skipped" and rows["r7d"][1].startswith("superseded")
    assert "(r2d, " in rows["r7d"][1]  # the reason names the reminder that replaced it


@pytest.mark.parametrize(("late", "status"), [(timedelta(hours=48), "sent"),
                                              (timedelta(hours=48) + MINUTE, "skipped")])
def test_a_reminder_older_than_the_catch_up_limit_is_recorded_as_skipped(ctx, world, late, status):
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    ctx.sweeper.sweep(berlin(date(2026, 7, 8)) + late)
    status_now, why = revision_rows(ctx)["r7d"]
    assert status_now == status
    if status == "skipped":
        assert "08.07.2026 09:00" in why and "too late" in why
    # The next reminder is sent on time as usual.
    assert_sent(sweep_fires(ctx, berlin(date(2026, 7, 13)), topic="revision"), label="r2d", kind="reminder",
                to={uid(world, Role.APPLICANT): 1})


def test_an_escalation_found_late_is_still_sent(ctx, world):
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    ctx.sweeper.sweep(end_of_day(REVISION_DAY) + timedelta(days=5))
    rows = revision_rows(ctx)
    assert rows["due"] == ("sent", None)
    assert {rows["r7d"][0], rows["r2d"][0]} == {"skipped"}
    assert [r.user_id for r in outbox(ctx, topic="revision", status="sent")] == [uid(world, Role.MANAGER)]


# --- mutes -----------------------------------------------------------------------------------------------

def test_a_muted_reminder_is_not_written_but_the_escalation_is(ctx, world):
    english = person(ctx, "Dr. Smith", Role.APPLICANT, organisation_id=world.organisation_id, language="en")
    for who in (Role.APPLICANT, Role.MANAGER):
        ctx.outbox.set_mutes(world.actor(who), [("revision", "inapp")])
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)

    for label, day in (("r7d", date(2026, 7, 8)), ("r2d", date(2026, 7, 13))):
        assert_sent(sweep_fires(ctx, berlin(day), topic="revision"), label=label, kind="reminder",
                    to={english.user_id: 1})
    assert_sent(sweep_fires(ctx, end_of_day(REVISION_DAY), topic="revision"), label="due", kind="escalation",
                to={uid(world, Role.MANAGER): 1})
    # Muting the revision reminders does not mute the hearing's.
    assert_sent(sweep_fires(ctx, berlin(date(2026, 7, 16)), topic="hearing"), label="r7d", kind="reminder",
                to={uid(world, Role.APPLICANT): 1, english.user_id: 1, uid(world, Role.REVIEWER): 1})


# --- config.toml and the procedure decide ----------------------------------------------------------------

def test_a_reminder_configured_in_config_toml_replaces_the_procedures(context_with):
    ctx = context_with(deadlines={"revision": {"remind": ["3d"], "remind_at": "07:30"}})
    world = make_world(ctx)
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    nothing_after(ctx, [berlin(date(2026, 7, 8)), berlin(date(2026, 7, 12), time(7, 29))], topic="revision")
    assert_sent(sweep_fires(ctx, berlin(date(2026, 7, 12), time(7, 30)), topic="revision"), label="r3d",
                kind="reminder", to={uid(world, Role.APPLICANT): 1})
    nothing_after(ctx, [berlin(date(2026, 7, 13))], topic="revision")


def test_an_overdue_transition_named_by_the_procedure_is_taken_by_the_sweep(context_with, tmp_path):
    ctx = context_with(procedure_dirs=[lapsing_procedure(tmp_path / "procedures")])
    world = make_world(ctx, procedure_key="test-lapse")
    proposal = drive(ctx, world, "in_review")
    request_revision(ctx, world, proposal)
    ctx.sweeper.sweep(berlin(date(2026, 7, 13)))
    assert state_of(ctx, proposal) == "revision_requested"

    report = ctx.sweeper.sweep(end_of_day(REVISION_DAY))
    assert (report.steps, report.refused_steps) == (1, [])
    assert state_of(ctx, proposal) == "not_prioritised"
    last = audit(ctx, proposal)[-1]
    assert (last.transition, last.actor_role, last.at) == ("lapse", "system", end_of_day(REVISION_DAY))
    assert "abgelaufen" in last.reason
    escalation = outbox(ctx, topic="revision", kind="escalation")
    assert [(r.user_id, r.status) for r in escalation] == [(uid(world, Role.MANAGER), "sent")]
    assert {(r.kind, r.status) for r in deadlines(ctx, proposal_id=proposal)} == {("revision", "cancelled"),
                                                                                 ("hearing", "cancelled")}
    assert ctx.sweeper.sweep(end_of_day(REVISION_DAY) + WEEK).steps == 0
