"""The caller's own things: in-app notifications, notification preferences, the deadline calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import Caller, Ctx, Now
from api.notify_schemas import Mute, NotificationOut, Preferences
from workflow.notify.outbox import MAX_PAGE
from workflow.procedure.inputs import MAX_ID

router = APIRouter(prefix="/me", tags=["me"])


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(ctx: Ctx, caller: Caller, unread: bool = False,
                  before: Annotated[int, Query(ge=0, le=MAX_ID, description="page on: the last id you got")] = 0,
                  limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> list[NotificationOut]:
    """Your in-app notifications (reminders and escalations), newest first."""
    return [NotificationOut.model_validate(n) for n in ctx.outbox.inbox(caller, unread_only=unread, before_id=before,
                                                             limit=limit)]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, caller: Caller,
              now: Now) -> NotificationOut:
    """Mark one of your notifications as read (again: no change)."""
    return NotificationOut.model_validate(ctx.outbox.mark_read(caller, notification_id, now))


@router.get("/preferences", response_model=Preferences)
def get_preferences(ctx: Ctx, caller: Caller) -> Preferences:
    return Preferences(muted=[Mute(deadline=t, channel=c) for t, c in ctx.outbox.mutes(caller)])


@router.put("/preferences", response_model=Preferences)
def put_preferences(body: Preferences, ctx: Ctx, caller: Caller) -> Preferences:
    """Replace your mutes. Escalations (a deadline passed) reach managers whatever they muted."""
    saved = ctx.outbox.set_mutes(caller, [(m.deadline, m.channel) for m in body.muted])
    return Preferences(muted=[Mute(deadline=t, channel=c) for t, c in saved])


@router.get("/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}})
def calendar(ctx: Ctx, caller: Caller, now: Now) -> Response:
    """Your open deadlines as an iCalendar feed (one event each, with an alarm a day before)."""
    return Response(ctx.calendar.ics(caller, now=now), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="foerderweg.ics"'})
