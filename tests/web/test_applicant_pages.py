"""The applicant's pages: my proposals, the draft form with its funding plan, the calendar feed."""

from __future__ import annotations

from typing import Any

from api.web.pages.applicant import parse_decimal
from tests.factories import WHILE_OPEN, World, complete_plan, new_draft
from tests.web.conftest import field_error, page
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role


def plan_fields(rows: list[dict[str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i, row in enumerate(rows):
        for column, value in row.items():
            fields[f"plan-{i}-{column}"] = value
    return fields


def draft_form(title: str = "MINT-Netzwerk Leipzig", **plan: str) -> dict[str, Any]:
    row = {"year": "2026", "fte": "0,5", "staff": "18.000,00", "material": "4000.00", "grant": "19.800",
           "own": "2.200,00", "source": "Kofinanzierung Stadt Leipzig"}
    row.update(plan)
    return {"title": title, "summary": "Vernetzung der MINT-Angebote", "target_group": "Schulen",
            "goals": "Verstetigung", "partners": "HTWK Leipzig\n\nInspirata e.V.\n", **plan_fields([row])}


def test_my_proposals_lists_the_organisations_proposals_only(ctx: Context, world: World, browser_for: Any) -> None:
    new_draft(ctx, world, title="MINT-Netzwerk Leipzig")
    ctx.proposals.create_draft(world.other_applicant, {"round_id": world.round_id, "title": "Logistik-Akademie"},
                               now=WHILE_OPEN)
    browser = browser_for(world.actor(Role.APPLICANT))
    response = browser.get("/app/proposals")
    assert response.status_code == 200
    html = page(response)
    rows = html.select("table.proposals tbody tr")
    assert len(rows) == 1
    assert "MINT-Netzwerk Leipzig" in rows[0].get_text()
    assert "Entwurf" in rows[0].get_text()
    assert "Einreichungstermin" in rows[0].get_text()  # what is due next: the round's deadline
    assert "01.06.2026" in rows[0].get_text()  # the end of 31 May
    assert "Logistik-Akademie" not in response.text
    assert html.find("button", string="Neuer Antrag") is not None
    assert html.find("a", string="Meine Anträge") is not None  # the nav shows it to applicants


def test_a_new_draft_is_saved_with_german_and_plain_numbers(ctx: Context, world: World, browser_for: Any) -> None:
    browser = browser_for(world.actor(Role.APPLICANT))
    form = browser.get(f"/app/proposals/new?round={world.round_id}")
    assert form.status_code == 200
    html = page(form)
    assert html.find("table", id="plan").get("data-msg-over")  # the live check's texts, in German
    assert html.select("[aria-live=polite]")
    assert html.find("label", attrs={"for": "f-plan-0-grant"}) is not None
    assert len(html.select("tr.plan-row")) >= 3  # enough rows without the script
    response = browser.post(f"/app/proposals/new?round={world.round_id}", draft_form())
    assert response.status_code == 303, response.text
    shown = browser.get(response.headers["location"])
    text = page(shown).get_text(" ")
    assert "MINT-Netzwerk Leipzig" in text and "Inspirata e.V." in text
    assert "18.000,00 €" in text and "19.800,00 €" in text and "22.000,00 €" in text


def test_bad_numbers_are_shown_next_to_their_fields_and_what_was_typed_is_kept(
        ctx: Context, world: World, browser_for: Any) -> None:
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/new?round={world.round_id}")
    response = browser.post(f"/app/proposals/new?round={world.round_id}",
                            draft_form(title="M", grant="viel", own="12,345", year="26"))
    assert response.status_code == 422
    assert "kein Betrag in Euro" in field_error(response, "plan-0-grant")
    assert "zwei Nachkommastellen" in field_error(response, "plan-0-own")
    assert "Jahr" in field_error(response, "plan-0-year")
    assert "mindestens 3 Zeichen" in field_error(response, "title")
    html = page(response)
    assert html.find(id="f-plan-0-grant")["value"] == "viel"
    assert html.find(id="f-plan-0-staff")["value"] == "18.000,00"
    assert html.find(id="f-partners").get_text() == "HTWK Leipzig\n\nInspirata e.V.\n"
    assert html.find(id="f-plan-0-grant")["aria-invalid"] == "true"
    assert ctx.proposals.visible(SYSTEM)[0] == []  # nothing was saved


def test_editing_keeps_the_typed_data_when_someone_saved_in_between(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    form = browser.get(f"/app/proposals/{proposal_id}/edit")
    assert page(form).find(id="f-plan-0-staff")["value"] == "40.000,00"
    ctx.proposals.edit_draft(world.actor(Role.APPLICANT), proposal_id, {"title": "Anderswo geändert"},
                             expected_version=1, now=WHILE_OPEN)
    stale = browser.post(f"/app/proposals/{proposal_id}/edit", {**draft_form(title="Meine Fassung"), "version": "1"})
    assert stale.status_code == 409
    assert "Jemand anderes hat diesen Antrag inzwischen gespeichert" in stale.text
    html = page(stale)
    assert html.find(id="f-title")["value"] == "Meine Fassung"
    assert html.find("input", attrs={"name": "version"})["value"] == "2"
    again = browser.post(f"/app/proposals/{proposal_id}/edit", {**draft_form(title="Meine Fassung"), "version": "2"})
    assert again.status_code == 303
    assert "Meine Fassung" in browser.get(f"/app/proposals/{proposal_id}").text


def test_calendar_feed_has_the_viewers_deadlines(ctx: Context, world: World, browser_for: Any) -> None:
    new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    response = browser.get("/app/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    assert "BEGIN:VEVENT" in response.text and "Einreichungstermin" in response.text


def test_a_form_without_the_csrf_token_changes_nothing(ctx: Context, world: World, browser_for: Any) -> None:
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/new?round={world.round_id}")
    response = browser.post(f"/app/proposals/new?round={world.round_id}", draft_form(), csrf="")
    assert response.status_code == 403
    assert ctx.proposals.visible(SYSTEM)[0] == []


def test_plan_complete_helper_is_what_the_tests_submit() -> None:
    assert complete_plan()[0]["grant_requested"] == "45000.00"


def test_amounts_are_read_as_people_type_them_in_each_language() -> None:
    german = {"18.000,50": "18000.50", "18000.50": "18000.50", "18000,50": "18000.50", "18.000": "18000",
              "1.234.567,89 €": "1234567.89", "0,5": "0.5", "18,000": "18.000"}
    for typed, meant in german.items():
        assert str(parse_decimal(typed, "de")) == meant, typed
    assert str(parse_decimal("18,000", "en")) == "18000"
    assert str(parse_decimal("18,000.50", "en")) == "18000.50"
    for nonsense in ("viel", "1,2,3", "1.2.3", "-5", "", "1e5"):
        assert parse_decimal(nonsense) is None, nonsense
