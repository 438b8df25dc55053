"""The alliance's own deadline: its action concept (Handlungskonzept) must be renewed at least every two years.

It belongs to the installation, not to a procedure; config.toml `[deadlines.action_concept]` changes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflow.deadlines.definition import DeadlineDef, DeadlineOverride, DueDef, Duration, OverdueDef
from workflow.deadlines.planner import schedule_start
from workflow.labels import Labels
from workflow.timeutil import end_of_day

ACTION_CONCEPT = "action_concept"
VALID_FOR = Duration(24, "m")

DEFAULT = DeadlineDef(
    label=Labels(de="Fortschreibung des Handlungskonzepts", en="Renewal of the action concept"),
    scope="alliance",
    due=DueDef(after=str(VALID_FOR)),
    remind=("3m", "1m"),
    recipients=("manager",),
    overdue=OverdueDef(notify=("admin",)),
    todo=Labels(de="Legen Sie der Lenkungsgruppe das fortgeschriebene Handlungskonzept vor.",
                en="Present the updated action concept to the steering group."),
)


def action_concept(overrides: dict[str, DeadlineOverride]) -> DeadlineDef:
    override = overrides.get(ACTION_CONCEPT)
    return DEFAULT if override is None else override.apply(DEFAULT)


def action_concept_row(definition: DeadlineDef, *, alliance_id: int, adopted_on: date,
                       now: datetime) -> dict[str, Any]:
    due_at = end_of_day(adopted_on + VALID_FOR.delta)
    stage, next_fire_at = schedule_start(definition, due_at, now)
    return {"alliance_id": alliance_id, "kind": ACTION_CONCEPT, "due_at": due_at, "status": "open",
            "stage": stage, "next_fire_at": next_fire_at, "created_at": now}
