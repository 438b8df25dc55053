"""What every route needs: the context, the time, the caller and the request id, as FastAPI dependencies.

They are `async def` although nothing in them awaits: FastAPI runs a plain `def` dependency on its thread pool,
one hop per dependency per request, and the token lookup is a quick indexed read best done where the request
already runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from workflow.actors import Actor
from workflow.context import Context
from workflow.errors import DomainError

bearer = HTTPBearer(auto_error=False, description="The token printed by `foerderweg user add` or `foerderweg demo`.")


class Unauthenticated(DomainError):
    title = "Unauthenticated"


MISSING_TOKEN = "send 'Authorization: Bearer <token>'"


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def now(request: Request) -> datetime:
    """The app's clock: the wall clock in production, a settable one in tests (time is a parameter)."""
    moment: datetime = request.app.state.clock()
    return moment


async def request_id(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", None) or uuid.uuid4().hex
    return rid


async def caller(
    ctx: Annotated[Context, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(MISSING_TOKEN)
    actor = ctx.admin.authenticate(credentials.credentials)
    if actor is None:
        raise Unauthenticated("the token is not valid")
    return actor


Ctx = Annotated[Context, Depends(context)]
Now = Annotated[datetime, Depends(now)]
Caller = Annotated[Actor, Depends(caller)]
RequestId = Annotated[str, Depends(request_id)]
