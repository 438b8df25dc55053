"""The steering group's part of a proposal page: scores, the scoring form, condition judgements.

`review_section` gathers what templates/proposal/_review.html shows, from the services only (who may see which
scores, who may score and who may judge are the scoring service's decisions). The proposal page includes the
partial with it as `review`; the forms here post to api/web/pages/review.py, which shows the same partial with the
messages next to the fields when a form is refused.
"""

from __future__ import annotations

from typing import Any

from workflow.context import Context
from workflow.people.actors import Actor
from workflow.review.scoring import ScoringView


def sheet_values(scoring: ScoringView) -> dict[str, str]:
    """The viewer's own sheet as form values (what the scoring form starts with)."""
    own = scoring.own
    if own is None:
        return {}
    values = {f"points.{k}": str(v) for k, v in own.points.items()}
    values.update({f"ko.{k}": "yes" if v else "no" for k, v in own.ko.items()})
    values["comment"] = own.comment
    return values


def review_section(ctx: Context, actor: Actor, proposal_id: int, *,
                   values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None
                   ) -> dict[str, Any]:
    """What templates/proposal/_review.html needs; {} when the viewer has no part in the review.

    Who may score or judge is the scoring service's answer (`ScoringService.review_part`); this only renders it.
    `values` and `errors` are a refused form's: what was typed, and the messages by field name."""
    part = ctx.scoring.review_part(actor, proposal_id)
    if part is None:
        return {}
    return {
        "proposal_id": part.proposal_id,
        "title": part.title,
        "scoring": part.scoring,
        "scheme": part.scoring.scheme,
        "member": part.member,
        "conflict": part.member.conflict if part.member is not None else None,
        "can_score": part.can_score,
        "scoring_open": part.scoring_open,
        "values": values if values is not None else sheet_values(part.scoring),
        "errors": errors or {},
        "conditions": part.conditions,
        "can_judge": part.can_judge,
    }
