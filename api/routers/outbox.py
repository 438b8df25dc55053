"""The operator's view of the outbox: what failed, what was skipped, and sending it again."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Ctx, Now
from api.notify_schemas import OutboxMessageOut
from workflow.notify.outbox import MAX_PAGE
from workflow.procedure.inputs import MAX_ID

router = APIRouter(prefix="/admin/outbox", tags=["operations"])
Status = Literal["pending", "sending", "sent", "failed", "skipped"]


@router.get("", response_model=list[OutboxMessageOut])
def list_outbox(ctx: Ctx, caller: Caller, status: Status | None = None,
                after: Annotated[int, Query(ge=0, le=MAX_ID, description="page on: the last id you got")] = 0,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> list[OutboxMessageOut]:
    """Messages of the outbox in id order (admins), e.g. `?status=failed` for those parked after the last retry."""
    messages = ctx.outbox.messages(caller, status=status, after_id=after, limit=limit)
    return [OutboxMessageOut.model_validate(n) for n in messages]


@router.post("/{message_id}/retry", response_model=OutboxMessageOut)
def retry(message_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, caller: Caller, now: Now) -> OutboxMessageOut:
    """Send a failed or skipped message again (admins): it is queued now with a fresh count of attempts."""
    return OutboxMessageOut.model_validate(ctx.outbox.retry(caller, message_id, now))
