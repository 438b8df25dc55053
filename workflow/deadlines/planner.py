"""Which deadlines a step opens and which it closes. Called inside the step's transaction.

A deadline stays open while the proposal is in one of its definition's states; a step into a state outside them
cancels it. A step opens a deadline when it enters the definition's states from outside (durations counted from
the step, or from the funding plan), or when it carries the date input the definition names (a new hearing
date replaces the old one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.deadlines.definition import DeadlineDef, Duration
from workflow.deadlines.schedule import after_plan_end, before_year, firing, first_index
from workflow.procedure.definition import Procedure
from workflow.timeutil import end_of_day


@dataclass(frozen=True)
class NewDeadline:
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class OpenDeadline:
    id: int
    kind: str


@dataclass(frozen=True)
class DeadlinePlan:
    cancel: tuple[int, ...]
    create: tuple[NewDeadline, ...]


def plan_step(
    procedure: Procedure,
    *,
    from_state: str | None,
    to_state: str,
    inputs: Mapping[str, Any],
    now: datetime,
    open_deadlines: Sequence[OpenDeadline],
    plan_years: Sequence[int],
    ran_out: frozenset[tuple[str, datetime]] = frozenset(),
) -> DeadlinePlan:
    """`ran_out`: (kind, due moment) of the proposal's deadlines that already fell due and were escalated; coming
    back into their states (a proof of use returned) does not open them again, so nobody is told twice."""
    create: list[NewDeadline] = []
    for name, definition in procedure.deadlines.items():
        if definition.scope != "proposal" or to_state not in definition.states:
            continue
        entering = from_state not in definition.states
        create += [NewDeadline(name, due) for due in due_moments(definition, entering, inputs, now, plan_years)
                   if (name, due) not in ran_out]
    renewed = {d.kind for d in create}
    cancel = tuple(
        d.id for d in open_deadlines
        if d.kind in renewed or d.kind not in procedure.deadlines or to_state not in procedure.deadlines[d.kind].states
    )
    return DeadlinePlan(cancel=cancel, create=tuple(create))


def due_moments(definition: DeadlineDef, entering: bool, inputs: Mapping[str, Any], now: datetime,
                 plan_years: Sequence[int]) -> list[datetime]:
    due = definition.due
    if due.input is not None:
        value = inputs.get(due.input)
        # A deadline given as a date ends when that day ends in Europe/Berlin.
        return [end_of_day(date.fromisoformat(value))] if isinstance(value, str) and value else []
    if not entering:
        return []
    if due.after is not None:
        return [Duration.parse(due.after).after(now)]
    if due.plan_end is not None and plan_years:
        return [after_plan_end(max(plan_years), Duration.parse(due.plan_end))]
    if due.before_each_later_year is not None:
        offset = Duration.parse(due.before_each_later_year)
        return [before_year(year, offset) for year in sorted(set(plan_years))[1:]]
    return []


def schedule_start(definition: DeadlineDef, due_at: datetime, created_at: datetime) -> tuple[int, datetime | None]:
    """The stage a new deadline starts at and when the sweep first has to look at it."""
    index = first_index(definition, due_at, created_at)
    first = firing(definition, due_at, index)
    return index, None if first is None else first.at


def round_deadline_rows(procedure: Procedure, *, round_id: int, alliance_id: int, closes_at: datetime,
                        now: datetime) -> list[dict[str, Any]]:
    """The deadlines a new round opens: its submission deadline, with reminders to the owners of its drafts."""
    rows = []
    for name, definition in procedure.deadlines.items():
        if definition.scope != "round":
            continue
        stage, next_fire_at = schedule_start(definition, closes_at, now)
        rows.append({"round_id": round_id, "alliance_id": alliance_id, "kind": name,
                     "procedure_key": procedure.key, "procedure_version": procedure.version, "due_at": closes_at,
                     "status": "open", "stage": stage, "next_fire_at": next_fire_at, "created_at": now})
    return rows
