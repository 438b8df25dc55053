"""Pages are Jinja2 templates, rendered in the viewer's language with German dates and euro amounts."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from api.web.texts import LANGUAGES, Texts
from workflow.people.desks import desks_of
from workflow.proposals.money import to_euros
from workflow.timeutil import DEFAULT_ZONE

FOLDER = Path(__file__).parent
LANGUAGE_COOKIE = "fw_lang"
templates = Jinja2Templates(directory=FOLDER / "templates")
# A name a template uses but no page gives is a bug to see in the tests, not a blank on the page.
templates.env.undefined = StrictUndefined
# The navigation (base.html) offers the desks the engine opens to the viewer, not desks it works out from roles.
templates.env.globals["desks_of"] = desks_of


def grouped(cents: int, language: str = "de") -> str:
    """An amount without currency, as people write it: 1.234,50 in German, 1,234.50 in English."""
    amount = f"{to_euros(cents):,.2f}"
    return amount.replace(",", " ").replace(".", ",").replace(" ", ".") if language == "de" else amount


def money(cents: int | None, language: str = "de") -> str:
    """1.234,50 € in German, €1,234.50 in English."""
    if cents is None:
        return "–"
    sign = "−" if cents < 0 else ""
    return f"{sign}{grouped(abs(cents), language)} €" if language == "de" else f"{sign}€{grouped(abs(cents), language)}"


def when(moment: datetime | None, language: str = "de") -> str:
    """A moment as the people in Saxony read it: local time, day first in German."""
    if moment is None:
        return "–"
    local = moment.astimezone(DEFAULT_ZONE)
    return local.strftime("%d.%m.%Y, %H:%M Uhr") if language == "de" else local.strftime("%d %b %Y, %H:%M")


def day(value: date | datetime | None, language: str = "de") -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(DEFAULT_ZONE).date()
    return value.strftime("%d.%m.%Y") if language == "de" else value.strftime("%d %b %Y")


def language_of(request: Request) -> str:
    """The language the viewer chose (cookie), else their account's, else the browser's first choice, else German."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    viewer = getattr(request.state, "viewer", None)
    if viewer is not None:
        return str(viewer.actor.language)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "de"


def texts_for(request: Request) -> Texts:
    """t(key, **values) in the viewer's language, for messages a page handler writes."""
    return Texts(language_of(request))


def render(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    """The page with what every template may use: t() for texts, the viewer, the CSRF token, formatters."""
    language = language_of(request)
    viewer = getattr(request.state, "viewer", None)
    values.update(
        request=request, lang=language, t=Texts(language), viewer=viewer,
        csrf=viewer.csrf_token if viewer is not None else getattr(request.state, "sign_in_csrf", ""),
        money=partial(money, language=language), when=partial(when, language=language),
        day=partial(day, language=language),
    )
    return templates.TemplateResponse(request, template, values, status_code=status)
