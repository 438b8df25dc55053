"""An applicant in a real browser: signs in, starts a draft, is held back by the 90 % rule (live while typing,
and at submission), fixes the plan, submits, and sees the new state."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Screenshots
from tests.factories import World
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role


def sign_in(page: Any, ctx: Context, user_id: int | None) -> None:
    assert user_id is not None
    page.goto("/app/sign-in")
    page.get_by_label("Zugangsschlüssel (beginnt mit fw_)").fill(ctx.admin.issue_token(SYSTEM, user_id))
    page.locator("form:has(#f-token) button[type=submit]").click()
    page.wait_for_load_state()


def fill_plan_row(page: Any, *, year: str, staff: str, material: str, grant: str, own: str, source: str) -> None:
    for column, value in (("year", year), ("staff", staff), ("material", material), ("grant", grant),
                          ("own", own), ("source", source)):
        page.locator(f"#f-plan-0-{column}").fill(value)


def test_draft_refused_by_the_90_percent_rule_then_fixed_and_submitted(
        open_page: Any, shots: Screenshots, ctx: Context, world: World) -> None:
    page = open_page()
    sign_in(page, ctx, world.actor(Role.APPLICANT).user_id)
    assert page.url.endswith("/app/proposals")
    shots(page, "my-proposals-empty")

    page.get_by_role("button", name="Neuer Antrag in der Runde Einreichungstermin 31. Mai").click()
    page.get_by_label("Titel").fill("MINT-Netzwerk Leipzig")
    page.locator("#f-summary").fill("Schulische und außerschulische MINT-Angebote vernetzen.")
    # 46.000 of 50.000 is 92 %: the page says so while the applicant types, before anything is sent.
    fill_plan_row(page, year="2026", staff="40.000", material="10.000", grant="46.000", own="4.000",
                  source="Eigenmittel des Vereins")
    live = page.locator("#check-0")
    live.filter(has_text="über 90 %").wait_for()
    assert "höchstens 45.000,00 €" in live.inner_text().replace("\xa0", " ")
    assert live.get_attribute("aria-live") == "polite"
    shots(page, "draft-form-live-90-percent-check")

    page.get_by_role("button", name="Entwurf speichern").click()  # a draft may be saved incomplete
    page.wait_for_url("**/app/proposals/*")
    assert page.locator(".proposal-state .state").inner_text() == "Entwurf"
    plan_problem = page.locator("#e-funding_plan")
    assert "90 %" in plan_problem.inner_text()
    submit = page.locator("#step-submit button[type=submit]")
    assert submit.is_disabled()  # refused: the rule names itself beside the button
    assert "90 %" in page.locator("#step-submit ul.blocked").inner_text()
    shots(page, "proposal-submit-refused-by-90-percent-rule")

    page.get_by_role("link", name="Entwurf bearbeiten").click()
    page.locator("#f-plan-0-grant").fill("45.000")
    page.locator("#f-plan-0-own").fill("5.000")
    page.locator("#check-0").filter(has_text="in Ordnung").wait_for()
    shots(page, "draft-form-fixed")
    page.get_by_role("button", name="Entwurf speichern").click()
    page.wait_for_url("**/app/proposals/*")
    assert page.locator("#e-funding_plan").count() == 0

    page.locator("#step-submit button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".proposal-state .state").inner_text() == "Eingereicht"
    assert "Einreichen" in page.locator("#h-history + *").inner_text() or "Einreichen" in page.inner_text("main")
    shots(page, "proposal-submitted")

    page.goto("/app/proposals")
    assert "Eingereicht" in page.locator("main table").inner_text()
    shots(page, "my-proposals-submitted")
    proposal_state = ctx.proposals.visible(world.actor(Role.APPLICANT))[0][0].state
    assert proposal_state == "submitted"
