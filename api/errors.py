"""The one mapping from domain errors to RFC 9457 problem+json. No stack trace ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

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
from workflow.people.accounts import Unauthenticated

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
    if isinstance(exc, Unauthenticated):
        return unauthenticated(exc.detail)
    slug = type(exc).__name__.lower()
    return problem(status, exc.title, exc.detail, type_=f"/problems/{slug}", **extra)


def unauthenticated(detail: str) -> JSONResponse:
    response = problem(401, Unauthenticated.title, detail, type_="/problems/unauthenticated")
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
    return problem(422, "Invalid request", "the request does not match the expected form", errors=errors)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail), str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request, said=response.headers.get("Allow", ""))
    return response


def allowed_methods(request: Request, *, said: str) -> str:
    """The methods some route answers at the request's path, for the Allow header a 405 must carry (RFC 9110,
    15.5.6). Starlette names only those of the first route whose path matched (`said`), but a path often has
    several (GET /proposals and POST /proposals are two routes), so every route is asked, in the router's order.
    A mount (the static files) takes every method at its path; what it allows, it says itself."""
    # The scope as the app received it: a mount (the static files) moved root_path on to itself.
    scope = {"type": "http", "method": request.method, "path": request.scope["path"],
             "root_path": request.scope.get("app_root_path", request.scope.get("root_path", ""))}
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # included routers' routes too, with their prefixes
        if route.matches(scope)[0] == Match.NONE:
            continue
        if route.methods is None:
            methods |= {m.strip() for m in said.split(",") if m.strip()}
            break
        methods |= route.methods
    return ", ".join(sorted(methods))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette may run this handler in a worker thread, where no exception is "active": pass it explicitly.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal error", "the request failed unexpectedly; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


# What every authenticated route may answer besides success; routers declare these, and `problem_json_openapi`
# files them under application/problem+json, which is what the handlers above send.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (e.g. a body that is not JSON)"},
    401: {"description": "Missing or unknown bearer token"},
    403: {"description": "The caller's role may not do this"},
    404: {"description": "Not found, or not visible to the caller"},
    409: {"description": "Conflict: stale version, or not possible in the current state"},
    422: {"description": "Invalid input, or a rule of the procedure refused it (see failed_rules)"},
}
PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    428: {"description": "If-Match is missing: send the version you read"},
}


def problem_json_openapi(schema: dict[str, Any], problem_schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses in the document say what is sent: application/problem+json with the Problem schema."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problem_schema
    reference = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {PROBLEM: reference}
            if "428" in operation.get("responses", {}):
                # Optional in the code, so that a missing one is answered 428 (not 422); required all the same.
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
                        parameter["required"] = True
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)
    return schema
