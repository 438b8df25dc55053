"""Rounds: calls for proposals with their submission deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import schemas
from api.deps import Caller, Ctx, Now
from workflow.procedure.inputs import MAX_ID
from workflow.timeutil import DEFAULT_ZONE

router = APIRouter(prefix="/rounds", tags=["rounds"])


def _aware(moment: datetime) -> datetime:
    """A time without offset is a Berlin wall-clock time, as people write deadlines."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=DEFAULT_ZONE)


@router.post("", status_code=201, response_model=schemas.RoundOut)
def create_round(body: schemas.RoundIn, ctx: Ctx, caller: Caller, now: Now) -> schemas.RoundOut:
    """Open a round for an alliance (admins, or the alliance's managing member)."""
    row = ctx.admin.create_round(caller, body.alliance_id, body.name, opens_at=_aware(body.opens_at),
                                 closes_at=_aware(body.closes_at), procedure_key=body.procedure_key,
                                 procedure_version=body.procedure_version, now=now)
    return schemas.RoundOut.model_validate(row)


@router.get("", response_model=list[schemas.RoundOut])
def list_rounds(ctx: Ctx, _: Caller,
                alliance: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> list[schemas.RoundOut]:
    return [schemas.RoundOut.model_validate(r) for r in ctx.admin.rounds(alliance)]


@router.get("/{round_id}", response_model=schemas.RoundOut)
def get_round(round_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, _: Caller) -> schemas.RoundOut:
    return schemas.RoundOut.model_validate(ctx.admin.round(round_id))
