"""The bank's page: forwarded proposals with their bank record, for the bank officer and the managing member."""

from __future__ import annotations

from typing import Any

from tests.factories import World, proposal_in
from tests.web.conftest import page
from workflow.context import Context
from workflow.people.roles import Role


def test_the_bank_officer_sees_forwarded_proposals_with_their_record(
        ctx: Context, world: World, browser_for: Any) -> None:
    waiting, _ = proposal_in(ctx, world, "forwarded_to_bank", title="MINT-Netzwerk Leipzig")
    decided, _ = proposal_in(ctx, world, "approved", title="Logistik-Lotsen")
    proposal_in(ctx, world, "in_review", title="Noch in Begutachtung")
    response = browser_for(world.actor(Role.BANK)).get("/app/bank")
    assert response.status_code == 200, response.text
    html = page(response)
    pending, done = html.select("table.bank")
    row = pending.select_one(f'tr[data-proposal="{waiting}"]')
    assert row is not None and row.th.a["href"] == f"/app/proposals/{waiting}"
    text = row.get_text(" ", strip=True)
    assert "Zukunftsakademie Leipzig e.V." in text and "2026: 45.000,00 €" in text
    assert "Entscheidung erfassen" in text
    decided_row = done.select_one(f'tr[data-proposal="{decided}"]')
    assert decided_row is not None
    assert "bewilligt" in decided_row.get_text() and "SAB-2026-0815" in decided_row.get_text()
    assert "Noch in Begutachtung" not in response.text


def test_managing_members_see_their_alliances_forwarded_proposals_only(
        ctx: Context, world: World, browser_for: Any) -> None:
    forwarded, _ = proposal_in(ctx, world, "forwarded_to_bank", title="MINT-Netzwerk Leipzig")
    mine = browser_for(world.actor(Role.MANAGER)).get("/app/bank")
    assert page(mine).select_one(f'tr[data-proposal="{forwarded}"]') is not None
    theirs = browser_for(world.other_manager).get("/app/bank")
    assert theirs.status_code == 200 and "MINT-Netzwerk Leipzig" not in theirs.text
    assert browser_for(world.actor(Role.REVIEWER)).get("/app/bank").status_code == 403
    applicant = browser_for(world.actor(Role.APPLICANT)).get("/app/bank")
    assert applicant.status_code == 403 and "MINT-Netzwerk Leipzig" not in applicant.text
