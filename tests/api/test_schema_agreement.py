"""What the OpenAPI document says is valid, the code takes (issue 22). Each case here is a request the fuzzer sent
because the document allowed it, and the code refused: now the document refuses it too (a pattern for dates in
this century, amounts, texts, cursors and headers; an enum; no null where a field is left out instead)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld
from tests.factories import new_draft

DOCUMENT = create_app().openapi()
TIME = "2026-06-15T14:00:00+02:00"


def _body_schema(name: str) -> Any:
    return jsonschema_rs.validator_for({"components": DOCUMENT["components"], "$ref": f"#/components/schemas/{name}"},
                                       validate_formats=True)


def _parameter(path: str, method: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in DOCUMENT["paths"][path][method]["parameters"] if p["name"].lower() == name.lower()]
    return found


# (schema, method, path, body the document allowed and the code refused, a body both take)
BODIES = [
    ("BudgetIn", "PUT", "/alliances/{a}/budgets/2026", {"amount": ""}, {"amount": "600000.00"}),
    ("BudgetIn", "PUT", "/alliances/{a}/budgets/2026", {"amount": "100000000.01"}, {"amount": "100000000"}),
    ("AllianceIn", "POST", "/alliances", {"name": "Allianz X", "action_concept_adopted_on": "2689-06-19"},
     {"name": "Allianz X", "action_concept_adopted_on": "2100-06-19"}),
    ("RoundIn", "POST", "/rounds", {"alliance_id": 1, "name": "Runde", "opens_at": "1999-05-01T00:00:00+02:00",
                                    "closes_at": TIME}, None),
    ("SessionIn", "POST", "/alliances/{a}/sessions", {"title": "Sitzung", "held_at": "0179-05-16T15:17:24Z"},
     {"title": "Sitzung", "held_at": TIME}),
    ("EarlyStartInput", "POST", "/proposals/{p}/early-start", {"reason": "Vorzeitig", "wanted_from": "1462-01-20"},
     None),
    ("ResolutionInput", "POST", "/rounds/{r}/resolutions", {"decided_on": "9999-12-31"}, None),
    ("ActionConceptIn", "PUT", "/alliances/{a}/action-concept", {"adopted_on": "1999-12-31"}, None),
    ("AnswerInput", "POST", "/proposals/{p}/conditions/1/answer", {"text": "erfüllt", "evidence": ["Brief\x00"]},
     None),
    ("ScoreInput", "PUT", "/proposals/{p}/scores/me", {"points": {}, "comment": "gut\x1b[31m"}, None),
    ("Preferences", "PUT", "/me/preferences", {"muted": [{"deadline": "hearing", "channel": "sms"}]},
     {"muted": [{"deadline": "hearing", "channel": "email"}]}),
    ("WebhookIn", "PUT", "/alliances/{a}/webhook", {"url": "0000"}, None),
    ("DraftContent", "PATCH", "/proposals/{p}", {}, {"title": "Neuer Titel"}),
    ("DraftContent", "PATCH", "/proposals/{p}", {"title": None}, None),
    ("NewDraft", "POST", "/proposals", {"round_id": 1, "title": "Titel",
                                        "funding_plan": [{"year": 2026, "staff_fte": "100.5"}]}, None),
    ("PoolInput", "POST", "/reserve-pools", {"name": "Reserve\nzwei", "year": 2026, "amount": "1.00",
                                             "alliance_ids": [1]}, None),
]


@pytest.mark.parametrize("case", BODIES, ids=[f"{b[0]}-{i}" for i, b in enumerate(BODIES)])
def test_a_body_the_code_refuses_is_invalid_by_the_document(
        client: TestClient, api: ApiWorld, ctx: Any, case: tuple[Any, ...]) -> None:
    schema, method, path, refused, taken = case
    validator = _body_schema(schema)
    assert not validator.is_valid(refused)
    if taken is not None:
        assert validator.is_valid(taken)
    url = path.format(a=api.world.alliance_id, r=api.world.round_id, p=new_draft(ctx, api.world))
    response = client.request(method, url, json=refused, headers=api.headers("admin", **{"If-Match": '"1"'}))
    assert response.status_code == 422, response.text


def test_a_cursor_is_what_a_page_hands_out_and_nothing_else(client: TestClient, api: ApiWorld, ctx: Any) -> None:
    pattern = jsonschema_rs.validator_for(_parameter("/proposals", "get", "cursor")["schema"])
    for _ in range(3):
        new_draft(ctx, api.world)
    first = client.get("/proposals?limit=1", headers=api.headers("applicant")).json()
    assert pattern.is_valid(first["next_cursor"])
    for forged in ("0" * 40, "YWZ0ZXI6", "YWZ0ZXI6MTIzNDU2Nzg5MDEyMzQ1Njc"):  # no digits; 17 digits
        assert not pattern.is_valid(forged)
        assert client.get("/proposals", params={"cursor": forged}, headers=api.headers("applicant")).status_code == 422
    # after an id larger than any column holds (16 digits): nothing more, not a refusal
    beyond = client.get("/proposals", params={"cursor": "YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5OQ"},
                        headers=api.headers("applicant"))
    assert pattern.is_valid("YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5OQ")
    assert beyond.status_code == 200 and beyond.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(("path", "method"), [("/proposals/{proposal_id}", "patch"),
                                              ("/proposals/{proposal_id}/transitions", "post")])
def test_if_match_is_required_where_its_absence_is_answered_428(path: str, method: str) -> None:
    parameter = _parameter(path, method, "If-Match")
    assert parameter["required"] is True
    value = jsonschema_rs.validator_for(parameter["schema"])
    assert value.is_valid('"3"') and value.is_valid('W/"3"') and not value.is_valid("null")


def test_an_idempotency_key_the_code_refuses_is_invalid_by_the_document(client: TestClient, api: ApiWorld) -> None:
    key = jsonschema_rs.validator_for(_parameter("/proposals", "post", "Idempotency-Key")["schema"])
    assert key.is_valid("b7c1d0e2-4f1a") and not key.is_valid("x" * 201) and not key.is_valid("")
    response = client.post("/proposals", json={"round_id": api.world.round_id, "title": "Ein Titel"},
                           headers=api.headers("applicant", **{"Idempotency-Key": "x" * 201}))
    assert response.status_code == 422
