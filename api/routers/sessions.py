"""Steering-group sessions: dates, agendas (a hearing on the agenda sets the hearing date) and their minutes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from api.deps import Caller, Ctx, Now, RequestId
from api.review_schemas import AGENDA_EXAMPLE, SessionDetailOut, SessionIn, SessionOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.meetings import NewAgendaItem

router = APIRouter(tags=["sessions"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/alliances/{alliance_id}/sessions", status_code=201, response_model=SessionOut)
def create_session(alliance_id: Id, body: SessionIn, ctx: Ctx, caller: Caller, now: Now) -> SessionOut:
    """Schedule a session of the alliance's steering group (admins, or the alliance's managing member)."""
    return SessionOut.model_validate(ctx.meetings.create(caller, alliance_id, body.model_dump(), now=now))


@router.get("/alliances/{alliance_id}/sessions", response_model=list[SessionOut])
def list_sessions(alliance_id: Id, ctx: Ctx, caller: Caller) -> list[SessionOut]:
    """The alliance's sessions in date order (its steering group and admins)."""
    return [SessionOut.model_validate(s) for s in ctx.meetings.list(caller, alliance_id)]


@router.get("/sessions/{session_id}", response_model=SessionDetailOut)
def get_session(session_id: Id, ctx: Ctx, caller: Caller) -> SessionDetailOut:
    """The session with its agenda and its minutes: the steps and resolutions decided in it."""
    return SessionDetailOut.model_validate(ctx.meetings.get(caller, session_id))


@router.post("/sessions/{session_id}/agenda", response_model=SessionDetailOut)
def add_to_agenda(
    session_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[NewAgendaItem, Body(openapi_examples={"hearing": {"summary": "a hearing",
                                                                      "value": AGENDA_EXAMPLE}})],
) -> SessionDetailOut:
    """Put a proposal on the agenda (the alliance's managing member). For a hearing this sets the proposal's
    hearing date, with its deadline and reminders, where its state allows it."""
    detail = ctx.meetings.add_to_agenda(caller, session_id, body, now=now, request_id=rid)
    return SessionDetailOut.model_validate(detail)
