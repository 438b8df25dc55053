"""The FastAPI application factory. Routers are thin: they parse, call the service, and shape the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.errors import install_error_handlers, problem
from workflow.context import Context, build_context
from workflow.migrate import current_revision, head_revision


def create_app(context: Context | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = context is None
        app.state.ctx = context or build_context()
        yield
        if owned:
            app.state.ctx.close()

    app = FastAPI(
        title="foerderweg",
        version="0.1.0",
        summary="Workflow engine for regional public funding procedures",
        lifespan=lifespan,
    )
    install_error_handlers(app)

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

    return app
