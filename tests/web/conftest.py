"""Web page fixtures: the real app on a test database, a settable clock, and a browser-like client per person
that signs in through the sign-in form and sends each form with the CSRF token of its page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from httpx2 import Response

from api.app import create_app
from tests.factories import WHILE_OPEN, World, make_world
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor


@dataclass
class Clock:
    now: datetime = WHILE_OPEN

    def __call__(self) -> datetime:
        return self.now


def page(response: Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def field_error(response: Response, name: str) -> str:
    """The message shown next to the form field `name` ('' if there is none)."""
    found = page(response).find(id=f"e-{name}")
    return found.get_text(" ", strip=True) if found else ""


class Browser:
    """One person's browser: a cookie jar, and forms sent with the CSRF token their page carried."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> Response:
        response = self.client.get(path, **kwargs)
        token = page(response).find("input", attrs={"name": "csrf"}) if "text/html" in response.headers.get(
            "content-type", "") else None
        if token is not None and token.get("value"):
            self.csrf = str(token["value"])
        return response

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None, *,
             csrf: str | None = None, **kwargs: Any) -> Response:
        """Send a form as a browser does, following no redirect (a test looks at where it leads)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields.append(("csrf", self.csrf if csrf is None else csrf))
        return self.client.post(path, content=_encode(fields),
                                headers={"Content-Type": "application/x-www-form-urlencoded",
                                         "Origin": str(self.client.base_url)},
                                follow_redirects=False, **kwargs)

    def sign_in_with_token(self, token: str) -> Response:
        self.get("/app/sign-in")
        return self.post("/app/sign-in", {"method": "token", "token": token})


def _encode(fields: list[tuple[str, Any]]) -> bytes:
    return urlencode([(k, "" if v is None else str(v)) for k, v in fields]).encode()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


@pytest.fixture
def app_client(ctx: Context, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(ctx, clock=clock), base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture
def browser_for(ctx: Context, clock: Clock) -> Iterator[Any]:
    """browser_for(actor) gives a signed-in Browser of that person (each with its own cookie jar)."""
    opened: list[TestClient] = []

    def open_as(actor: Actor) -> Browser:
        assert actor.user_id is not None
        client = TestClient(create_app(ctx, clock=clock), base_url="http://127.0.0.1:8000")
        client.__enter__()
        opened.append(client)
        browser = Browser(client)
        response = browser.sign_in_with_token(ctx.admin.issue_token(SYSTEM, actor.user_id))
        assert response.status_code == 303, response.text
        browser.get(response.headers["location"])
        return browser

    yield open_as
    for client in opened:
        client.__exit__(None, None, None)
