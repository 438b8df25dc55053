"""Pages answer every failure with a page in the viewer's language, never problem+json and never a stack trace.

`PageRoute` wraps each page handler: no sign-in goes to the sign-in form and comes back; a refused form token, a
missing or foreign object, a refused role and a stale or impossible step each get their own explanation. Forms
catch InvalidInput and GuardFailed themselves, to show the message next to the field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.web.render import render
from api.web.session import CsrfRefused, SignInRequired
from workflow.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)

log = logging.getLogger("foerderweg.web")

# Pages hold personal data and must not be framed (clickjacking) or run anything but our own files.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def field_errors(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """Messages by form field, for a template to show next to each field ('' collects the rest)."""
    found: dict[str, list[str]] = {}
    for p in problems:
        found.setdefault(p.field, []).append(p.problem)
    return found


def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/app/sign-in?next={quote(target, safe='')}", status_code=303)
    status, message = 400, "error_conflict"
    details: list[str] = []
    if isinstance(exc, CsrfRefused):
        status, message = 403, "error_csrf"
    elif isinstance(exc, NotFound | RequestValidationError) or (
            isinstance(exc, StarletteHTTPException) and exc.status_code == 404):
        status, message = 404, "error_not_found"
    elif isinstance(exc, StarletteHTTPException) and exc.status_code == 413:
        status, message = 413, "error_too_large"
    elif isinstance(exc, Forbidden):
        status, message = 403, "error_forbidden"
    elif isinstance(exc, StaleVersion):
        status, message = 409, "error_stale"
    elif isinstance(exc, InvalidTransition | Conflict):
        status, message = 409, "error_conflict"
        details = [exc.detail]
    elif isinstance(exc, GuardFailed):
        status, message = 422, "form_has_errors"
        details = [f.why for f in exc.failures]
    elif isinstance(exc, InvalidInput):
        status, message = 422, "form_has_errors"
        details = [f"{p.field}: {p.problem}" for p in exc.problems]
    elif isinstance(exc, DomainError):
        details = [exc.detail]
    return render(request, "errors/page.html", status=status, message=message, details=details)


def unexpected_page(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on page %s %s", request.method, request.url.path, exc_info=exc)
    request_id = getattr(request.state, "request_id", "")
    return render(request, "errors/page.html", status=500, message="error_unexpected", details=[],
                  request_id=request_id)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            # The error pages are rendered on the thread pool, as every page is: a template, and the log's line
            # with its traceback, are work the event loop must not wait for.
            try:
                response = await handle(request)
            except (DomainError, RequestValidationError, StarletteHTTPException) as exc:
                response = await run_in_threadpool(error_page, request, exc)
            except Exception as exc:
                response = await run_in_threadpool(unexpected_page, request, exc)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page
