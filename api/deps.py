"""What every route needs: the context, the time, the caller and the request id, as FastAPI dependencies.

They are `async def` and never block: FastAPI runs a plain `def` dependency on its thread pool, one hop per
dependency per request. The caller of a protected address was found by AccessMiddleware (on the thread pool,
before the body is read); for any other address the token is looked up here, on the thread pool too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from workflow.context import Context
from workflow.people.accounts import Unauthenticated
from workflow.people.actors import Actor

SCHEME = "HTTPBearer"
BEARER_DESCRIPTION = "The token printed by `foerderweg user add` or `foerderweg demo`."


MISSING_TOKEN = "send 'Authorization: Bearer <token>'"
ACTOR_STATE = "actor"


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other header or none."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


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


async def caller(request: Request) -> Actor:
    # The header is read here rather than through an HTTPBearer dependency: FastAPI resolves each dependency on
    # every request at a cost comparable to the token lookup itself (bench/). `document_bearer` puts the scheme
    # into the OpenAPI document as HTTPBearer would.
    found: Actor | None = getattr(request.state, ACTOR_STATE, None)
    if found is not None:
        return found
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthenticated(MISSING_TOKEN)
    ctx: Context = request.app.state.ctx
    # On the app's clock: a token may expire. Unauthenticated says why (unknown, expired, a disabled account).
    return await run_in_threadpool(ctx.accounts.identify, token, now=request.app.state.clock())


def document_bearer(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The bearer scheme in the OpenAPI document, on every operation that needs a caller."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http", "scheme": "bearer", "description": BEARER_DESCRIPTION}
    for route in iter_route_contexts(list(routes)):  # as get_openapi walks them, through included routers
        if isinstance(route.original_route, APIRoute):
            api_route = cast(Any, route)
            if api_route.include_in_schema and needs_caller(api_route.dependant):
                for method in api_route.methods or ():
                    operation = schema.get("paths", {}).get(api_route.path_format, {}).get(method.lower())
                    if operation is not None:
                        operation["security"] = [{SCHEME: []}]
    return schema


def needs_caller(dependant: Dependant) -> bool:
    return any(d.call is caller or needs_caller(d) for d in dependant.dependencies)


Ctx = Annotated[Context, Depends(context)]
Now = Annotated[datetime, Depends(now)]
Caller = Annotated[Actor, Depends(caller)]
RequestId = Annotated[str, Depends(request_id)]
