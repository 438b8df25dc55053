"""GET /procedures: the procedure definitions, as data and as a diagram."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from api import schemas
from api.deps import Caller, Ctx
from workflow.procedure.diagram import mermaid

router = APIRouter(prefix="/procedures", tags=["procedures"])
Version = Annotated[int | None, Query(ge=1, description="procedure version (default: the newest)")]


@router.get("", response_model=list[schemas.ProcedureSummary])
def list_procedures(ctx: Ctx, _: Caller) -> list[schemas.ProcedureSummary]:
    """Every procedure and version this installation knows."""
    return [schemas.ProcedureSummary.model_validate(p) for p in ctx.procedures.all()]


@router.get("/{key}", response_model=schemas.ProcedureOut)
def get_procedure(key: str, ctx: Ctx, _: Caller, version: Version = None) -> schemas.ProcedureOut:
    """States with labels, and transitions with the roles that may fire them, their rules and inputs."""
    return schemas.ProcedureOut.model_validate(ctx.procedures.get(key, version))


@router.get("/{key}/diagram", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "mermaid stateDiagram-v2"}})
def get_diagram(key: str, ctx: Ctx, caller: Caller, version: Version = None,
                lang: Annotated[str | None, Query(pattern="^(de|en)$")] = None) -> PlainTextResponse:
    """The state diagram as mermaid text, labelled in the caller's language (or `lang`)."""
    text = mermaid(ctx.procedures.get(key, version), language=lang or caller.language)
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")
