"""The FastAPI application factory. Routers are thin: they parse, call the service, and shape the answer.

How requests share the process: the event loop only passes messages; everything that waits runs on threads. Route
handlers and dependencies that touch the database (or hash a password, or render a template) are plain `def`,
which FastAPI runs on its thread pool. `async def` is kept for code that never blocks: the middleware, which only
passes messages on (the caller's token is looked up on the thread pool), and dependencies that read the request or
the app's state; the sign-in form and the form's CSRF check await the body and hand their work to threads.
`tests/operations/test_concurrency_model.py` holds every route to this. SQLite's writers take turns on `Database`'s
lock (threads) and on the lock file beside the database (processes), both waited for in the kernel; PostgreSQL's
wait on its row locks, on the thread pool too. The scheduler runs on threads of its own, never on the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from api import limits
from api.access import AccessMiddleware
from api.deps import document_bearer
from api.errors import ERROR_RESPONSES, install_error_handlers, problem, problem_json_openapi
from api.metrics import router as metrics_router
from api.routers import (
    alliances,
    bank,
    conditions,
    me,
    outbox,
    priorisation,
    procedure_versions,
    procedures,
    proposals,
    reserves,
    rounds,
    scoring,
    sessions,
    users,
)
from api.schemas import Problem
from api.web import install as install_web_pages
from workflow.context import Context, build_context
from workflow.persistence.migrate import current_revision, head_revision
from workflow.timeutil import utcnow

DESCRIPTION = """
Regional funding procedures as data: proposals move through a procedure's states by transitions that check the
caller's role and the procedure's rules, each step recorded in an append-only history.

Authenticate with `Authorization: Bearer <token>` (`foerderweg user add …` or `foerderweg demo` print tokens).
Every write of a proposal names the version it was decided on (`If-Match`, from the `ETag`); a stale version is
refused with 409. Send `Idempotency-Key` on creations and transitions to retry safely. Errors are
`application/problem+json` (RFC 9457).
"""
OPENAPI_URL = "/openapi.json"


def create_app(context: Context | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A context handed in belongs to the caller (tests, embedding); one built here is closed here.
        if context is not None:
            yield
            return
        # On a thread, as all work that touches files and the database (before the first request, after the last).
        app.state.ctx = await anyio.to_thread.run_sync(build_context)
        yield
        await anyio.to_thread.run_sync(app.state.ctx.close)

    app = FastAPI(title="foerderweg", version="0.1.0", summary="Workflow engine for regional public funding procedures",
                  description=DESCRIPTION, lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.clock = clock
    if context is not None:
        app.state.ctx = context
    install_error_handlers(app)

    # The last added runs first: the request id, the access log and the caller (AccessMiddleware), then the body's
    # limit, and only then does anything read the body.
    limits.install(app)
    app.add_middleware(AccessMiddleware)

    @app.get("/health", tags=["operations"])
    def health(request: Request) -> JSONResponse:
        """Reachable database at the newest schema: 200; otherwise 503 with the reason."""
        ctx: Context = request.app.state.ctx
        try:
            ctx.db.ping()
            schema, head = current_revision(ctx.db), head_revision(ctx.db)
        except Exception as exc:  # any database failure means "not healthy", never a 500
            return problem(503, "Database unreachable", f"{type(exc).__name__}: the database did not answer")
        if schema != head:
            return problem(503, "Database schema out of date",
                           f"schema at {schema}, code expects {head}: run `foerderweg db upgrade`")
        return JSONResponse({"status": "ok", "database": ctx.db.dialect, "schema": schema,
                             "procedures": [p.ref for p in ctx.procedures.all()]})

    # The proposals first: routes are matched one after the other, and theirs are the most requested.
    for router in (proposals.router, procedures.router, procedure_versions.router, alliances.router, rounds.router,
                   me.router, outbox.router,
                   scoring.router, conditions.router, sessions.router, priorisation.router, reserves.router,
                   bank.router, users.router, metrics_router):
        app.include_router(router, responses=ERROR_RESPONSES)
    install_web_pages(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_bearer(problem_json_openapi(
                get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                            routes=app.routes),
                Problem.model_json_schema(ref_template="#/components/schemas/{model}")), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    install_reference(app)
    return app


def install_reference(app: FastAPI) -> None:
    """The schema and its two readers, as FastAPI adds them, but plain `def`: FastAPI's own are `async def`, and
    the first request builds the schema (a second of CPU on a slow machine), which held every other request."""

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=_behind(request) + OPENAPI_URL, title=f"{app.title} - Swagger UI")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=_behind(request) + OPENAPI_URL, title=f"{app.title} - ReDoc")


def _behind(request: Request) -> str:
    """The path the app is served under behind a proxy (its root path), which the readers' links must include."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")
