"""The steering group's rounds: the list with counts, the round board grouped by state, and who may see them."""

from __future__ import annotations

from typing import Any

from tests.factories import World, new_draft, proposal_in
from tests.web.conftest import page
from workflow.context import Context
from workflow.people.roles import Role


def test_the_board_groups_the_rounds_proposals_by_state_in_the_procedures_order(
        ctx: Context, world: World, browser_for: Any) -> None:
    reviewing, _ = proposal_in(ctx, world, "in_review", title="MINT-Netzwerk Leipzig")
    submitted, _ = proposal_in(ctx, world, "submitted", title="Logistik-Lotsen")
    new_draft(ctx, world, title="Noch ein Entwurf")
    response = browser_for(world.actor(Role.REVIEWER)).get(f"/app/rounds/{world.round_id}")
    assert response.status_code == 200, response.text
    html = page(response)
    columns = html.select(".board section")
    assert [c["data-state"] for c in columns] == ["submitted", "in_review"]
    assert [c.h2.get_text(" ", strip=True) for c in columns] == ["Eingereicht (1)", "In Begutachtung (1)"]
    card = columns[1].select_one(f'[data-proposal="{reviewing}"]')
    assert card is not None
    assert card.a["href"] == f"/app/proposals/{reviewing}" and card.a.get_text(strip=True) == "MINT-Netzwerk Leipzig"
    assert "Zukunftsakademie Leipzig e.V." in card.get_text()
    assert "45.000,00 €" in card.get_text() and "noch nicht bewertet" in card.get_text()
    assert columns[0].select_one(f'[data-proposal="{submitted}"]') is not None
    assert "Noch ein Entwurf" not in response.text  # a draft is the applicant's own work


def test_the_rounds_list_counts_proposals_by_state(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_in(ctx, world, "in_review")
    proposal_in(ctx, world, "in_review", title="Logistik-Lotsen")
    response = browser_for(world.actor(Role.MANAGER)).get("/app/rounds")
    assert response.status_code == 200
    row = page(response).find("a", href=f"/app/rounds/{world.round_id}").find_parent("tr")
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    assert cells[0] == "Einreichungstermin 31. Mai" and cells[3] == "2"
    assert "2" in cells[4] and page(response).find("th", string="Anträge") is not None


def test_other_alliances_rounds_are_not_shown_and_answer_404(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_in(ctx, world, "in_review", title="Vertrauliches Vorhaben")
    other = browser_for(world.other_manager)
    listed = other.get("/app/rounds")
    assert listed.status_code == 200 and f"/app/rounds/{world.round_id}" not in listed.text
    for path in (f"/app/rounds/{world.round_id}", f"/app/rounds/{world.round_id}/ranking",
                 f"/app/rounds/{world.round_id}/priority-list.csv", "/app/rounds/4711"):
        response = other.get(path)
        assert response.status_code == 404, path
        assert "Diese Seite gibt es nicht" in response.text and "Vertrauliches Vorhaben" not in response.text


def test_an_applicant_gets_refusal_pages_not_data(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_in(ctx, world, "in_review", title="Vertrauliches Vorhaben")
    applicant = browser_for(world.actor(Role.APPLICANT))
    refused = applicant.get("/app/rounds")
    assert refused.status_code == 403 and "Das dürfen Sie mit Ihrer Rolle nicht tun." in refused.text
    for path in (f"/app/rounds/{world.round_id}", f"/app/rounds/{world.round_id}/ranking",
                 f"/app/rounds/{world.round_id}/priority-list.xlsx"):
        response = applicant.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    assert applicant.get("/app/bank").status_code == 403
