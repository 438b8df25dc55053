"""The proposal page: what it shows, the next steps as forms (with their inputs and refusals), condition answers,
the history as CSV, and who may see it."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.factories import AFTER_CLOSE, WHILE_OPEN, World, new_draft, proposal_in
from tests.web.conftest import Clock, field_error, page
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

OVER_90 = [{"year": 2026, "staff_fte": "1.0", "staff_costs": "40000", "material_costs": "10000",
            "grant_requested": "47500", "own_share": "2500", "own_share_source": "Kofinanzierung Stadt Leipzig"}]


def step_form(response: Any, name: str) -> Any:
    return page(response).find("form", id=f"step-{name}")


def fire(browser: Any, proposal_id: int, transition: str, **fields: str) -> Any:
    shown = browser.get(f"/app/proposals/{proposal_id}")
    version = step_form(shown, transition).find("input", attrs={"name": "version"})["value"]
    data = {"transition": transition, "version": version}
    data.update({f"{transition}-{k}": v for k, v in fields.items()})
    return browser.post(f"/app/proposals/{proposal_id}/transitions", data)


def test_the_page_shows_content_plan_deadlines_history_and_links(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    response = browser_for(world.actor(Role.APPLICANT)).get(f"/app/proposals/{proposal_id}")
    assert response.status_code == 200
    html = page(response)
    assert html.h1.get_text() == "MINT-Netzwerk Leipzig"
    assert html.find(class_="state").get_text() == "Entwurf"
    text = html.get_text(" ")
    assert "HTWK Leipzig" in text and "45.000,00 €" in text and "40.000,00 €" in text
    assert "Antrag angelegt" in text and "Prof. Wieland" in text
    assert html.find("a", string="Verlauf als CSV")["href"] == f"/app/proposals/{proposal_id}/history.csv"
    assert html.find("a", string="Termine im Kalender")["href"] == "/app/calendar.ics"
    assert html.find("a", href="/app/procedures/saxony-regional/2") is not None
    assert step_form(response, "submit").find("button").get_text() == "Einreichen"
    assert len(html.find_all("h1")) == 1 and html.find(["h1", "h2"]).name == "h1"  # headings in order


def test_submit_is_refused_with_the_90_percent_message_then_succeeds_after_fixing(
        ctx: Context, world: World, browser_for: Any) -> None:
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/new?round={world.round_id}")
    saved = browser.post(f"/app/proposals/new?round={world.round_id}", {
        "title": "Zu viel Zuschuss", "plan-0-year": "2026", "plan-0-staff": "40.000", "plan-0-material": "10.000",
        "plan-0-grant": "47.500", "plan-0-own": "2.500", "plan-0-source": "Stadt Leipzig"})
    assert saved.status_code == 303  # an incomplete draft may be saved
    proposal_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    shown = browser.get(f"/app/proposals/{proposal_id}")
    assert "90 %" in field_error(shown, "funding_plan")  # said beside the plan before anyone tries
    assert step_form(shown, "submit").find("button").has_attr("disabled")
    refused = browser.post(f"/app/proposals/{proposal_id}/transitions",
                           {"transition": "submit", "version": "1", "submit-reason": ""})
    assert refused.status_code == 422
    assert "höchstens 90 % Zuschuss" in field_error(refused, "funding_plan")
    assert "höchstens 90 % Zuschuss" in field_error(refused, "submit")
    assert ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).state == "draft"
    edit = browser.get(f"/app/proposals/{proposal_id}/edit")
    version = page(edit).find("input", attrs={"name": "version"})["value"]
    fixed = browser.post(f"/app/proposals/{proposal_id}/edit", {
        "version": version, "title": "Zu viel Zuschuss", "plan-0-year": "2026", "plan-0-staff": "40.000",
        "plan-0-material": "10.000", "plan-0-grant": "45.000,00", "plan-0-own": "5.000,00",
        "plan-0-source": "Stadt Leipzig"})
    assert fixed.status_code == 303
    done = fire(browser, proposal_id, "submit")
    assert done.status_code == 303
    after = browser.get(done.headers["location"])
    assert page(after).find(class_="state").get_text() == "Eingereicht"
    assert "Einreichen" in page(after).find("ol", class_="timeline").get_text()


def test_a_step_sent_with_an_old_version_says_so_and_changes_nothing(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/{proposal_id}")
    ctx.proposals.edit_draft(world.actor(Role.APPLICANT), proposal_id, {"title": "Neuer Titel"},
                             expected_version=1, now=WHILE_OPEN)
    stale = browser.post(f"/app/proposals/{proposal_id}/transitions",
                         {"transition": "withdraw", "version": "1", "withdraw-reason": "Kein Personal gefunden"})
    assert stale.status_code == 409
    assert "Jemand anderes hat den Antrag inzwischen geändert" in stale.text
    assert page(stale).find(id="f-withdraw-reason").get_text() == "Kein Personal gefunden"
    assert ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).state == "draft"


def test_a_missing_reason_is_shown_next_to_the_reason_field(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    refused = fire(browser, proposal_id, "withdraw", reason="")
    assert refused.status_code == 422
    assert "Begründung" in field_error(refused, "withdraw-reason")


def test_the_applicant_answers_a_condition_while_revising(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "revision_requested")
    clock.now = AFTER_CLOSE
    browser = browser_for(world.actor(Role.APPLICANT))
    shown = browser.get(f"/app/proposals/{proposal_id}")
    conditions = page(shown).find(id="conditions")
    assert "Kooperativen Ansatz mit HTWK" in conditions.get_text()
    condition = ctx.conditions.conditions(SYSTEM, proposal_id)[0]
    empty = browser.post(f"/app/proposals/{proposal_id}/conditions/{condition.id}/answer",
                         {f"answer-{condition.id}": "  ", f"evidence-{condition.id}": "Vertrag"})
    assert empty.status_code == 422
    assert field_error(empty, f"answer-{condition.id}") == "Bitte schreiben Sie eine Antwort."
    assert page(empty).find(id=f"f-evidence-{condition.id}").get_text() == "Vertrag"
    answered = browser.post(f"/app/proposals/{proposal_id}/conditions/{condition.id}/answer", {
        f"answer-{condition.id}": "Kooperationsvereinbarung geschlossen",
        f"evidence-{condition.id}": "Vereinbarung mit der HTWK vom 08.06.2026\nProtokoll"})
    assert answered.status_code == 303
    after = ctx.conditions.conditions(SYSTEM, proposal_id)[0]
    assert after.status == "answered" and after.evidence == ["Vereinbarung mit der HTWK vom 08.06.2026", "Protokoll"]
    assert "beantwortet" in page(browser.get(f"/app/proposals/{proposal_id}")).find(id="conditions").get_text()


def test_the_manager_forwards_with_inputs_and_the_bank_approves(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "prioritised")
    clock.now = AFTER_CLOSE
    manager = browser_for(world.actor(Role.MANAGER))
    form = step_form(manager.get(f"/app/proposals/{proposal_id}"), "forward")
    assert form.find("label", attrs={"for": "f-forward-documents"}).get_text(strip=True).startswith(
        "Übersandte Unterlagen")
    forwarded = fire(manager, proposal_id, "forward", documents="Antrag\nBeschluss der Lenkungsgruppe")
    assert forwarded.status_code == 303
    history = ctx.proposals.history(SYSTEM, proposal_id)
    assert history[-1].inputs["documents"] == ["Antrag", "Beschluss der Lenkungsgruppe"]
    bank = browser_for(world.actor(Role.BANK))
    bad = fire(bank, proposal_id, "approve", bank_reference="SAB-1", decision_date="32.13.2026",
               approved_amounts="2026 viel")
    assert bad.status_code == 422
    assert field_error(bad, "approve-approved_amounts").startswith("Bitte je Zeile ein Jahr")
    assert page(bad).find(id="f-approve-bank_reference")["value"] == "SAB-1"
    wrong_date = fire(bank, proposal_id, "approve", bank_reference="SAB-1", decision_date="32.13.2026")
    assert wrong_date.status_code == 422 and "date" in field_error(wrong_date, "approve-decision_date")
    approved = fire(bank, proposal_id, "approve", bank_reference="SAB-2026-0815", decision_date="01.09.2026",
                    approved_amounts="2026: 45.000,00")
    assert approved.status_code == 303
    view = ctx.proposals.get(SYSTEM, proposal_id, now=AFTER_CLOSE)
    assert view.state == "approved"
    last = ctx.proposals.history(SYSTEM, proposal_id)[-1]
    assert last.inputs["decision_date"] == "2026-09-01"
    assert last.inputs["approved_amounts"] == {"2026": "45000.00"}
    assert page(bank.get(f"/app/proposals/{proposal_id}")).find(class_="state").get_text() == "Bewilligt"


def test_a_step_without_the_csrf_token_is_refused_and_changes_nothing(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/{proposal_id}")
    response = browser.post(f"/app/proposals/{proposal_id}/transitions",
                            {"transition": "withdraw", "version": "1", "withdraw-reason": "weg"}, csrf="forged")
    assert response.status_code == 403
    assert "Das Formular ist abgelaufen" in response.text
    assert ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).state == "draft"


def test_the_history_as_csv_opens_in_german_excel(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    done = fire(browser, proposal_id, "withdraw", reason="=HYPERLINK(\"x\") – Förderung anderweitig gesichert")
    assert done.status_code == 303
    response = browser.get(f"/app/proposals/{proposal_id}/history.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="antrag-' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Zeitpunkt", "Wer", "Rolle", "Von", "Nach", "Schritt", "Begründung"]
    assert rows[1][1:3] == ["Prof. Wieland", "Antragsteller"] and rows[1][5] == "Antrag angelegt"
    assert rows[2][3:6] == ["Entwurf", "Zurückgezogen", "Zurückziehen"]
    assert rows[2][6].startswith("'=HYPERLINK")  # no formula runs when the file is opened


def test_another_organisations_proposal_is_not_found(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    other = browser_for(world.other_applicant)
    for path in (f"/app/proposals/{proposal_id}", f"/app/proposals/{proposal_id}/edit",
                 f"/app/proposals/{proposal_id}/history.csv", "/app/proposals/999999"):
        response = other.get(path)
        assert response.status_code == 404, path
        assert "Diese Seite gibt es nicht" in response.text
    assert "MINT-Netzwerk" not in other.get("/app/proposals").text


def test_the_page_speaks_english(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/language?to=en&next=/app/proposals/{proposal_id}")
    response = browser.get(f"/app/proposals/{proposal_id}")
    html = page(response)
    assert html.html["lang"] == "en"
    assert html.find(class_="state").get_text() == "Draft"
    assert "What you may do next" in response.text and "History as CSV" in response.text
    assert "€45,000.00" in response.text
    assert step_form(response, "submit").find("button").get_text() == "Submit"
    form = browser.get(f"/app/proposals/{proposal_id}/edit")
    assert page(form).find(id="plan")["data-msg-over"].startswith("Grant {grant} is above 90 %")
    assert page(form).find(id="f-plan-0-staff")["value"] == "40,000.00"


def test_other_roles_see_their_list_without_the_new_proposal_button(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_in(ctx, world, "submitted", title="Eingereichter Antrag")
    new_draft(ctx, world, title="Privater Entwurf")
    manager = browser_for(world.actor(Role.MANAGER))
    response = manager.get("/app/proposals")
    assert response.status_code == 200
    assert "Eingereichter Antrag" in response.text and "Privater Entwurf" not in response.text
    assert page(response).find("button", string="Neuer Antrag") is None
    assert page(response).find("a", string="Meine Anträge") is None
    assert manager.get(f"/app/proposals/new?round={world.round_id}").status_code == 403
