"""A 405 says which methods the address takes (RFC 9110, 15.5.6: the Allow header is required), for the API, the
pages and the static files alike (issue 22)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from api.app import create_app
from tests.api.conftest import ApiWorld

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed(response: Response) -> set[str]:
    allow = response.headers.get("allow")
    assert allow is not None, "a 405 without Allow"
    return {m.strip() for m in allow.split(",") if m.strip()}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    pytest.param("DELETE", "/proposals", {"GET", "POST"}, id="two routes on one path"),
    pytest.param("PUT", "/health", {"GET"}, id="one route"),
    pytest.param("DELETE", "/proposals/1", {"GET", "PATCH"}, id="a path with an id"),
    pytest.param("DELETE", "/app/proposals/1/history.csv", {"GET", "POST"}, id="a page"),
    pytest.param("POST", "/app/static/style.css", {"GET", "HEAD"}, id="a static file"),
])
def test_a_405_names_every_method_the_address_takes(client: TestClient, api: ApiWorld, method: str, path: str,
                                                    allowed: set[str]) -> None:
    response = client.request(method, path, headers=api.headers("admin"))
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert _allowed(response) == allowed


def test_every_documented_path_answers_an_unsupported_method_with_its_allow_header(
        client: TestClient, api: ApiWorld) -> None:
    """Each method in Allow is taken (anything but 405), the one sent is not in it."""
    client.headers.update(api.headers("admin"))
    for template, operations in create_app().openapi()["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        unsupported = next(m for m in METHODS if m.lower() not in operations)
        response = client.request(unsupported, path)
        assert response.status_code == 405, (unsupported, path)
        allowed = _allowed(response)
        assert {m.lower() for m in allowed} >= set(operations) - {"parameters"}, path
        assert unsupported not in allowed
        for method in allowed - {"HEAD"}:
            assert client.request(method, path).status_code != 405, (method, path)
