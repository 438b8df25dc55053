"""Limits on what a request may send: the body's size, checked before and while it is read.

A body announced larger than the limit (Content-Length) is refused with 413 before a byte of it is read; a body
sent without a length (chunked) is counted as it arrives and refused the moment it passes the limit, so that no
request makes the server hold more than the limit in memory. The limit is per kind of address: the sign-in form
is small, everything else takes `limits.body_bytes` (1 MiB by default; uploads will get their own).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

SIGN_IN_PATH = "/app/sign-in"
SIGN_IN_BYTES = 16 * 1024  # e-mail, password (at most 200 characters), a token and two hidden fields
TITLE = "Request body too large"


class BodyTooLarge(HTTPException):
    """Raised from the body's stream when it passes the limit: FastAPI lets an HTTPException through as it is,
    and the error handlers answer it with 413 problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, TITLE)
        self.limit = limit


def detail(limit: int) -> str:
    return f"a request body may have at most {limit} bytes here"


def install(app: FastAPI) -> None:
    """The limit on every request of the app, and the answer when a handler's read of the body passes it."""
    app.add_middleware(BodyLimitMiddleware)
    app.add_exception_handler(BodyTooLarge, _answer)


def _answer(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return _too_large(exc.limit)


def _too_large(limit: int) -> JSONResponse:
    response = problem(413, TITLE, detail(limit), type_="/problems/body-too-large", limit=limit)
    # The client may still be sending: the server closes the connection after this answer, unread.
    response.headers["Connection"] = "close"
    return response


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def limit_for(scope: Scope) -> int:
        """From the settings of the app's context (made at start-up, after the middleware)."""
        body_bytes: int = scope["app"].state.ctx.settings.limits.body_bytes
        return min(SIGN_IN_BYTES, body_bytes) if scope["path"] == SIGN_IN_PATH else body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await _refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, noting_start)
        except BodyTooLarge:
            # Read where nothing answered it (e.g. a handler that reads the stream itself): answered here.
            if started:
                raise
            await _refuse(limit, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    await _too_large(limit)(scope, receive, send)
