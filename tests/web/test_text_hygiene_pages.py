"""On the pages too (issue 22), a title or a partner is one line and no text holds a control or a bidi character: the
form comes back with a message next to the field and what was typed, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import WHILE_OPEN, World, new_draft
from tests.web.conftest import field_error, page
from tests.web.test_applicant_pages import draft_form
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models

RLO = "\u202e"
ONE_LINE = "nur eine Zeile"
CONTROL = "Steuerzeichen oder Schreibrichtungszeichen"


def _proposals(ctx: Context) -> int:
    with ctx.db.read() as session:
        return int(session.execute(select(func.count()).select_from(models.Proposal)).scalar_one())


@pytest.mark.parametrize("case", [
    pytest.param(({"title": "MINT-Netzwerk\r\nLeipzig"}, "title", ONE_LINE), id="title-crlf"),
    pytest.param(({"title": f"Rechnung{RLO}fdp.exe"}, "title", ONE_LINE), id="title-rlo"),
    pytest.param(({"partners": f"HTWK Leipzig\nInspirata{RLO} e.V."}, "partners", ONE_LINE), id="partner-rlo"),
    pytest.param(({"summary": "Vernetzung\x07"}, "summary", CONTROL), id="summary-bell"),
    pytest.param(({"goals": "Ziele\u2066versteckt\u2069"}, "goals", CONTROL), id="goals-isolate"),
    pytest.param(({"plan-0-source": f"Stadt{RLO}Leipzig"}, "plan-0-source", ONE_LINE), id="source-rlo"),
])
def test_a_new_draft_with_a_control_character_is_refused_next_to_the_field(
        ctx: Context, world: World, browser_for: Any, case: tuple[dict[str, str], str, str]) -> None:
    changes, field, message = case
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/new?round={world.round_id}")
    response = browser.post(f"/app/proposals/new?round={world.round_id}", {**draft_form(), **changes})
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert _proposals(ctx) == 0


def test_an_edited_title_with_a_line_break_is_refused_and_the_old_one_kept(
        ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world, title="MINT-Netzwerk Leipzig")
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/{proposal_id}/edit")
    for title in ("MINT-Netzwerk\nLeipzig", f"MINT-Netzwerk {RLO}gizpieL"):
        response = browser.post(f"/app/proposals/{proposal_id}/edit", {**draft_form(title=title), "version": "1"})
        assert response.status_code == 422
        assert ONE_LINE in field_error(response, "title")
        assert page(response).find(id="f-title")["value"] == title  # what was typed is kept to correct it
    view = ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN)
    assert (view.title, view.version) == ("MINT-Netzwerk Leipzig", 1)


def test_a_reason_with_a_bidi_control_is_refused_next_to_it(ctx: Context, world: World, browser_for: Any) -> None:
    proposal_id = new_draft(ctx, world)
    browser = browser_for(world.actor(Role.APPLICANT))
    browser.get(f"/app/proposals/{proposal_id}")
    response = browser.post(f"/app/proposals/{proposal_id}/transitions",
                            {"transition": "withdraw", "version": "1", "withdraw-reason": f"weg{RLO}gew"})
    assert response.status_code == 422
    assert "U+202E" in field_error(response, "withdraw-reason")
    assert ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).state == "draft"
