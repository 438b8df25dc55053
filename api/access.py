"""Every request: an id, the caller of a protected address found by its token before the body is read (a 401
for a missing or unknown token, without reading a byte of the body), the answer's access log line and its /metrics
counts. The token is looked up on the thread pool: nothing here blocks the event loop.

A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the app in a
task group with memory streams per request, which cost more than a cheap request itself (bench/).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ACTOR_STATE, MISSING_TOKEN, bearer_token
from api.errors import unauthenticated
from api.metrics import REQUEST_SECONDS, REQUESTS
from api.request_context import REQUEST_ID as CURRENT_REQUEST
from workflow.people.accounts import Unauthenticated

SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
PROTECTED = ("/procedures", "/alliances", "/rounds", "/proposals", "/me", "/admin", "/sessions", "/reserve-pools")
access_log = logging.getLogger("foerderweg.access")


def protected(path: str) -> bool:
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in PROTECTED)


class AccessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        # The client's X-Request-ID if sane: it lands in the audit row, every log line and the answer.
        request_id = offered if SANE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        bound = CURRENT_REQUEST.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            refusal = await self._authenticate(scope, headers) if protected(scope["path"]) else None
            if refusal is not None:
                # Before FastAPI reads the body: a caller without a valid token hears 401 and sends nothing more.
                await unauthenticated(refusal)(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            CURRENT_REQUEST.reset(bound)

    @staticmethod
    async def _authenticate(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        """The caller into the request's state; else why not."""
        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        if token is None:
            return MISSING_TOKEN
        app = scope["app"]
        try:  # on the app's clock: a token may expire
            actor = await run_in_threadpool(app.state.ctx.accounts.identify, token, now=app.state.clock())
        except Unauthenticated as refused:  # unknown, expired, or of a disabled account: the detail says which
            return refused.detail
        scope["state"][ACTOR_STATE] = actor
        return None

    @staticmethod
    def _record(scope: Scope, status: int, elapsed: float) -> None:
        method, path = scope["method"], scope["path"]
        route = getattr(scope.get("route"), "path", "unmatched")
        REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        REQUEST_SECONDS.labels(method=method, route=route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            client: Any = scope.get("client")
            access_log.info("%s %s %d", method, path, status,
                            extra={"method": method, "path": path, "route": route, "status": status,
                                   "duration_ms": round(elapsed * 1000, 1), "client": client[0] if client else None})
