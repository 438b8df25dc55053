"""The web pages (/app): server-rendered HTML over the same services as the JSON API, for people in a browser."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web.pages import applicant, bank, fallback, procedures, proposal, ranking, review, rounds, signin

STATIC = Path(__file__).parent / "static"
# The fallback comes last: it answers every /app address no other page claims.
ROUTERS = (signin.router, applicant.router, proposal.router, rounds.router, ranking.router, review.router,
           bank.router, procedures.router, fallback.router)


def install(app: FastAPI) -> None:
    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app", status_code=307)
