"""(being written) the steering group's part of a proposal page: scores, the scoring form, condition judgements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.actors import Actor
from workflow.context import Context


def review_section(ctx: Context, actor: Actor, proposal_id: int, *, now: datetime) -> dict[str, Any]:
    """What templates/proposal/_review.html needs; {} when the viewer has no part in the review."""
    return {}
