"""Signing in with a real browser: the form, the cookie, the page in the viewer's language."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Screenshots
from tests.factories import World
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role


def test_an_applicant_signs_in_with_a_token_and_out_again(
        open_page: Any, shots: Screenshots, ctx: Context, world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    assert applicant.user_id is not None
    token = ctx.admin.issue_token(SYSTEM, applicant.user_id)
    page = open_page()
    page.goto("/app")
    assert page.url.endswith("/app/sign-in")
    page.get_by_label("Zugangsschlüssel (beginnt mit fw_)").fill("fw_wrong")
    page.get_by_role("button", name="Anmelden").nth(1).click()
    assert page.locator("#e-token").inner_text() == "Dieser Zugangsschlüssel ist nicht gültig."
    shots(page, "sign-in-refused")
    page.get_by_label("Zugangsschlüssel (beginnt mit fw_)").fill(token)
    page.get_by_role("button", name="Anmelden").nth(1).click()
    page.wait_for_url("**/app/proposals")
    assert "Angemeldet als Prof. Wieland" in page.inner_text("header")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url("**/app/sign-in?signed_out=true")
    assert "Sie sind abgemeldet." in page.inner_text("main")
    shots(page, "signed-out")
