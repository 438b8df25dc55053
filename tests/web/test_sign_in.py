"""Signing in and out of the web pages: token or password, cookies, CSRF, expiry, language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.web.conftest import Browser, Clock, field_error, page
from workflow.context import Context
from workflow.errors import InvalidInput
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models


def _user_id(world: World, role: Role) -> int:
    user_id = world.actor(role).user_id
    assert user_id is not None
    return user_id


def test_the_sign_in_page_is_german_by_default_and_locked_down(app_client: TestClient) -> None:
    response = app_client.get("/app/sign-in")
    assert response.status_code == 200
    html = page(response)
    assert html.html is not None and html.html["lang"] == "de"
    assert html.find("label", attrs={"for": "f-token"}).get_text(strip=True).startswith("Zugangsschlüssel")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    csrf_cookie = response.headers["set-cookie"]
    assert "fw_signin_csrf=" in csrf_cookie and "HttpOnly" in csrf_cookie and "SameSite=strict" in csrf_cookie


def test_a_token_signs_in_with_an_httponly_samesite_cookie_and_lands_on_the_roles_start_page(
        app_client: TestClient, ctx: Context, world: World) -> None:
    browser = Browser(app_client)
    response = browser.sign_in_with_token(ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT)))
    assert response.status_code == 303
    assert response.headers["location"] == "/app/proposals"
    cookie = response.headers["set-cookie"]
    assert "fw_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # public_url is http://127.0.0.1 in tests


def test_a_wrong_token_is_refused_next_to_the_field(app_client: TestClient, world: World) -> None:
    browser = Browser(app_client)
    response = browser.sign_in_with_token("fw_not-a-token")
    assert response.status_code == 422
    assert field_error(response, "token") == "Dieser Zugangsschlüssel ist nicht gültig."
    assert "fw_session" not in response.headers.get("set-cookie", "")


def test_password_sign_in_needs_the_right_password(app_client: TestClient, ctx: Context, world: World) -> None:
    user_id = _user_id(world, Role.MANAGER)
    with ctx.db.write() as session:
        user = session.get(models.User, user_id)
        assert user is not None
        user.email = "agentur@example.org"
        session.add(user)
    ctx.signin.set_password(SYSTEM, user_id, "richtig-langes-passwort")
    browser = Browser(app_client)
    browser.get("/app/sign-in")
    wrong = browser.post("/app/sign-in", {"method": "password", "email": "agentur@example.org",
                                          "password": "falsches-passwort"})
    assert wrong.status_code == 422
    assert field_error(wrong, "password") == "E-Mail-Adresse oder Passwort stimmen nicht."
    assert page(wrong).find(id="f-email")["value"] == "agentur@example.org"  # what was typed is kept
    browser.get("/app/sign-in")
    empty = browser.post("/app/sign-in", {"method": "password", "email": "", "password": ""})
    assert field_error(empty, "email") and field_error(empty, "password")
    browser.get("/app/sign-in")
    right = browser.post("/app/sign-in", {"method": "password", "email": "Agentur@Example.org ",
                                          "password": "richtig-langes-passwort"})
    assert right.status_code == 303 and right.headers["location"] == "/app/rounds"


def test_short_passwords_are_refused(ctx: Context, world: World) -> None:
    with pytest.raises(InvalidInput, match="at least 10"):
        ctx.signin.set_password(SYSTEM, _user_id(world, Role.MANAGER), "kurz")


def test_sign_in_without_the_forms_token_or_from_another_site_is_refused(
        app_client: TestClient, ctx: Context, world: World) -> None:
    token = ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT))
    browser = Browser(app_client)
    browser.get("/app/sign-in")
    forged = browser.post("/app/sign-in", {"method": "token", "token": token}, csrf="guessed")
    assert forged.status_code == 403
    assert "Das Formular ist abgelaufen" in forged.text
    browser.get("/app/sign-in")
    foreign = app_client.post("/app/sign-in", data={"method": "token", "token": token, "csrf": browser.csrf},
                              headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403


def test_pages_need_a_sign_in_and_come_back_after_it(app_client: TestClient, ctx: Context, world: World) -> None:
    response = app_client.get("/app/somewhere?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/sign-in?next=%2Fapp%2Fsomewhere%3Fx%3D1"
    browser = Browser(app_client)
    browser.get(response.headers["location"])
    token = ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT))
    back = browser.post("/app/sign-in", {"method": "token", "token": token, "next": "/app/somewhere?x=1"})
    assert back.headers["location"] == "/app/somewhere?x=1"


def test_next_never_leads_to_another_site(app_client: TestClient, ctx: Context, world: World) -> None:
    token = ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT))
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        browser = Browser(app_client)
        browser.get("/app/sign-in")
        response = browser.post("/app/sign-in", {"method": "token", "token": token, "next": target})
        assert response.headers["location"] == "/app/proposals", target


def test_sign_out_ends_the_sign_in_for_good_and_needs_the_csrf_token(
        app_client: TestClient, ctx: Context, world: World) -> None:
    browser = Browser(app_client)
    browser.sign_in_with_token(ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT)))
    signed_in = browser.get("/app/no-such-page")
    assert signed_in.status_code == 404 and "Angemeldet als Prof. Wieland" in signed_in.text
    stolen = app_client.cookies.get("fw_session")
    refused = browser.post("/app/sign-out", {}, csrf="forged")
    assert refused.status_code == 403
    assert browser.get("/app/no-such-page").status_code == 404  # still signed in
    out = browser.post("/app/sign-out", {})
    assert out.status_code == 303 and out.headers["location"] == "/app/sign-in?signed_out=true"
    assert "Sie sind abgemeldet." in app_client.get(out.headers["location"]).text
    replay = TestClient(app_client.app, base_url="http://127.0.0.1:8000", cookies={"fw_session": stolen or ""})
    assert replay.get("/app/no-such-page", follow_redirects=False).status_code == 303


def test_a_sign_in_expires(app_client: TestClient, ctx: Context, world: World, clock: Clock) -> None:
    browser = Browser(app_client)
    browser.sign_in_with_token(ctx.admin.issue_token(SYSTEM, _user_id(world, Role.APPLICANT)))
    assert browser.get("/app/no-such-page").status_code == 404
    clock.now += timedelta(hours=ctx.settings.web.session_hours, seconds=1)
    assert browser.get("/app/no-such-page", follow_redirects=False).status_code == 303


def test_language_switch_keeps_the_page_and_speaks_english(app_client: TestClient) -> None:
    response = app_client.get("/app/language?to=en&next=/app/sign-in", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/sign-in"
    english = app_client.get("/app/sign-in")
    assert page(english).html["lang"] == "en"
    assert "Sign in with your e-mail address" in english.text
    assert app_client.get("/app/language?to=xx&next=//evil.example", follow_redirects=False
                          ).headers["location"] == "/app"


def test_the_root_leads_to_the_pages(app_client: TestClient) -> None:
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/app"
    assert app_client.get("/app", follow_redirects=False).headers["location"] == "/app/sign-in"
