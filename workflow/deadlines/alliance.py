"""The alliance's own deadline: its action concept (Handlungskonzept) must be renewed at least every two years.

It belongs to the installation, not to a procedure; config.toml `[deadlines.action_concept]` changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from workflow.deadlines.definition import DeadlineDef, DeadlineOverride, DueDef, Duration, OverdueDef
from workflow.deadlines.planner import schedule_start
from workflow.procedure.faults import Fault, ProcedureError
from workflow.procedure.labels import Labels
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


ALLIANCE_RECIPIENTS = ("manager", "reviewer", "admin")


def action_concept(overrides: Mapping[str, DeadlineOverride]) -> DeadlineDef:
    """The action concept's deadline with config.toml's changes, refused if they name people it cannot reach."""
    override = overrides.get(ACTION_CONCEPT)
    if override is None:
        return DEFAULT
    definition = override.apply(DEFAULT)
    faults = [Fault(f"deadlines.{ACTION_CONCEPT}.{field}",
                    f"'{who}' is not a recipient of the alliance's deadline (use {', '.join(ALLIANCE_RECIPIENTS)})")
              for field, names in (("recipients", definition.recipients), ("notify", definition.overdue.notify))
              for who in names if who not in ALLIANCE_RECIPIENTS]
    if definition.remind and not definition.recipients:
        faults.append(Fault(f"deadlines.{ACTION_CONCEPT}.recipients", "reminders need recipients"))
    if faults:
        raise ProcedureError("config.toml", faults)
    return definition


def action_concept_row(definition: DeadlineDef, *, alliance_id: int, adopted_on: date,
                       now: datetime) -> dict[str, Any]:
    due_at = end_of_day(adopted_on + VALID_FOR.delta)
    stage, next_fire_at = schedule_start(definition, due_at, now)
    return {"alliance_id": alliance_id, "kind": ACTION_CONCEPT, "due_at": due_at, "status": "open",
            "stage": stage, "next_fire_at": next_fire_at, "created_at": now}
