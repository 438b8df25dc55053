"""The procedure pages: the list, one procedure drawn and written out in tables, for every signed-in role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.web.conftest import page
from workflow.context import Context
from workflow.people.roles import Role

PEOPLE = [Role.APPLICANT, Role.REVIEWER, Role.MANAGER, Role.BANK, Role.ADMIN]


def test_the_pages_need_a_sign_in(app_client: TestClient) -> None:
    for path in ("/app/procedures", "/app/procedures/saxony-regional/1"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/app/sign-in?next=")


@pytest.mark.parametrize("role", PEOPLE, ids=lambda r: r.value)
def test_every_role_sees_both_shipped_procedures(browser_for: Any, world: World, ctx: Context, role: Role) -> None:
    browser = browser_for(world.actor(role))
    response = browser.get("/app/procedures")
    assert response.status_code == 200
    html = page(response)
    links = {a["href"]: a.get_text(strip=True) for a in html.select("table a")}
    assert links["/app/procedures/saxony-regional/1"] == "Regionales Verfahren Sachsen (Fachkräfterichtlinie, SAB)"
    assert "/app/procedures/lower-saxony-regional/1" in links
    assert len(links) == len(ctx.procedures.all())
    assert html.select("thead th") and html.find("h1").get_text(strip=True) == "Verfahren"


def test_a_procedure_page_draws_the_diagram_and_writes_it_out(browser_for: Any, world: World) -> None:
    browser = browser_for(world.actor(Role.APPLICANT))
    response = browser.get("/app/procedures/saxony-regional/1")
    assert response.status_code == 200
    html = page(response)
    svg = html.find("svg")
    assert svg is not None and svg["role"] == "img" and svg.find("title") is not None
    assert len(svg.select("g.state")) == 15
    states = html.select("table.procedure-states tbody tr")
    assert len(states) == 15
    draft = states[0]
    assert draft.th.get_text(strip=True) == "Entwurf"
    assert "Hier beginnt jeder Antrag." in draft.get_text() and "Der Antragsteller kann den Antrag bearbeiten." in \
        draft.get_text()
    closed = html.find(id="state-closed")
    assert closed is not None and closed.find_all("td")[-1].get_text(strip=True) == "ja"
    step = html.find(id="step-prioritise")
    assert step is not None
    cells = [td.get_text(" ", strip=True) for td in step.find_all("td")]
    assert cells[0] == "In Begutachtung, Zweite Lesung, Auf der Warteliste"
    assert cells[1] == "Priorisiert"
    assert cells[2] == "Geschäftsführendes Mitglied"
    assert "Quorum der Bewertungsmatrix" in cells[3]
    approve = html.find(id="step-approve")
    assert approve is not None and "Aktenzeichen der SAB (Text)" in approve.get_text() and "freiwillig" in \
        approve.get_text()
    deadlines = html.select("table.procedure-deadlines tbody tr")
    names = [r.th.get_text(strip=True) for r in deadlines]
    assert names[:2] == ["Einreichungstermin", "Anhörung in der Lenkungsgruppe"]
    submission = deadlines[0].get_text(" ", strip=True)
    assert "14 Tag(e), 7 Tag(e), 1 Tag(e) vorher" in submission
    assert "Begutachtung beginnen" in submission  # the system's own step when the deadline passes
    assert all(th.get("scope") for th in html.select("thead th"))
    assert not html.find(attrs={"aria-current": True})


def test_a_state_can_be_highlighted(browser_for: Any, world: World) -> None:
    browser = browser_for(world.actor(Role.BANK))
    html = page(browser.get("/app/procedures/saxony-regional/1?state=forwarded_to_bank"))
    marked = html.select('[aria-current="true"]')
    assert {m.get("data-state") or m.get("id") for m in marked} == {"forwarded_to_bank", "state-forwarded_to_bank"}
    assert "● aktueller Stand" in html.select_one('g[aria-current="true"]').get_text()
    assert "Im Diagramm hervorgehoben: An die SAB weitergeleitet." in html.get_text()
    nothing = page(browser.get("/app/procedures/saxony-regional/1?state=<script>"))
    assert not nothing.select('[aria-current="true"]')


def test_english_pages(browser_for: Any, world: World) -> None:
    browser = browser_for(world.actor(Role.REVIEWER))
    browser.client.cookies.set("fw_lang", "en")
    html = page(browser.get("/app/procedures/lower-saxony-regional/1"))
    assert html.html["lang"] == "en"
    assert html.find(id="state-draft").th.get_text(strip=True) == "Draft"
    assert "Applicant" in html.find(id="step-submit").get_text()
    assert "Draft" in html.find("svg").get_text() and "Entwurf" not in html.find("svg").get_text()


@pytest.mark.parametrize("path", ["/app/procedures/saxony-regional/99", "/app/procedures/no-such/1",
                                  "/app/procedures/saxony-regional/one"])
def test_an_unknown_procedure_or_version_is_the_not_found_page(browser_for: Any, world: World, path: str) -> None:
    browser = browser_for(world.actor(Role.MANAGER))
    response = browser.get(path)
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht" in response.text


def test_a_version_links_to_what_changed_since_the_one_before(browser_for: Any, world: World) -> None:
    browser = browser_for(world.actor(Role.REVIEWER))
    newest = page(browser.get("/app/procedures/saxony-regional/2"))
    link = newest.find("a", string="Was sich gegenüber Version 1 geändert hat")
    assert link["href"] == "/app/procedures/saxony-regional/1/changes/2"
    assert page(browser.get("/app/procedures/saxony-regional/1")).find(
        "a", string=lambda s: bool(s) and "geändert" in s) is None  # nothing before version 1

    changes = page(browser.get(link["href"]))
    assert changes.find("h1").get_text() == ("Regionales Verfahren Sachsen (Fachkräfterichtlinie, SAB): Änderungen "
                                             "von Version 1 zu Version 2")
    assert [h.get_text() for h in changes.find_all("h2")] == ["Zustände", "Übergänge", "Fristen"]
    items = [li.code.get_text() for li in changes.select("ul.procedure-changes > li")]
    assert ("~ proof_of_use_submitted → proof_of_use_in_review (Verwendungsnachweis in Prüfung): umbenannt"
            in items)
    forward = next(li for li in changes.select("ul.procedure-changes > li") if "forward" in li.code.get_text())
    assert forward.ul.get_text(strip=True) == "Regeln: neu: conditions_met"

    browser.client.cookies.set("fw_lang", "en")
    same = page(browser.get("/app/procedures/saxony-regional/2/changes/2"))
    assert "No changes." in same.get_text()


@pytest.mark.parametrize("path", ["/app/procedures/saxony-regional/1/changes/9",
                                  "/app/procedures/no-such/1/changes/2",
                                  "/app/procedures/saxony-regional/one/changes/2"])
def test_changes_of_an_unknown_version_are_the_not_found_page(browser_for: Any, world: World, path: str) -> None:
    assert browser_for(world.actor(Role.MANAGER)).get(path).status_code == 404
