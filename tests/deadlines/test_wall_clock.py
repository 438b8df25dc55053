"""Durations after a moment count on the Berlin wall clock, like the reminders: summer time moves no deadline."""

from __future__ import annotations

from datetime import UTC, datetime

from workflow.deadlines.definition import Duration
from workflow.deadlines.schedule import firing
from workflow.procedure.registry import ProcedureRegistry
from workflow.timeutil import DEFAULT_ZONE


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=DEFAULT_ZONE).astimezone(UTC)


def test_six_weeks_after_a_forward_in_winter_end_at_the_same_hour_in_summer() -> None:
    forwarded = berlin(2026, 3, 20, 10, 0)  # CET, UTC+1
    due = Duration.parse("6w").after(forwarded)
    assert due == berlin(2026, 5, 1, 10, 0) == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_weekly_escalations_of_an_overdue_bank_decision_keep_their_hour_across_the_october_change(
        procedures: ProcedureRegistry) -> None:
    bank = procedures.get("saxony-regional", 1).deadlines["bank_decision"]
    due_at = berlin(2026, 10, 20, 10, 0)  # summer time; it ends on 25 October
    moments = [item.at for i in range(3) if (item := firing(bank, due_at, i)) is not None]
    assert moments == [due_at, berlin(2026, 10, 27, 10, 0), berlin(2026, 11, 3, 10, 0)]
    assert [m.astimezone(DEFAULT_ZONE).hour for m in moments] == [10, 10, 10]
    # In UTC the first is at 08:00 (summer time), the others at 09:00: a plain UTC week would have moved them.
    assert [m.hour for m in moments] == [8, 9, 9]
