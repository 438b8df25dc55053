"""When a deadline is due and when each of its firings (reminders, the due moment, repeated escalations) happens.

Pure calendar arithmetic on Europe/Berlin wall-clock time: "7 days before 31 May, 09:00" is 09:00 in Leipzig on
24 May whether or not summer time began in between; only the stored instant is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflow.deadlines.definition import DeadlineDef, Duration
from workflow.timeutil import DEFAULT_ZONE, end_of_day, local


@dataclass(frozen=True)
class Firing:
    """One thing a deadline does at a moment: remind (before), fall due, or escalate again (after)."""

    index: int
    at: datetime
    kind: str  # reminder | due | repeat
    # Stable name of the firing inside its deadline, part of the notification's unique key.
    label: str


def due_day(due_at: datetime) -> date:
    """The last calendar day on which the thing can still be done: a deadline at 00:00 ends the day before."""
    return (due_at.astimezone(DEFAULT_ZONE) - timedelta(microseconds=1)).date()


def firing(definition: DeadlineDef, due_at: datetime, index: int) -> Firing | None:
    """The `index`-th firing of a deadline due at `due_at`, or None when there are no more."""
    reminders = definition.reminder_offsets
    if index < 0:
        return None
    if index < len(reminders):
        offset = reminders[index]
        return Firing(index, local(offset.before(due_day(due_at)), definition.remind_at), "reminder", f"r{offset}")
    if index == len(reminders):
        return Firing(index, due_at, "due", "due")
    repeat = definition.repeat
    if repeat is None:
        return None
    times = index - len(reminders)
    return Firing(index, Duration(repeat.amount * times, repeat.unit).after(due_at), "repeat", f"o{times}")


def first_index(definition: DeadlineDef, due_at: datetime, created_at: datetime) -> int:
    """Where a new deadline starts: reminders whose moment passed before it existed were never owed.

    The due moment itself is always owed, even when it lies in the past already: what is overdue is escalated.
    """
    reminders = definition.reminder_offsets
    for index in range(len(reminders)):
        found = firing(definition, due_at, index)
        if found is not None and found.at > created_at:
            return index
    return len(reminders)


def after_plan_end(last_year: int, duration: Duration) -> datetime:
    """`duration` after 31 December of `last_year` ends."""
    return end_of_day(date(last_year, 12, 31) + duration.delta)


def before_year(year: int, duration: Duration) -> datetime:
    """The day before `year` begins minus `duration`, at its end: '3m' before 2017 is 30 September 2016."""
    return end_of_day(duration.before(date(year, 1, 1)) - timedelta(days=1))
