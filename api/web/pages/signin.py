"""Signing in (e-mail and password, or the API token), signing out, and choosing the language."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Ctx, Now
from api.web.errors import PageRoute
from api.web.forms import form_text
from api.web.render import LANGUAGE_COOKIE, render, texts_for
from api.web.session import SESSION_COOKIE, CsrfRefused, Form, local_path, same_origin
from api.web.texts import LANGUAGES
from workflow.context import Context
from workflow.people.signin import SignIn
from workflow.people.throttle import Throttled

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
SIGN_IN_CSRF_COOKIE = "fw_signin_csrf"
HOME_BY_ROLE = {"applicant": "/app/proposals", "reviewer": "/app/rounds", "manager": "/app/rounds",
                "admin": "/app/rounds", "bank": "/app/bank"}
YEAR = 365 * 24 * 3600


def secure_cookies(ctx: Context) -> bool:
    chosen = ctx.settings.web.secure_cookies
    return ctx.settings.public_url.startswith("https://") if chosen is None else chosen


def _sign_in_form(request: Request, ctx: Context, *, status: int = 200, next_path: str = "/app", email: str = "",
                  errors: dict[str, list[str]] | None = None, notice: str = "") -> Response:
    # Login CSRF: the sign-in form carries a random value that must match a cookie only this site can set.
    token = secrets.token_urlsafe(32)
    request.state.sign_in_csrf = token
    response = render(request, "sign_in.html", status=status, next=next_path, email=email, errors=errors or {},
                      notice=notice)
    response.set_cookie(SIGN_IN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(ctx),
                        path="/app/sign-in")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, ctx: Ctx, next: Annotated[str | None, Query(max_length=2000)] = None,
                 signed_out: bool = False) -> Response:
    notice = "signed_out" if signed_out else ("session_expired" if next else "")
    return _sign_in_form(request, ctx, next_path=local_path(next), notice=notice)


async def _in_lane(request: Request, check: Callable[..., SignIn | None], *args: Any, **kwargs: Any) -> SignIn | None:
    """A sign-in checked on a thread of its own lane: its database work and its password hash (argon2: ~50 ms of a
    core, 64 MiB) never run on the event loop, and at most `limits.sign_in_concurrency` at once, so that a flood of
    attempts waits in line without holding the threads every other request needs."""
    lane = getattr(request.app.state, "sign_in_lane", None)
    if lane is None:
        ctx: Context = request.app.state.ctx
        lane = request.app.state.sign_in_lane = anyio.CapacityLimiter(ctx.settings.limits.sign_in_concurrency)
    return await anyio.to_thread.run_sync(partial(check, *args, **kwargs), limiter=lane)


@router.post("/sign-in")
async def sign_in(request: Request, ctx: Ctx, now: Now) -> Response:
    form = await request.form(max_fields=20, max_files=0)
    cookie, sent = request.cookies.get(SIGN_IN_CSRF_COOKIE, ""), form.get("csrf")
    if not cookie or not isinstance(sent, str) or not same_origin(request) or not hmac.compare_digest(
            cookie.encode(), sent.encode()):
        raise CsrfRefused("the sign-in form's token does not match its cookie")
    next_path, email = local_path(form_text(form, "next")), form_text(form, "email").strip()
    errors: dict[str, list[str]] = {}
    grant: SignIn | None = None
    t = texts_for(request)
    client = request.client.host if request.client else None
    by_token = form_text(form, "method") == "token"
    field = "token" if by_token else "password"
    try:
        if by_token:
            token = form_text(form, "token").strip()
            if not token:
                errors["token"] = [t("sign_in_missing_token")]
            elif (grant := await _in_lane(request, ctx.signin.with_token, token, now=now, client=client)) is None:
                errors["token"] = [t("sign_in_token_failed")]
        else:
            password = form_text(form, "password")
            if not email:
                errors["email"] = [t("sign_in_missing_email")]
            if not password:
                errors["password"] = [t("sign_in_missing_password")]
            if not errors and (grant := await _in_lane(request, ctx.signin.with_password, email, password, now=now,
                                                       client=client)) is None:
                errors["password"] = [t("sign_in_failed")]
    except Throttled as refused:
        errors[field] = [t("sign_in_throttled", seconds=refused.retry_after)]
        # Rendered on the thread pool, as every page: not on the event loop, which a flood would keep busy.
        response = await run_in_threadpool(_sign_in_form, request, ctx, status=429, next_path=next_path, email=email,
                                           errors=errors)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if grant is None:
        return await run_in_threadpool(_sign_in_form, request, ctx, status=422, next_path=next_path, email=email,
                                       errors=errors)
    target = next_path
    if target == "/app":
        signed_in = await run_in_threadpool(ctx.signin.resume, grant.secret, now=now)
        target = HOME_BY_ROLE.get(signed_in.actor.role.value, "/app/procedures") if signed_in else "/app"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, grant.secret, httponly=True, samesite="lax", secure=secure_cookies(ctx),
                        path="/", max_age=int(ctx.signin.lifetime.total_seconds()))
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/app/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, ctx: Ctx, now: Now, form: Form) -> Response:
    ctx.signin.sign_out(request.cookies.get(SESSION_COOKIE, ""), now=now)
    response = RedirectResponse("/app/sign-in?signed_out=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language")
def choose_language(ctx: Ctx, to: Annotated[str, Query(max_length=5)] = "de",
                    next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """Only a preference cookie is set, so a plain link may do it."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, to, max_age=YEAR, samesite="lax", secure=secure_cookies(ctx), path="/")
    return response


@router.get("")
def home(request: Request, ctx: Ctx, now: Now) -> Response:
    """Each role starts where its work is."""
    secret = request.cookies.get(SESSION_COOKIE)
    signed_in = ctx.signin.resume(secret, now=now) if secret else None
    if signed_in is None:
        return RedirectResponse("/app/sign-in", status_code=303)
    return RedirectResponse(HOME_BY_ROLE.get(signed_in.actor.role.value, "/app/procedures"), status_code=303)
