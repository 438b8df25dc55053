"""Request bodies: refused with 413 past the configured limit, and not read at all without a valid token.

The app is called as ASGI with a body stream that counts what was taken from it, so that "not read" is observed,
not inferred from the answer.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.access import protected
from api.app import create_app
from api.deps import needs_caller
from tests.api.conftest import ApiWorld, Clock
from workflow.context import Context

MIB = 1024 * 1024


@dataclass
class Sent:
    """A body sent in chunks, and how many of them the server asked for."""

    chunks: list[bytes]
    announce_length: bool = True
    asked: int = 0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    answer: bytes = b""

    @property
    def length(self) -> int:
        return sum(len(c) for c in self.chunks)

    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/problem+json", self.headers
        body: dict[str, Any] = json.loads(self.answer)
        return body


def call(app: FastAPI, method: str, path: str, sent: Sent, headers: dict[str, str]) -> Sent:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if sent.announce_length:
        raw.append((b"content-length", str(sent.length).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *raw], "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80), "app": app}

    async def receive() -> dict[str, Any]:
        if sent.asked < len(sent.chunks):
            sent.asked += 1
            return {"type": "http.request", "body": sent.chunks[sent.asked - 1],
                    "more_body": sent.asked < len(sent.chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.answer += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return sent


def json_chunks(total: int, chunk: int = 64 * 1024) -> list[bytes]:
    body = b'{"title": "' + b"x" * max(total - 13, 0) + b'"}'
    return [body[i:i + chunk] for i in range(0, len(body), chunk)]


@pytest.fixture
def app(ctx: Context) -> FastAPI:
    return create_app(ctx, clock=Clock())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.mark.parametrize("headers", [{}, bearer("fw_forged"), {"Authorization": "Basic abc"}],
                         ids=["no token", "unknown token", "another scheme"])
@pytest.mark.parametrize("announce_length", [True, False], ids=["Content-Length", "chunked"])
def test_without_a_valid_token_the_body_is_not_read(app: FastAPI, headers: dict[str, str],
                                                    announce_length: bool) -> None:
    sent = call(app, "POST", "/proposals", Sent(json_chunks(3 * MIB), announce_length), headers)
    assert sent.status == 401
    assert sent.asked == 0
    assert sent.problem()["status"] == 401
    assert sent.headers["www-authenticate"] == "Bearer"


def test_a_body_announced_over_the_limit_is_refused_before_it_is_read(app: FastAPI, api: ApiWorld) -> None:
    sent = call(app, "POST", "/proposals", Sent(json_chunks(MIB + 1)), bearer(api.tokens["applicant"]))
    assert sent.status == 413
    assert sent.asked == 0
    problem = sent.problem()
    assert problem["limit"] == MIB and str(MIB) in problem["detail"]


def test_a_chunked_body_is_cut_off_where_it_passes_the_limit(app: FastAPI, api: ApiWorld) -> None:
    sent = Sent(json_chunks(3 * MIB), announce_length=False)
    call(app, "POST", "/proposals", sent, bearer(api.tokens["applicant"]))
    assert sent.status == 413
    assert sent.problem()["limit"] == MIB
    # Read up to the chunk that passed the limit, and no further.
    assert sent.asked == MIB // (64 * 1024) + 1 < len(sent.chunks)


@pytest.mark.parametrize("path", ["/proposals/1", "/alliances/1/budgets/2027"])
def test_every_write_is_limited(app: FastAPI, api: ApiWorld, path: str) -> None:
    method = "PATCH" if path.startswith("/proposals") else "PUT"
    sent = call(app, method, path, Sent(json_chunks(2 * MIB), announce_length=False), bearer(api.tokens["admin"]))
    assert sent.status == 413


def test_a_body_within_the_limit_is_read_and_judged(app: FastAPI, api: ApiWorld) -> None:
    sent = call(app, "POST", "/proposals", Sent(json_chunks(MIB - 100)), bearer(api.tokens["applicant"]))
    assert sent.status == 422  # read whole, then refused for its content (no round_id), not for its size
    assert sent.asked == len(sent.chunks)


def test_the_limit_comes_from_the_settings(ctx: Context, api: ApiWorld) -> None:
    ctx.settings.limits.body_bytes = 4096
    app = create_app(ctx, clock=Clock())
    assert call(app, "POST", "/proposals", Sent(json_chunks(5000)), bearer(api.tokens["applicant"])).status == 413
    assert call(app, "POST", "/proposals", Sent(json_chunks(4000)), bearer(api.tokens["applicant"])).status == 422


def test_the_sign_in_form_is_small(app: FastAPI) -> None:
    form = b"email=a%40b.de&password=" + b"x" * 20_000
    sent = call(app, "POST", "/app/sign-in", Sent([form]), {"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status == 413
    assert sent.asked == 0


def test_a_page_form_over_the_limit_is_refused(ctx: Context, app: FastAPI, api: ApiWorld) -> None:
    grant = ctx.signin.with_token(api.tokens["applicant"], now=Clock().now)
    assert grant is not None
    # Fields of half a MiB each: every one within what the form parser takes, together over the limit.
    form = b"csrf=" + grant.csrf_token.encode() + b"".join(b"&f%d=" % n + b"x" * (MIB // 2) for n in range(4))
    chunks = [form[i:i + 65536] for i in range(0, len(form), 65536)]
    sent = call(app, "POST", "/app/proposals/1/transitions", Sent(chunks, announce_length=False),
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"fw_session={grant.secret}",
                 "Origin": "http://testserver"})
    assert sent.status == 413
    assert MIB // 65536 <= sent.asked < len(sent.chunks)  # read up to the limit, no further


def test_a_page_form_without_a_sign_in_is_not_read(app: FastAPI) -> None:
    form = b"csrf=x&reason=" + b"x" * (2 * MIB)
    sent = call(app, "POST", "/app/proposals/1/transitions", Sent([form], announce_length=False),
                {"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status == 303  # to the sign-in page
    assert sent.asked == 0


def test_every_route_that_needs_a_caller_is_authenticated_before_its_body(app: FastAPI) -> None:
    """AccessMiddleware knows the protected addresses by their prefixes: a new router elsewhere would read bodies
    before the token is checked."""
    needing = sorted({route.path_format for route in iter_route_contexts(list(app.routes))
                      if isinstance(route.original_route, APIRoute) and needs_caller(cast(Any, route).dependant)})
    assert needing and all(protected(path) for path in needing), [p for p in needing if not protected(p)]
