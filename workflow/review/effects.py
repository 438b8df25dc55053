"""What some step inputs do beyond the audit row: second-reading conditions become tracked rows, the bank's
approved amounts replace the requested grant in the budget. Runs inside the step's transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from workflow.errors import FieldProblem, InvalidInput
from workflow.procedure.definition import TransitionDef
from workflow.proposals import store as repo
from workflow.proposals.money import format_eur, to_cents
from workflow.review import store


def apply_input_effects(session: Session, transition: TransitionDef, values: dict[str, Any], *, proposal_id: int,
                        seq: int, now: datetime, meeting_id: int | None) -> None:
    for spec in transition.inputs:
        if spec.name not in values:
            continue
        if spec.type == "conditions":
            default_due = values.get(spec.due_with) if spec.due_with else None
            store.insert_conditions(session, [
                {"proposal_id": proposal_id, "reading_seq": seq, "position": position, "text": item["text"],
                 "responsible": item["responsible"],
                 "due_on": date.fromisoformat(due) if (due := item["due"] or default_due) else None,
                 "status": "open", "evidence": [], "session_id": meeting_id, "created_at": now}
                for position, item in enumerate(values[spec.name], start=1)])
        elif spec.type == "amounts_by_year":
            _approve_amounts(session, proposal_id, spec.name, values[spec.name])


def _approve_amounts(session: Session, proposal_id: int, field: str, amounts: dict[str, str]) -> None:
    requested = {r.year: r.grant_requested for r in repo.plan(session, proposal_id)}
    problems = []
    for year_text, euros in amounts.items():
        year, cents = int(year_text), to_cents(euros)
        if year not in requested:
            problems.append(FieldProblem(f"inputs.{field}.{year}", "the funding plan has no such year "
                                         f"(years: {', '.join(map(str, sorted(requested))) or 'none'})"))
        elif cents > requested[year]:
            problems.append(FieldProblem(f"inputs.{field}.{year}", f"{format_eur(cents)} is more than the "
                                         f"{format_eur(requested[year])} requested"))
        else:
            store.set_approved(session, proposal_id, year, cents)
    if problems:
        raise InvalidInput(problems)
