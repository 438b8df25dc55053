"""The one mapping from domain errors to RFC 9457 problem+json. No stack trace ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import Unauthenticated
from api.etag import PreconditionRequired
from workflow.errors import (
    Conflict,
    DomainError,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)

PROBLEM = "application/problem+json"
log = logging.getLogger("foerderweg.api")

STATUS: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    PreconditionRequired: 428,
    NotFound: 404,
    Forbidden: 403,
    InvalidTransition: 409,
    StaleVersion: 409,
    Conflict: 409,
    GuardFailed: 422,
    InvalidInput: 422,
}


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    extra: dict[str, Any] = {}
    if isinstance(exc, GuardFailed):
        extra["failed_rules"] = [{"rule": f.rule, "why": f.why} for f in exc.failures]
    if isinstance(exc, InvalidInput):
        extra["errors"] = [{"field": p.field, "problem": p.problem} for p in exc.problems]
    if isinstance(exc, StaleVersion):
        extra["current_version"] = exc.current
    slug = type(exc).__name__.lower()
    response = problem(status, exc.title, exc.detail, type_=f"/problems/{slug}", **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
    return problem(422, "Invalid request", "the request does not match the expected form", errors=errors)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "Internal error", "the request failed unexpectedly; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
