"""The priorisation view: the ranking with its budget line, the SVG chart, the resolution form and its refusals."""

from __future__ import annotations

from typing import Any

from tests.factories import AFTER_CLOSE, World, full_marks, proposal_in
from tests.web.conftest import Clock, field_error, page
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

MIDDLE = {"regional_need": 3, "concept": 3, "cooperation": 3, "sustainability": 3}  # 60 %
LOW = {"regional_need": 1, "concept": 1, "cooperation": 1, "sustainability": 1}  # 20 %: below the minimum


def three_scored(ctx: Context, world: World) -> tuple[int, int, int]:
    """Full marks, 60 % and 20 %; each asks for a grant of 45,000 EUR in 2026."""
    ids = []
    for title, points in (("MINT-Netzwerk Leipzig", None), ("Logistik-Lotsen", MIDDLE), ("Pflege-Kompass", LOW)):
        pid, _ = proposal_in(ctx, world, "in_review", title=title)
        marks = full_marks(ctx, pid)
        if points is not None:
            marks["points"] = points
        ctx.scoring.score(world.actor(Role.REVIEWER), pid, marks, now=AFTER_CLOSE)
        ids.append(pid)
    return ids[0], ids[1], ids[2]


def test_the_chart_has_a_bar_per_proposal_and_the_budget_line_with_its_amount(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 5_000_000)  # 50,000 EUR: only the first grant fits
    top, middle, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    response = browser_for(world.actor(Role.REVIEWER)).get(f"/app/rounds/{world.round_id}/ranking")
    assert response.status_code == 200, response.text
    html = page(response)
    svg = html.find("svg")
    assert svg["role"] == "img"
    labelled = svg["aria-labelledby"].split()
    assert [html.find(id=i).name for i in labelled] == ["title", "desc"]
    bars = svg.select("g.bar")
    assert [int(b["data-proposal"]) for b in bars] == [top, middle, low]
    assert [b["class"][1] for b in bars] == ["bar-within", "bar-over", "bar-not-counted"]
    assert "über Budget" in bars[1].get_text()  # marked by a label, not only by colour
    line = svg.select_one("g.budget-line")
    assert line["data-amount"] == "5000000" and line.get_text(strip=True) == "Budget: 50.000,00 €"
    rows = html.select("table.ranking tbody tr")
    assert [int(r["data-proposal"]) for r in rows] == [top, middle, low]
    cells = [[c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])] for r in rows]
    assert [c[4:6] for c in cells] == [["45.000,00 €", "45.000,00 €"], ["45.000,00 €", "90.000,00 €"],
                                       ["45.000,00 €", "90.000,00 €"]]
    assert html.find("form", action=f"/app/rounds/{world.round_id}/resolutions") is None  # members do not resolve


def test_another_year_and_a_year_that_is_not_one(ctx: Context, world: World, browser_for: Any) -> None:
    three_scored(ctx, world)
    manager = browser_for(world.actor(Role.MANAGER))
    other = page(manager.get(f"/app/rounds/{world.round_id}/ranking?year=2027"))
    assert other.h2 is not None and "2027" in other.find(id="budget-heading").get_text()
    assert {r.find_all("td")[3].get_text(strip=True) for r in other.select("table.ranking tbody tr")} == {"0,00 €"}
    wrong = manager.get(f"/app/rounds/{world.round_id}/ranking?year=zweitausend")
    assert manager.get(f"/app/rounds/{world.round_id}/ranking?year=1999").status_code == 422
    assert wrong.status_code == 422
    assert field_error(wrong, "year") == "Bitte ein Jahr zwischen 2000 und 2100 eingeben."


def test_the_resolution_form_records_a_resolution(ctx: Context, world: World, browser_for: Any,
                                                  clock: Clock) -> None:
    top, middle, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    manager = browser_for(world.actor(Role.MANAGER))
    manager.get(f"/app/rounds/{world.round_id}/ranking")
    response = manager.post(f"/app/rounds/{world.round_id}/resolutions", {
        "decided_on": "2026-06-29", f"decision.{top}": "prioritise", f"decision.{middle}": "waiting_list",
        f"decision.{low}": "decline", f"reason.{low}": "Unter der Mindestpunktzahl", "note": "Sitzung am 29.06."})
    assert response.status_code == 303, response.text
    states = {pid: ctx.proposals.get(SYSTEM, pid, now=AFTER_CLOSE).state for pid in (top, middle, low)}
    assert states == {top: "prioritised", middle: "waiting_list", low: "not_prioritised"}
    after = page(manager.get(response.headers["location"]))
    past = after.select_one("ol.resolutions").get_text(" ", strip=True)
    assert "Beschluss Version 1 vom 29.06.2026" in past and "Unter der Mindestpunktzahl" in past


def test_a_refused_resolution_shows_why_next_to_the_proposal_and_writes_nothing(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    top, _, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    manager = browser_for(world.actor(Role.MANAGER))
    manager.get(f"/app/rounds/{world.round_id}/ranking")
    refused = manager.post(f"/app/rounds/{world.round_id}/resolutions", {
        "decided_on": "2026-06-29", f"decision.{top}": "prioritise", f"decision.{low}": "prioritise"})
    assert refused.status_code == 422
    assert f"proposal {low}" in field_error(refused, f"decision.{low}")
    assert field_error(refused, f"decision.{top}") == ""
    assert page(refused).find(id=f"f-decision.{low}").find("option", selected=True)["value"] == "prioritise"
    no_reason = manager.post(f"/app/rounds/{world.round_id}/resolutions", {
        "decided_on": "", f"decision.{low}": "decline"})
    assert field_error(no_reason, f"reason.{low}") == "Bitte begründen Sie, warum der Antrag nicht priorisiert wird."
    assert field_error(no_reason, "decided_on") == "Bitte geben Sie das Datum des Beschlusses an."
    assert ctx.priorisation.resolutions(SYSTEM, world.round_id) == []
    assert ctx.proposals.get(SYSTEM, top, now=AFTER_CLOSE).state == "in_review"


def test_a_resolution_needs_the_managing_member_and_the_forms_token(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    top, _, _ = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    form = {"decided_on": "2026-06-29", f"decision.{top}": "prioritise"}
    manager = browser_for(world.actor(Role.MANAGER))
    assert manager.post(f"/app/rounds/{world.round_id}/resolutions", form, csrf="forged").status_code == 403
    reviewer = browser_for(world.actor(Role.REVIEWER))
    reviewer.get(f"/app/rounds/{world.round_id}/ranking")
    assert reviewer.post(f"/app/rounds/{world.round_id}/resolutions", form).status_code == 403
    assert ctx.proposals.get(SYSTEM, top, now=AFTER_CLOSE).state == "in_review"
    assert ctx.priorisation.resolutions(SYSTEM, world.round_id) == []
