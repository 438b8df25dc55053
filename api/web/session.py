"""Who is looking at a page (the session cookie), and whether a form really comes from our own page (CSRF)."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from api.deps import Ctx, Now
from workflow.errors import DomainError
from workflow.people.signin import SignedIn

SESSION_COOKIE = "fw_session"
MAX_FORM_FIELDS = 2000


class SignInRequired(DomainError):
    """No valid sign-in: the page redirects to the sign-in form and comes back after it."""


class CsrfRefused(DomainError):
    """A form without this browser's CSRF token, or posted from another site."""


def viewer(request: Request, ctx: Ctx, now: Now) -> SignedIn:
    secret = request.cookies.get(SESSION_COOKIE)
    signed_in = ctx.signin.resume(secret, now=now) if secret else None
    if signed_in is None:
        raise SignInRequired(request.url.path)
    request.state.viewer = signed_in
    return signed_in


Viewer = Annotated[SignedIn, Depends(viewer)]


def same_origin(request: Request) -> bool:
    """Browsers send Origin with every POST; one from another site is refused even before the token is checked."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def checked_form(request: Request, signed_in: Viewer) -> FormData:
    """The posted form, once its CSRF token matches the sign-in's (compared in constant time)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    sent = form.get("csrf")
    if not same_origin(request) or not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode(), signed_in.csrf_token.encode()):
        raise CsrfRefused("the form's CSRF token does not match this sign-in")
    return form


Form = Annotated[FormData, Depends(checked_form)]


def local_path(target: str | None, fallback: str = "/app") -> str:
    """Where to go after signing in: only a path on this site, never another host (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback
