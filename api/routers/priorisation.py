"""Priorisation within the budget: a round's ranking with its budget line, and the steering group's resolutions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from api.deps import Caller, Ctx, Now, RequestId
from api.review_schemas import RESOLUTION_EXAMPLE, RankingOut, ResolutionOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.priorisation import ResolutionInput

router = APIRouter(prefix="/rounds/{round_id}", tags=["priorisation"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/ranking", response_model=RankingOut)
def get_ranking(
    round_id: Id, ctx: Ctx, caller: Caller, now: Now,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="budget year (default: the round's)")] = None,
) -> RankingOut:
    """The round's proposals ranked by total score, each one's grant for the year, the running sum and the
    budget line (the alliance's budget and reserve drawings, less what other rounds bind)."""
    return RankingOut.model_validate(ctx.priorisation.ranking(caller, round_id, year, now=now))


@router.post("/resolutions", status_code=201, response_model=ResolutionOut)
def record_resolution(
    round_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[ResolutionInput, Body(openapi_examples={"resolution": {"summary": "a resolution",
                                                                           "value": RESOLUTION_EXAMPLE}})],
) -> ResolutionOut:
    """Record the steering group's resolution (the alliance's managing member): all of it, or nothing.

    Each proposal's step (prioritise, waiting list, decline) is checked by its own rules; a refusal names every
    refused proposal. The resolution is stored as the round's next version with the ranking as it then stood.
    """
    return ResolutionOut.model_validate(ctx.priorisation.resolve(caller, round_id, body, now=now, request_id=rid))


@router.get("/resolutions", response_model=list[ResolutionOut])
def list_resolutions(round_id: Id, ctx: Ctx, caller: Caller) -> list[ResolutionOut]:
    """Every version of the round's resolution, oldest first; `current` marks the latest."""
    return [ResolutionOut.model_validate(r) for r in ctx.priorisation.resolutions(caller, round_id)]
