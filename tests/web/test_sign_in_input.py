"""Whatever the sign-in form is sent, it answers with the form and a message, never an error page: characters a
database cannot store (NUL on PostgreSQL), very long values, control characters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.web.conftest import Browser


@pytest.mark.parametrize(("email", "password"), [
    ("anna\x00@example.org", "ein-langes-passwort"),
    ("anna@example.org", "ein\x00langes-passwort"),
    ("a" * 5000 + "@example.org", "ein-langes-passwort"),
    ("anna@example.org\r\nBcc: x@example.org", "p" * 5000),
], ids=["nul in the address", "nul in the password", "long address", "header injection and long password"])
def test_odd_sign_in_input_is_a_wrong_sign_in(app_client: TestClient, world: World, email: str,
                                              password: str) -> None:
    browser = Browser(app_client)
    browser.get("/app/sign-in")
    answer = browser.post("/app/sign-in", {"method": "password", "email": email, "password": password})
    assert answer.status_code == 422, answer.text[:500]
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in answer.text
