"""What a migration does to one proposal's open deadlines, under `keep` and under `recreate` (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflow.deadlines.definition import DeadlineOverride, Duration
from workflow.deadlines.schedule import firing
from workflow.procedure.registry import ProcedureRegistry
from workflow.versioning.deadline_moves import OpenRow, deadline_moves

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 8, 31, 22, 0, tzinfo=UTC)


def test_keep_leaves_a_deadline_whose_schedule_did_not_change_exactly_as_it_is(procedures: ProcedureRegistry) -> None:
    old, new = procedures.get("saxony-regional", 1), procedures.get("saxony-regional", 2)
    row = OpenRow(7, "revision", DUE, 1, datetime(2026, 8, 29, 7, 0, tzinfo=UTC))
    moves = deadline_moves(old, new, target="revision_requested", policy="keep", open_rows=[row], plan_years=[],
                           ran_out=frozenset(), now=NOW)
    assert moves.kept == (row,) and not moves.cancelled and not moves.created


def test_keep_plans_the_reminders_of_a_changed_schedule_that_are_still_ahead(procedures: ProcedureRegistry) -> None:
    old = procedures.get("saxony-regional", 1)
    new = procedures.get("saxony-regional", 2).with_deadline_overrides(
        {"revision": DeadlineOverride(remind=["4w", "7d", "2d"])}, "test")
    definition = new.deadlines["revision"]
    # Not yet due, one reminder sent: under the new schedule the 4-week reminder (4 August) is still ahead.
    moves = deadline_moves(old, new, target="revision_requested", policy="keep",
                           open_rows=[OpenRow(7, "revision", DUE, 1, None)], plan_years=[], ran_out=frozenset(),
                           now=NOW)
    [kept] = moves.kept
    first = firing(definition, DUE, 0)
    assert first is not None
    assert (kept.id, kept.due_at, kept.stage, kept.next_fire_at) == (7, DUE, 0, first.at)
    # Already due and escalated once: it stays escalated, with the same number of repeats behind it.
    escalated = OpenRow(8, "revision", DUE, len(old.deadlines["revision"].reminder_offsets) + 1, None)
    [kept] = deadline_moves(old, new, target="revision_requested", policy="keep", open_rows=[escalated],
                            plan_years=[], ran_out=frozenset(), now=DUE + timedelta(days=3)).kept
    assert kept.stage == len(definition.reminder_offsets) + 1
    assert kept.next_fire_at is None  # the revision deadline repeats no escalation


def test_recreate_opens_durations_from_now_and_keeps_dates_a_step_gave(procedures: ProcedureRegistry) -> None:
    old, new = procedures.get("saxony-regional", 1), procedures.get("saxony-regional", 2)
    bank = OpenRow(3, "bank_decision", NOW - timedelta(days=10), 1, NOW)
    moves = deadline_moves(old, new, target="forwarded_to_bank", policy="recreate", open_rows=[bank],
                           plan_years=[], ran_out=frozenset(), now=NOW)
    assert moves.cancelled == (bank,)
    assert [(c.kind, c.due_at) for c in moves.created] == [("bank_decision", Duration.parse("8w").after(NOW))]

    # The hearing's date was given by a step; nobody gave a new one, so the deadline stays as it is.
    hearing = OpenRow(4, "hearing", DUE, 1, None)
    moves = deadline_moves(old, new, target="in_review", policy="recreate", open_rows=[hearing], plan_years=[],
                           ran_out=frozenset(), now=NOW)
    assert (moves.kept, moves.cancelled, moves.created) == ((hearing,), (), ())


def test_recreate_does_not_escalate_again_what_is_overdue_already(procedures: ProcedureRegistry) -> None:
    old, new = procedures.get("saxony-regional", 1), procedures.get("saxony-regional", 2)
    fresh = deadline_moves(old, new, target="in_implementation", policy="recreate", open_rows=[],
                           plan_years=[2026, 2027], ran_out=frozenset(), now=NOW)
    tranche = next(c for c in fresh.created if c.kind == "tranche_application")
    escalated = OpenRow(9, "tranche_application", tranche.due_at,
                        len(old.deadlines["tranche_application"].reminder_offsets) + 1, None)
    later = tranche.due_at + timedelta(days=15)
    moves = deadline_moves(old, new, target="in_implementation", policy="recreate", open_rows=[escalated],
                           plan_years=[2026, 2027], ran_out=frozenset(), now=later)
    assert moves.kept == (escalated,) and not moves.cancelled
    assert [c.kind for c in moves.created] == ["proof_of_use"]


def test_a_deadline_the_new_state_does_not_have_is_cancelled_and_one_it_adds_is_opened_or_named(
        procedures: ProcedureRegistry) -> None:
    old, new = procedures.get("saxony-regional", 1), procedures.get("saxony-regional", 2)
    proof = OpenRow(5, "proof_of_use", DUE, 0, None)
    moves = deadline_moves(old, new, target="proof_of_use_revision", policy="keep", open_rows=[proof],
                           plan_years=[2026], ran_out=frozenset(), now=NOW)
    assert moves.cancelled == (proof,) and not moves.kept
    # Its date is given by the step that asks for the revision; a migration cannot invent one.
    assert (moves.created, moves.without_date) == ((), ("proof_of_use_revision",))

    moves = deadline_moves(old, new, target="in_implementation", policy="keep", open_rows=[], plan_years=[2026, 2027],
                           ran_out=frozenset(), now=NOW)
    assert sorted(c.kind for c in moves.created) == ["proof_of_use", "tranche_application"]


def test_what_already_ran_out_is_not_opened_again(procedures: ProcedureRegistry) -> None:
    old, new = procedures.get("saxony-regional", 1), procedures.get("saxony-regional", 2)
    everything = deadline_moves(old, new, target="in_implementation", policy="recreate", open_rows=[],
                                plan_years=[2026, 2027], ran_out=frozenset(), now=NOW)
    tranche = next(c for c in everything.created if c.kind == "tranche_application")
    moves = deadline_moves(old, new, target="in_implementation", policy="recreate", open_rows=[],
                           plan_years=[2026, 2027], ran_out=frozenset({("tranche_application", tranche.due_at)}),
                           now=NOW)
    assert [c.kind for c in moves.created] == ["proof_of_use"]
