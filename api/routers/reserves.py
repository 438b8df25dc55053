"""Reserve pools shared by several alliances (Lower Saxony's performance reserve), and drawings on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from api.deps import Caller, Ctx, Now
from api.review_schemas import DRAW_EXAMPLE, POOL_EXAMPLE, PoolOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.priorisation import PoolInput, StandaloneDraw

router = APIRouter(prefix="/reserve-pools", tags=["priorisation"])


@router.post("", status_code=201, response_model=PoolOut)
def create_pool(
    ctx: Ctx, caller: Caller,
    body: Annotated[PoolInput, Body(openapi_examples={"pool": {"summary": "a reserve pool",
                                                               "value": POOL_EXAMPLE}})],
) -> PoolOut:
    """Set up a reserve pool for a year and the alliances that may draw on it (admins)."""
    return PoolOut.model_validate(ctx.priorisation.create_pool(caller, body))


@router.get("", response_model=list[PoolOut])
def list_pools(ctx: Ctx, caller: Caller) -> list[PoolOut]:
    """The pools the caller's alliance may draw on (admins: all), with what is drawn and what is left."""
    return [PoolOut.model_validate(p) for p in ctx.priorisation.pools(caller)]


@router.post("/{pool_id}/draws", response_model=PoolOut)
def draw(
    pool_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, caller: Caller, now: Now,
    body: Annotated[StandaloneDraw, Body(openapi_examples={"draw": {"summary": "a drawing with its reason",
                                                                    "value": DRAW_EXAMPLE}})],
) -> PoolOut:
    """Draw on the pool for an alliance, with a recorded reason (admins, or the alliance's managing member).
    Answers with the pool, the drawing among its draws."""
    return PoolOut.model_validate(ctx.priorisation.draw(caller, pool_id, body, now=now))
