"""What a migration does to one proposal's deadlines. Pure: the runner reads the rows and writes the result.

keep      an open deadline the newer version still has for the proposal's new state stays open with its due
          moment; it follows the newer definition from now on (its reminders are re-planned only if they changed).
          One the newer version no longer has there is cancelled.
recreate  the deadlines of the new state are opened as if the proposal had just entered it (durations count from
          the migration); open ones are cancelled. A deadline whose date a step gave (a hearing date) keeps that
          date, as nobody gave a new one, and an open one that falls due when the new one would stays as it is.

Under both, a deadline the newer version adds for the new state is opened as on entering it; one whose date only a
step can give cannot be, and is listed as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from workflow.deadlines.definition import DeadlineDef
from workflow.deadlines.planner import due_moments, schedule_start
from workflow.deadlines.schedule import firing, first_index
from workflow.procedure.definition import Procedure
from workflow.versioning.plan import Policy


@dataclass(frozen=True)
class OpenRow:
    """An open deadline of the proposal: as it is, or (among `kept`) as it will be."""

    id: int
    kind: str
    due_at: datetime
    stage: int
    next_fire_at: datetime | None
    opened_in: str | None = None  # the state that opened it (for the record)


@dataclass(frozen=True)
class Created:
    kind: str
    due_at: datetime
    stage: int
    next_fire_at: datetime | None


@dataclass(frozen=True)
class DeadlineMoves:
    kept: tuple[OpenRow, ...] = ()
    cancelled: tuple[OpenRow, ...] = ()
    created: tuple[Created, ...] = ()
    # Deadlines of the new state whose date only a step gives, so that none was opened.
    without_date: tuple[str, ...] = ()


def deadline_moves(old: Procedure, new: Procedure, *, target: str, policy: Policy, open_rows: Sequence[OpenRow],
                   plan_years: Sequence[int], ran_out: frozenset[tuple[str, datetime]],
                   now: datetime) -> DeadlineMoves:
    """`ran_out`: (kind, due moment) of closed deadlines that already fell due and were escalated: not opened
    again. An open row whose due moment a recreated deadline would have anyway is that deadline: it stays (with its
    reminders and escalations so far), so that nobody is reminded or escalated to twice."""
    wanted = {name: d for name, d in new.deadlines.items() if d.scope == "proposal" and target in d.states}
    kept: list[OpenRow] = []
    left = list(open_rows)
    if policy == "keep":
        kept = [_keep(r, old.deadlines.get(r.kind), wanted[r.kind], now) for r in left if r.kind in wanted]
        left = [r for r in left if r.kind not in wanted]
    created: list[Created] = []
    without_date: list[str] = []
    for name, definition in wanted.items():
        if any(k.kind == name for k in kept):
            continue
        if definition.due.input is not None:
            # Only a step gives this date; the one it gave still holds.
            dues = sorted({r.due_at for r in left if r.kind == name})
            if not dues:
                without_date.append(name)
        else:
            dues = due_moments(definition, True, {}, now, plan_years)
        for due in dues:
            same = next((r for r in left if r.kind == name and r.due_at == due), None)
            if same is not None:
                kept.append(_keep(same, old.deadlines.get(name), definition, now))
                left.remove(same)
            elif (name, due) not in ran_out:
                stage, next_fire_at = schedule_start(definition, due, now)
                created.append(Created(name, due, stage, next_fire_at))
    return DeadlineMoves(tuple(kept), tuple(left), tuple(created), tuple(without_date))


def _keep(row: OpenRow, before: DeadlineDef | None, after: DeadlineDef, now: datetime) -> OpenRow:
    if before is not None and _schedule(before) == _schedule(after):
        return row
    reminders_before = len(before.reminder_offsets) if before is not None else 0
    if row.stage <= reminders_before:
        # Not yet due: the reminders still ahead under the newer definition (the due moment is always owed).
        stage = first_index(after, row.due_at, now)
    else:
        # Already due: as many repeated escalations done as before.
        stage = len(after.reminder_offsets) + row.stage - reminders_before
    upcoming = firing(after, row.due_at, stage)
    return replace(row, stage=stage, next_fire_at=None if upcoming is None else upcoming.at)


def _schedule(definition: DeadlineDef) -> tuple[object, ...]:
    return definition.reminder_offsets, definition.remind_at, definition.repeat
