"""The steering group's part of a proposal page: scores, the scoring form, condition judgements.

`review_section` gathers what templates/proposal/_review.html shows, from the services only (who may see which
scores is the scoring service's decision). The proposal page (helper A's) includes the partial with it as
`review`; the forms here post to api/web/pages/review.py, which shows the same partial with the messages next to
the fields when a form is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.context import Context
from workflow.errors import Forbidden
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.review.access import OPERATORS
from workflow.review.scoring import ScoringView

JUDGING = (Role.MANAGER, *OPERATORS)


def sheet_values(scoring: ScoringView) -> dict[str, str]:
    """The viewer's own sheet as form values (what the scoring form starts with)."""
    own = scoring.own
    if own is None:
        return {}
    values = {f"points.{k}": str(v) for k, v in own.points.items()}
    values.update({f"ko.{k}": "yes" if v else "no" for k, v in own.ko.items()})
    values["comment"] = own.comment
    return values


def review_section(ctx: Context, actor: Actor, proposal_id: int, *, now: datetime,
                   values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None
                   ) -> dict[str, Any]:
    """What templates/proposal/_review.html needs; {} when the viewer has no part in the review.

    `values` and `errors` are a refused form's: what was typed, and the messages by field name."""
    if actor.role == Role.APPLICANT:
        return {}
    try:
        scoring = ctx.scoring.scores(actor, proposal_id)
    except Forbidden:
        return {}
    scheme = scoring.scheme
    if actor.role == Role.BANK and (scheme is None or scheme.scorers != "bank"):
        return {}
    proposal = ctx.proposals.get(actor, proposal_id, now=now)
    procedure = ctx.procedures.get(proposal.procedure_key, proposal.procedure_version)
    member = next((m for m in scoring.members if m.user_id == actor.user_id), None)
    is_scorer = member is not None and scheme is not None and actor.role.value == scheme.scorers
    scoring_open = proposal.state in procedure.scoring_states
    state = procedure.state(proposal.state)
    judging_open = actor.role in JUDGING and not state.editable and not state.terminal
    conditions = [c for c in ctx.conditions.conditions(actor, proposal_id) if c.current]
    return {
        "proposal_id": proposal_id,
        "title": proposal.title,
        "scoring": scoring,
        "scheme": scheme,
        "member": member if is_scorer else None,
        "conflict": member.conflict if is_scorer and member is not None else None,
        "can_score": is_scorer and scoring_open and member is not None and member.conflict is None,
        "scoring_open": scoring_open,
        "values": values if values is not None else sheet_values(scoring),
        "errors": errors or {},
        "conditions": conditions,
        "can_judge": judging_open and bool(conditions),
    }
