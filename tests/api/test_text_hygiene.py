"""Titles and names are one line (issue 22): a line break, a control character or a bidi control (U+202E shows
"Rechnung<RLO>fdp.exe" as "Rechnungexe.pdf") is refused with a 422 that names the field, and nothing is stored.
Multi-line texts (reasons, descriptions) keep line breaks and tabs and refuse the rest alike. The OpenAPI document
says the same in each field's pattern."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.api.conftest import ApiWorld
from tests.factories import WHILE_OPEN, new_draft
from workflow.context import Context
from workflow.errors import InvalidInput
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.procedure.text_fields import MULTI_LINE_PATTERN, ONE_LINE_PATTERN, multi_line, one_line

PROBLEM = "application/problem+json"
RLO = "\u202e"
BAD_LINES = {"crlf": "Zeile eins\r\nZeile zwei", "lf": "Titel\nmit Umbruch", "rlo": f"Rechnung{RLO}fdp.exe",
             "lri": "Titel\u2066x\u2069", "bell": "Titel\x07", "c1": "Ti\x85tel"}
ROUND = {"opens_at": "2026-05-01T00:00:00+02:00", "closes_at": "2026-06-01T00:00:00+02:00"}


def _count(ctx: Context, model: Any) -> int:
    with ctx.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f == field or f.endswith(f".{field}") for f in fields), fields


def _operations(api: ApiWorld, ctx: Context) -> dict[str, tuple[str, str, str, Any, str, type[Any]]]:
    """name -> (role, method, path, body with {} for the text, refused field, table that must not grow)."""
    draft = new_draft(ctx, api.world, title="Entwurf zum Ändern")
    return {
        "alliance name": ("admin", "POST", "/alliances", {"name": "{}"}, "name", models.Alliance),
        "alliance region": ("admin", "POST", "/alliances", {"name": "Allianz X", "region": "{}"}, "region",
                            models.Alliance),
        "funding bank": ("admin", "POST", "/alliances", {"name": "Allianz Y", "funding_bank": "{}"},
                         "funding_bank", models.Organisation),
        "round name": ("admin", "POST", "/rounds", {"alliance_id": api.world.alliance_id, "name": "{}", **ROUND},
                       "name", models.Round),
        "proposal title": ("applicant", "POST", "/proposals", {"round_id": api.world.round_id, "title": "{}"},
                           "title", models.Proposal),
        "partner": ("applicant", "POST", "/proposals",
                    {"round_id": api.world.round_id, "title": "Ein Titel", "partners": ["{}"]}, "partners.0",
                    models.Proposal),
        "changed title": ("applicant", "PATCH", f"/proposals/{draft}", {"title": "{}"}, "title", models.AuditEvent),
        "session title": ("manager", "POST", f"/alliances/{api.world.alliance_id}/sessions",
                          {"title": "{}", "held_at": "2026-06-15T14:00:00+02:00"}, "title", models.SteeringSession),
        "reserve pool name": ("admin", "POST", "/reserve-pools",
                              {"name": "{}", "year": 2026, "amount": "1000.00",
                               "alliance_ids": [api.world.alliance_id]}, "name", models.ReservePool),
    }


def _fill(body: Any, text: str) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, text) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, text) for v in body]
    return text if body == "{}" else body


@pytest.mark.parametrize("bad", sorted(BAD_LINES))
def test_one_line_fields_refuse_line_breaks_controls_and_bidi_controls(
        client: TestClient, api: ApiWorld, ctx: Context, bad: str) -> None:
    for name, (role, method, path, body, field, table) in _operations(api, ctx).items():
        before = _count(ctx, table)
        response = client.request(method, path, json=_fill(body, BAD_LINES[bad]),
                                  headers=api.headers(role, **{"If-Match": '"1"'}))
        _refused(response, field)
        assert _count(ctx, table) == before, name
    assert "Entwurf zum Ändern" in client.get("/proposals", headers=api.headers("applicant")).text


def test_a_reason_keeps_its_lines_but_not_a_bidi_control(client: TestClient, api: ApiWorld, ctx: Context) -> None:
    proposal_id = new_draft(ctx, api.world)
    headers = api.headers("applicant", **{"If-Match": '"1"'})
    refused = client.post(f"/proposals/{proposal_id}/transitions", headers=headers,
                          json={"transition": "withdraw", "reason": f"Zurückgezogen{RLO}, weil"})
    _refused(refused, "reason")
    assert ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).state == "draft"
    done = client.post(f"/proposals/{proposal_id}/transitions", headers=headers,
                       json={"transition": "withdraw", "reason": "Erstens:\r\n\tanderweitig gefördert\r\n"})
    assert done.status_code == 200, done.text
    assert ctx.proposals.history(SYSTEM, proposal_id)[-1].reason == "Erstens:\n\tanderweitig gefördert"


def test_names_given_to_the_services_directly_are_one_line_too(ctx: Context, api: ApiWorld) -> None:
    """The CLI and the pages call the services: a user's or an organisation's name is checked there as well."""
    users, organisations = _count(ctx, models.User), _count(ctx, models.Organisation)
    for bad in (f"Prof. {RLO}Wieland", "Prof.\r\nWieland"):
        with pytest.raises(InvalidInput) as refused:
            ctx.admin.create_user(SYSTEM, bad, Role.ADMIN)
        assert [p.field for p in refused.value.problems] == ["name"]
        with pytest.raises(InvalidInput):
            ctx.admin.create_organisation(SYSTEM, bad)
    assert (_count(ctx, models.User), _count(ctx, models.Organisation)) == (users, organisations)
    assert ctx.admin.create_organisation(SYSTEM, "  Cafe\u0301 Leipzig e.V. ").name == "Café Leipzig e.V."


def test_the_openapi_document_carries_the_rule_as_a_pattern(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["AllianceIn"]["properties"]["name"]["pattern"] == ONE_LINE_PATTERN
    assert schemas["SessionIn"]["properties"]["title"]["pattern"] == ONE_LINE_PATTERN
    assert schemas["TransitionRequest"]["properties"]["reason"]["anyOf"][0]["pattern"] == MULTI_LINE_PATTERN


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.from_regex(ONE_LINE_PATTERN, fullmatch=True), st.from_regex(MULTI_LINE_PATTERN, fullmatch=True))
def test_a_text_the_pattern_admits_is_taken_as_it_is(line: str, text: str) -> None:
    """What the document promises holds: the validators take (and keep) every text its pattern admits."""
    assert one_line(line) == line or one_line(line) == _nfc(line)
    assert multi_line(text.replace("\r", "")) in (text.replace("\r", ""), _nfc(text.replace("\r", "")))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("text", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_the_pattern_refuses_what_the_validator_refuses(text: str) -> None:
    assert re.fullmatch(ONE_LINE_PATTERN, text) is None
    with pytest.raises(ValueError, match="must be a single line without"):
        one_line(text)
