"""The public HTTP contract, as a client notices it: status codes, headers, bodies, problem+json errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld, Clock
from tests.factories import (
    AFTER_CLOSE,
    REASON,
    ROUND_CLOSES,
    ROUND_OPENS,
    WHILE_OPEN,
    complete_plan,
    full_marks,
    proposal_in,
    satisfy,
)
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.proposals import store as repo

PROBLEM = "application/problem+json"
HUGE = "99999999999999999999"
TITLE = "MINT-Netzwerk Leipzig"
REVISION_INPUTS = {"conditions": ["Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"],
                   "revision_deadline": "2026-06-13", "next_session": "2026-06-15"}


# --- helpers -----------------------------------------------------------------------------------------------

@pytest.fixture
def loose(ctx: Context, clock: Clock) -> Iterator[TestClient]:
    """A client that shows a 500 as the answer a real client would get, instead of raising the exception."""
    with TestClient(create_app(ctx, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def draft(api: ApiWorld, title: str = TITLE, plan: list[dict[str, Any]] | None = None,
          round_id: int | None = None) -> dict[str, Any]:
    return {"round_id": round_id or api.world.round_id, "title": title,
            "summary": "Vernetzung schulischer und außerschulischer MINT-Bildung", "partners": ["HTWK Leipzig"],
            "funding_plan": complete_plan() if plan is None else plan}


def head(api: ApiWorld, who: str, *, if_match: str | int | None = None, key: str | None = None,
         rid: str | None = None) -> dict[str, str]:
    extra = {}
    if if_match is not None:
        extra["If-Match"] = if_match if isinstance(if_match, str) else f'"{if_match}"'
    if key is not None:
        extra["Idempotency-Key"] = key
    if rid is not None:
        extra["X-Request-ID"] = rid
    return api.headers(who, **extra)


def create(client: TestClient, api: ApiWorld, who: str = "applicant", **kwargs: Any) -> httpx.Response:
    return client.post("/proposals", headers=head(api, who), json=draft(api, **kwargs))


def fire(client: TestClient, api: ApiWorld, who: str, proposal_id: int, transition: str, *,
         if_match: str | int | None, reason: str | None = None, inputs: dict[str, Any] | None = None,
         key: str | None = None, rid: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"transition": transition}
    if reason is not None:
        body["reason"] = reason
    if inputs is not None:
        body["inputs"] = inputs
    return client.post(f"/proposals/{proposal_id}/transitions", json=body,
                       headers=head(api, who, if_match=if_match, key=key, rid=rid))


def version_of(ctx: Context, proposal_id: int) -> int:
    """The stored version, read past the API: proof that a refused request wrote nothing."""
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    return int(row.version)


def history(client: TestClient, api: ApiWorld, proposal_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/proposals/{proposal_id}/history", headers=api.headers("admin"))
    assert response.status_code == 200
    events: list[dict[str, Any]] = response.json()
    return events


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- health and authentication ----------------------------------------------------------------------------

def test_health_is_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


ANY_ENDPOINT = [
    ("GET", "/procedures"), ("GET", "/procedures/saxony-regional"), ("GET", "/procedures/saxony-regional/diagram"),
    ("GET", "/alliances"), ("POST", "/alliances"), ("GET", "/alliances/1"), ("PUT", "/alliances/1/budgets/2026"),
    ("GET", "/rounds"), ("POST", "/rounds"), ("GET", "/rounds/1"), ("GET", "/proposals"), ("POST", "/proposals"),
    ("GET", "/proposals/1"), ("PATCH", "/proposals/1"), ("POST", "/proposals/1/transitions"),
    ("GET", "/proposals/1/history"),
]
BAD_CREDENTIALS = [None, "Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "not-even-a-scheme"]


@pytest.mark.parametrize(("method", "path"), ANY_ENDPOINT)
@pytest.mark.parametrize("authorization", BAD_CREDENTIALS)
def test_missing_or_wrong_token_is_401(client: TestClient, api: ApiWorld, method: str, path: str,
                                       authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    headers["If-Match"] = '"1"'
    response = client.request(method, path, headers=headers, json={"transition": "submit", "title": "abcd"})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_missing_token_is_401_even_with_a_broken_body(client: TestClient) -> None:
    response = client.post("/proposals", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 401)


# --- procedures -------------------------------------------------------------------------------------------

def test_procedures_are_listed(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    response = client.get("/procedures", headers=api.headers("reviewer"))
    assert response.status_code == 200
    saxony = {p["version"]: p for p in response.json() if p["key"] == "saxony-regional"}
    assert set(saxony) == {1, 2} and saxony[1]["initial"] == "draft"
    for version, states, transitions in ((1, 15, 16), (2, 16, 17)):
        definition = ctx.procedures.get("saxony-regional", version)
        assert saxony[version]["states"] == len(definition.states) == states
        assert saxony[version]["transitions"] == len(definition.transitions) == transitions
        assert saxony[version]["title"]["de"].startswith("Regionales Verfahren Sachsen")


def test_procedure_has_labelled_states_and_transitions_with_roles_and_inputs(client: TestClient,
                                                                              api: ApiWorld) -> None:
    response = client.get("/procedures/saxony-regional", headers=api.headers("applicant"))
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "saxony-regional" and body["version"] == 2  # the newest
    states = {s["name"]: s for s in body["states"]}
    assert states["draft"]["label"] == {"de": "Entwurf", "en": "Draft"}
    assert states["draft"]["editable"] and not states["draft"]["terminal"]
    assert states["closed"]["terminal"] and states["forwarded_to_bank"]["bank_stage"]
    transitions = {t["name"]: t for t in body["transitions"]}
    submit = transitions["submit"]
    assert submit["from"] == ["draft"] and submit["to"] == "submitted" and submit["roles"] == ["applicant"]
    assert {g["name"] for g in submit["guards"]} == {"funding_plan_complete", "round_open"}
    assert all(g["description"] for g in submit["guards"])
    assert transitions["open_review"]["roles"] == ["manager", "system"]
    revision = {i["name"]: i for i in transitions["request_revision"]["inputs"]}
    assert set(revision) == {"conditions", "revision_deadline", "next_session"}
    assert revision["conditions"]["type"] == "conditions" and revision["conditions"]["required"]
    assert revision["revision_deadline"]["label"]["en"] == "Revision deadline"
    approve = {i["name"]: i for i in transitions["approve"]["inputs"]}
    assert approve["bank_reference"]["required"] and not approve["decision_date"]["required"]
    assert approve["approved_amounts"]["type"] == "amounts_by_year" and not approve["approved_amounts"]["required"]
    assert transitions["approve"]["roles"] == ["bank", "manager"]


def test_procedure_version_can_be_named(client: TestClient, api: ApiWorld) -> None:
    assert client.get("/procedures/saxony-regional?version=1", headers=api.headers("bank")).json()["version"] == 1
    assert_problem(client.get("/procedures/saxony-regional?version=99", headers=api.headers("bank")), 404)


def test_unknown_procedure_is_404(client: TestClient, api: ApiWorld) -> None:
    assert_problem(client.get("/procedures/nope", headers=api.headers("admin")), 404)
    assert_problem(client.get("/procedures/nope/diagram", headers=api.headers("admin")), 404)


def test_diagram_is_mermaid_text(client: TestClient, api: ApiWorld) -> None:
    response = client.get("/procedures/saxony-regional/diagram", headers=api.headers("manager"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert text.startswith("stateDiagram-v2\n")
    assert "[*] --> draft" in text and "draft --> submitted: Einreichen (applicant)" in text
    english = client.get("/procedures/saxony-regional/diagram?lang=en", headers=api.headers("manager")).text
    assert "draft --> submitted: Submit (applicant)" in english
    assert_problem(client.get("/procedures/saxony-regional/diagram?lang=fr", headers=api.headers("manager")), 422)


# --- alliances and budgets ---------------------------------------------------------------------------------

def test_admin_creates_and_reads_an_alliance(client: TestClient, api: ApiWorld) -> None:
    body = {"name": "Fachkräfteallianz Nordsachsen", "region": "Landkreis Nordsachsen",
            "action_concept_adopted_on": "2016-05-12"}
    response = client.post("/alliances", headers=api.headers("admin"), json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == body["name"] and created["region"] == body["region"]
    assert created["action_concept_adopted_on"] == "2016-05-12" and created["budgets"] == []
    listed = client.get("/alliances", headers=api.headers("applicant")).json()
    assert created["id"] in {a["id"] for a in listed}
    assert {api.world.alliance_id, api.world.other_alliance_id} <= {a["id"] for a in listed}
    one = client.get(f"/alliances/{created['id']}", headers=api.headers("bank"))
    assert one.status_code == 200 and one.json() == created
    assert_problem(client.post("/alliances", headers=api.headers("admin"), json=body), 409)


def test_alliance_input_is_checked(client: TestClient, api: ApiWorld) -> None:
    for body in ({"name": ""}, {}, {"name": "x", "colour": "blue"}, {"name": "x", "action_concept_adopted_on": "?"}):
        assert_problem(client.post("/alliances", headers=api.headers("admin"), json=body), 422)
    assert_problem(client.get("/alliances/999", headers=api.headers("admin")), 404)


def test_budget_is_set_and_replaced(client: TestClient, api: ApiWorld) -> None:
    path = f"/alliances/{api.world.alliance_id}/budgets/2028"
    response = client.put(path, headers=api.headers("admin"), json={"amount": "600000.00"})
    assert response.status_code == 200
    assert response.json() == {"alliance_id": api.world.alliance_id, "year": 2028, "amount": "600000.00"}
    again = client.put(path, headers=api.headers("manager"), json={"amount": "550000.5"})
    assert again.status_code == 200 and again.json()["amount"] == "550000.50"
    budgets = client.get(f"/alliances/{api.world.alliance_id}", headers=api.headers("reviewer")).json()["budgets"]
    assert [b for b in budgets if b["year"] == 2028] == [
        {"alliance_id": api.world.alliance_id, "year": 2028, "amount": "550000.50"}]


@pytest.mark.parametrize(("year", "amount", "status"), [
    ("2028", "-1", 422), ("2028", "0.001", 422), ("1999", "1", 422), ("2101", "1", 422), ("2028", "x", 422),
    ("2028", "100000000.01", 422), ("twenty", "1", 422),
])
def test_budget_input_is_checked(client: TestClient, api: ApiWorld, year: str, amount: str, status: int) -> None:
    response = client.put(f"/alliances/{api.world.alliance_id}/budgets/{year}", headers=api.headers("admin"),
                          json={"amount": amount})
    assert_problem(response, status)


def test_budget_of_an_unknown_alliance_is_404(client: TestClient, api: ApiWorld) -> None:
    assert_problem(client.put("/alliances/999/budgets/2028", headers=api.headers("admin"), json={"amount": "1"}), 404)


# --- rounds ------------------------------------------------------------------------------------------------

def round_body(alliance_id: int, **extra: Any) -> dict[str, Any]:
    return {"alliance_id": alliance_id, "name": "2. Einreichungstermin 2026", "opens_at": "2026-05-01T00:00:00",
            "closes_at": "2026-06-01T00:00:00+02:00", **extra}


def test_round_is_created_and_read(client: TestClient, api: ApiWorld) -> None:
    response = client.post("/rounds", headers=api.headers("admin"), json=round_body(api.world.other_alliance_id))
    assert response.status_code == 201
    created = response.json()
    assert created["alliance_id"] == api.world.other_alliance_id
    # A new round runs on the newest version unless it names another.
    assert created["procedure_key"] == "saxony-regional" and created["procedure_version"] == 2
    # A time without offset is Berlin wall-clock time (CEST in May).
    assert created["opens_at"] == "2026-05-01T00:00:00+02:00"
    every = client.get("/rounds", headers=api.headers("applicant")).json()
    assert {r["id"] for r in every} == {api.world.round_id, created["id"]}
    filtered = client.get(f"/rounds?alliance={api.world.other_alliance_id}", headers=api.headers("bank")).json()
    assert [r["id"] for r in filtered] == [created["id"]]
    one = client.get(f"/rounds/{created['id']}", headers=api.headers("reviewer"))
    assert one.status_code == 200
    read = one.json()
    assert {k: v for k, v in read.items() if not k.endswith("_at")} == {
        k: v for k, v in created.items() if not k.endswith("_at")}
    for field in ("opens_at", "closes_at"):  # the same instants, whichever offset they are written in
        assert datetime.fromisoformat(read[field]) == datetime.fromisoformat(created[field])
    assert_problem(client.get("/rounds/999", headers=api.headers("reviewer")), 404)


@pytest.mark.parametrize(("extra", "status"), [
    ({"closes_at": "2026-04-01T00:00:00+02:00"}, 422),
    ({"procedure_key": "nope"}, 422),
    ({"procedure_version": 7}, 422),
    ({"name": ""}, 422),
    ({"opens_at": "tomorrow"}, 422),
    ({"alliance_id": 999}, 404),
])
def test_round_input_is_checked(client: TestClient, api: ApiWorld, extra: dict[str, Any], status: int) -> None:
    body = round_body(api.world.alliance_id) | extra
    assert_problem(client.post("/rounds", headers=api.headers("admin"), json=body), status)


# --- creating proposals ------------------------------------------------------------------------------------

def test_create_answers_201_with_draft_version_and_etag(client: TestClient, api: ApiWorld) -> None:
    response = create(client, api)
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    body = response.json()
    assert isinstance(body["id"], int) and body["state"] == "draft" and body["version"] == 1
    assert body["state_label"] == "Entwurf" and body["editable"] and not body["terminal"]
    assert body["title"] == TITLE and body["partners"] == ["HTWK Leipzig"]
    assert body["round_id"] == api.world.round_id and body["alliance_id"] == api.world.alliance_id
    assert body["organisation_id"] == api.world.organisation_id
    assert body["funding_plan"] == [{
        "year": 2026, "staff_fte": 1.0, "total_cost": "50000.00", "grant_requested": "45000.00",
        "own_share": "5000.00", "own_share_source": "Kofinanzierung Stadt Leipzig", "staff_costs": "40000.00",
        "material_costs": "10000.00"}]
    assert {t["name"] for t in body["allowed_transitions"]} == {"submit", "withdraw"}
    fetched = client.get(f"/proposals/{body['id']}", headers=api.headers("applicant"))
    assert fetched.json() == body and fetched.headers["ETag"] == '"1"'


def test_create_in_a_closed_round_is_422(client: TestClient, api: ApiWorld, clock: Clock) -> None:
    clock.now = AFTER_CLOSE
    body = assert_problem(create(client, api), 422)
    assert [e["field"] for e in body["errors"]] == ["round_id"]
    assert client.get("/proposals", headers=api.headers("admin")).json()["items"] == []


@pytest.mark.parametrize("body", [
    {"title": "abcd"}, {"round_id": "eins", "title": "abcd"}, {"round_id": 1, "title": "ab"},
    {"round_id": 1, "title": "abcd", "funding_plan": [{"year": 2026, "staff_costs": "-5"}]},
    {"round_id": 1, "title": "abcd", "funding_plan": [{"year": 2026}, {"year": 2026}]},
    {"round_id": 1, "title": "abcd", "funding_plan": [{"year": 2026, "grant_requested": "1.001"}]},
    {"round_id": 1, "title": "abcd", "partners": "HTWK"}, {"round_id": 1, "title": "abcd", "secret": True},
    {"round_id": 999, "title": "abcd"},
])
def test_invalid_draft_is_422(client: TestClient, api: ApiWorld, body: dict[str, Any]) -> None:
    problem = assert_problem(client.post("/proposals", headers=api.headers("applicant"), json=body), 422)
    assert problem["errors"] and all(e["field"] and e["problem"] for e in problem["errors"])


# --- listing -----------------------------------------------------------------------------------------------

def test_list_pages_through_every_proposal_once(client: TestClient, api: ApiWorld) -> None:
    created = [create(client, api, title=f"Projekt {n}").json()["id"] for n in range(5)]
    seen: list[int] = []
    pages = 0
    url = "/proposals?limit=2"
    while True:
        page = client.get(url, headers=api.headers("applicant"))
        assert page.status_code == 200
        body = page.json()
        pages += 1
        assert len(body["items"]) <= 2
        seen += ids(body)
        if body["next_cursor"] is None:
            break
        url = f"/proposals?limit=2&cursor={body['next_cursor']}"
    assert pages == 3 and seen == sorted(created)
    item = client.get("/proposals?limit=1", headers=api.headers("applicant")).json()["items"][0]
    assert item["title"] == "Projekt 0" and item["state"] == "draft" and item["state_label"] == "Entwurf"
    assert item["version"] == 1 and item["organisation_id"] == api.world.organisation_id


def test_last_full_page_has_no_cursor(client: TestClient, api: ApiWorld) -> None:
    for n in range(4):
        create(client, api, title=f"Projekt {n}")
    first = client.get("/proposals?limit=2", headers=api.headers("applicant")).json()
    second = client.get(f"/proposals?limit=2&cursor={first['next_cursor']}", headers=api.headers("applicant")).json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    everything = client.get("/proposals?limit=4", headers=api.headers("applicant")).json()
    assert len(everything["items"]) == 4 and everything["next_cursor"] is None


def test_the_largest_page_the_api_offers_is_served(client: TestClient, api: ApiWorld) -> None:
    # The router once asked the service for limit + 1 rows to find out whether more follow: 201 > 200 was a 422.
    for n in range(3):
        create(client, api, title=f"Projekt {n}")
    page = client.get("/proposals?limit=200", headers=api.headers("applicant"))
    assert page.status_code == 200 and len(page.json()["items"]) == 3 and page.json()["next_cursor"] is None
    assert_problem(client.get("/proposals?limit=201", headers=api.headers("applicant")), 422)


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!!", cursor_of("before:1"), cursor_of("after:x"), cursor_of("after:-1"), cursor_of("after:"),
    cursor_of("after:12345678901234567"), "ä", "a" * 41,
])
def test_forged_cursor_is_422(client: TestClient, api: ApiWorld, cursor: str) -> None:
    assert_problem(client.get("/proposals", params={"cursor": cursor}, headers=api.headers("applicant")), 422)


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "round=0", "alliance=-1", f"round={HUGE}"])
def test_bad_list_parameters_are_422(client: TestClient, api: ApiWorld, query: str) -> None:
    assert_problem(client.get(f"/proposals?{query}", headers=api.headers("admin")), 422)


def test_list_filters_by_state_round_and_alliance(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    world = api.world
    other_round = ctx.admin.create_round(SYSTEM, world.other_alliance_id, "Mittelsachsen 2026",
                                         opens_at=ROUND_OPENS, closes_at=ROUND_CLOSES, now=ROUND_OPENS)
    second_round = ctx.admin.create_round(SYSTEM, world.alliance_id, "Leipzig Sonderrunde",
                                          opens_at=ROUND_OPENS, closes_at=ROUND_CLOSES, now=ROUND_OPENS)
    drafted = create(client, api, title="Entwurf A").json()["id"]
    submitted, _ = proposal_in(ctx, world, "submitted", title="Eingereicht B")
    in_second = create(client, api, title="Sonderrunde C", round_id=second_round.id).json()["id"]
    elsewhere = create(client, api, title="Mittelsachsen D", round_id=other_round.id).json()["id"]

    def listed(query: str) -> set[int]:
        response = client.get(f"/proposals?{query}", headers=api.headers("applicant"))
        assert response.status_code == 200
        return set(ids(response.json()))

    assert listed("") == {drafted, submitted, in_second, elsewhere}
    assert listed("state=draft") == {drafted, in_second, elsewhere}
    assert listed("state=submitted") == {submitted}
    assert listed("state=nonsense") == set()
    assert listed(f"round={world.round_id}") == {drafted, submitted}
    assert listed(f"round={second_round.id}") == {in_second}
    assert listed(f"alliance={world.alliance_id}") == {drafted, submitted, in_second}
    assert listed(f"alliance={world.other_alliance_id}") == {elsewhere}
    assert listed(f"alliance={world.alliance_id}&state=draft&round={second_round.id}") == {in_second}
    assert listed(f"state=draft&limit=1&cursor={cursor_of(f'after:{drafted}')}") == {in_second}


# --- one proposal ------------------------------------------------------------------------------------------

def test_get_shows_state_version_and_the_callers_transitions(ctx: Context, client: TestClient, api: ApiWorld,
                                                              clock: Clock) -> None:
    clock.now = AFTER_CLOSE
    proposal_id, version = proposal_in(ctx, api.world, "in_review")
    response = client.get(f"/proposals/{proposal_id}", headers=api.headers("manager"))
    assert response.status_code == 200 and response.headers["ETag"] == f'"{version}"'
    body = response.json()
    assert body["state"] == "in_review" and body["state_label"] == "In Begutachtung" and body["version"] == version
    allowed = {t["name"]: t for t in body["allowed_transitions"]}
    assert set(allowed) == {"schedule_hearing", "request_revision", "prioritise", "put_on_waiting_list", "decline"}
    assert allowed["prioritise"]["to"] == "prioritised" and allowed["prioritise"]["label"] == "Priorisieren"
    assert allowed["decline"]["reason_required"] and not allowed["prioritise"]["reason_required"]
    revision = {i["name"]: i for i in allowed["request_revision"]["inputs"]}
    assert set(revision) == {"conditions", "revision_deadline", "next_session"}
    assert all(i["required"] for i in revision.values()) and revision["next_session"]["type"] == "date"
    # Before the members scored, the decisions that need scores say so; nothing else is blocked.
    for name in ("prioritise", "put_on_waiting_list"):
        assert {b["rule"] for b in allowed[name]["blocked_by"]} == {"quorum_scored", "score_threshold_met"}, name
    assert all(t["blocked_by"] == [] for n, t in allowed.items() if n not in ("prioritise", "put_on_waiting_list"))
    version = satisfy(ctx, api.world, proposal_id, ctx.procedures.get("saxony-regional", 1).transitions["prioritise"],
                      version)
    scored = client.get(f"/proposals/{proposal_id}", headers=api.headers("manager"))
    assert scored.headers["ETag"] == f'"{version}"'
    assert all(t["blocked_by"] == [] for t in scored.json()["allowed_transitions"])
    applicant = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert [t["name"] for t in applicant["allowed_transitions"]] == ["withdraw"]
    assert applicant["allowed_transitions"][0]["reason_required"]
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("reviewer")).json()["allowed_transitions"] == []
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("admin")).json()["allowed_transitions"] == []


def test_get_says_which_rules_block_a_transition_now(client: TestClient, api: ApiWorld, clock: Clock) -> None:
    plan = complete_plan()
    plan[0]["grant_requested"], plan[0]["own_share"] = "46000", "4000"
    proposal_id = create(client, api, plan=plan).json()["id"]
    clock.now = AFTER_CLOSE
    body = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    [submit] = [t for t in body["allowed_transitions"] if t["name"] == "submit"]
    assert {b["rule"] for b in submit["blocked_by"]} == {"funding_plan_complete", "round_open"}
    assert all(b["why"] for b in submit["blocked_by"])


def test_get_shows_open_deadlines_only(ctx: Context, client: TestClient, api: ApiWorld, clock: Clock) -> None:
    """A second reading opens the revision deadline and the hearing; resubmitting meets the first only."""
    clock.now = AFTER_CLOSE
    proposal_id, version = proposal_in(ctx, api.world, "revision_requested")
    body = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert {(d["kind"], d["state"]) for d in body["deadlines"]} == {
        ("revision", "revision_requested"), ("hearing", "revision_requested")}
    # The date inputs name days; each deadline ends when its day ends in Leipzig (22:00 UTC in summer).
    assert all(d["due_at"].startswith("2026-06-15T22:00") and isinstance(d["id"], int) for d in body["deadlines"])
    resubmit = ctx.procedures.get("saxony-regional", 1).transitions["resubmit"]
    version = satisfy(ctx, api.world, proposal_id, resubmit, version)  # the condition answered
    resubmitted = fire(client, api, "applicant", proposal_id, "resubmit", if_match=version)
    assert resubmitted.status_code == 200
    assert [d["kind"] for d in resubmitted.json()["deadlines"]] == ["hearing"]


@pytest.mark.parametrize(("who", "salaries"), [
    ("reviewer", False), ("manager", False), ("applicant", True), ("bank", True), ("admin", True)])
def test_steering_group_sees_no_salary_lines(ctx: Context, client: TestClient, api: ApiWorld, who: str,
                                             salaries: bool) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "forwarded_to_bank")
    [year] = client.get(f"/proposals/{proposal_id}", headers=api.headers(who)).json()["funding_plan"]
    assert year["staff_fte"] == 1.0 and year["total_cost"] == "50000.00" and year["grant_requested"] == "45000.00"
    assert year["own_share"] == "5000.00"
    if salaries:
        assert (year["staff_costs"], year["material_costs"]) == ("40000.00", "10000.00")
    else:
        assert (year["staff_costs"], year["material_costs"]) == (None, None)
        text = client.get(f"/proposals/{proposal_id}", headers=api.headers(who)).text
        assert "40000" not in text and "10000.00" not in text


# --- editing -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("if_match", ["{v}", '"{v}"', 'W/"{v}"', ' "{v}" '])
def test_if_match_accepts_the_etag_forms(client: TestClient, api: ApiWorld, if_match: str) -> None:
    proposal_id = create(client, api).json()["id"]
    for version, goals in ((1, "erste Fassung"), (2, "zweite Fassung")):
        assert client.patch(f"/proposals/{proposal_id}", json={"goals": goals},
                            headers=head(api, "applicant", if_match=version)).status_code == 200
    response = client.patch(f"/proposals/{proposal_id}", json={"partners": ["HTWK Leipzig", "Inspirata e.V."]},
                            headers=head(api, "applicant", if_match=if_match.format(v=3)))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"4"' and response.json()["version"] == 4
    assert response.json()["partners"] == ["HTWK Leipzig", "Inspirata e.V."]
    assert response.json()["title"] == TITLE and response.json()["goals"] == "zweite Fassung"
    edited = history(client, api, proposal_id)[-1]
    assert edited["kind"] == "edited" and edited["inputs"]["fields"] == ["partners"]
    fired = fire(client, api, "applicant", proposal_id, "submit", if_match=if_match.format(v=4))
    assert fired.status_code == 200, fired.text
    assert fired.headers["ETag"] == '"5"' and fired.json()["state"] == "submitted"


def test_patch_replaces_the_funding_plan(client: TestClient, api: ApiWorld) -> None:
    proposal_id = create(client, api).json()["id"]
    plan = complete_plan(2027, staff="20000", material="0")
    response = client.patch(f"/proposals/{proposal_id}", json={"funding_plan": plan, "goals": "Verstetigung"},
                            headers=head(api, "applicant", if_match=1))
    assert response.status_code == 200
    assert [y["year"] for y in response.json()["funding_plan"]] == [2027]
    assert response.json()["goals"] == "Verstetigung"


@pytest.mark.parametrize("if_match", ["abc", '"1.5"', "-1", '"1", "2"', "1234567890123", "*", 'W/"x"'])
def test_malformed_if_match_is_422(ctx: Context, client: TestClient, api: ApiWorld, if_match: str) -> None:
    proposal_id = create(client, api).json()["id"]
    patched = client.patch(f"/proposals/{proposal_id}", json={"goals": "x"},
                           headers=head(api, "applicant", if_match=if_match))
    assert [e["field"] for e in assert_problem(patched, 422)["errors"]] == ["If-Match"]
    fired = fire(client, api, "applicant", proposal_id, "submit", if_match=if_match)
    assert [e["field"] for e in assert_problem(fired, 422)["errors"]] == ["If-Match"]
    assert version_of(ctx, proposal_id) == 1


@pytest.mark.parametrize("if_match", [None, "", "  "])
def test_missing_if_match_is_428(client: TestClient, api: ApiWorld, if_match: str | None) -> None:
    proposal_id = create(client, api).json()["id"]
    patched = client.patch(f"/proposals/{proposal_id}", json={"goals": "x"},
                           headers=head(api, "applicant", if_match=if_match))
    assert "If-Match" in assert_problem(patched, 428)["detail"]
    fired = fire(client, api, "applicant", proposal_id, "submit", if_match=if_match)
    assert "If-Match" in assert_problem(fired, 428)["detail"]
    body = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert body["state"] == "draft" and body["version"] == 1 and body["goals"] == ""


def test_stale_version_is_409_with_the_current_version(client: TestClient, api: ApiWorld) -> None:
    proposal_id = create(client, api).json()["id"]
    assert client.patch(f"/proposals/{proposal_id}", json={"goals": "neu"},
                        headers=head(api, "applicant", if_match=1)).status_code == 200
    patched = client.patch(f"/proposals/{proposal_id}", json={"goals": "alt"},
                           headers=head(api, "applicant", if_match=1))
    assert assert_problem(patched, 409)["current_version"] == 2
    fired = fire(client, api, "applicant", proposal_id, "submit", if_match=1)
    assert assert_problem(fired, 409)["current_version"] == 2
    future = fire(client, api, "applicant", proposal_id, "submit", if_match=7)
    assert assert_problem(future, 409)["current_version"] == 2
    body = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert (body["state"], body["version"], body["goals"]) == ("draft", 2, "neu")


@pytest.mark.parametrize("state", ["submitted", "in_review", "forwarded_to_bank", "withdrawn"])
def test_patch_outside_editable_states_is_409(ctx: Context, client: TestClient, api: ApiWorld, state: str) -> None:
    proposal_id, version = proposal_in(ctx, api.world, state)
    response = client.patch(f"/proposals/{proposal_id}", json={"goals": "nachträglich"},
                            headers=head(api, "applicant", if_match=version))
    assert state in assert_problem(response, 409)["detail"]
    assert version_of(ctx, proposal_id) == version


@pytest.mark.parametrize("body", [{}, {"title": 5}, {"partners": [""]}, {"round_id": 2}, {"funding_plan": "viel"},
                                  {"funding_plan": [{"year": 1999}]}])
def test_invalid_patch_is_422(ctx: Context, client: TestClient, api: ApiWorld, body: dict[str, Any]) -> None:
    proposal_id = create(client, api).json()["id"]
    response = client.patch(f"/proposals/{proposal_id}", json=body, headers=head(api, "applicant", if_match=1))
    assert assert_problem(response, 422)["errors"]
    assert version_of(ctx, proposal_id) == 1


# --- transitions -------------------------------------------------------------------------------------------

def test_transition_answers_with_the_new_representation(client: TestClient, api: ApiWorld) -> None:
    created = create(client, api)
    response = fire(client, api, "applicant", created.json()["id"], "submit", if_match=created.headers["ETag"])
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    body = response.json()
    assert body["state"] == "submitted" and body["state_label"] == "Eingereicht" and body["version"] == 2
    assert not body["editable"] and [t["name"] for t in body["allowed_transitions"]] == ["withdraw"]


@pytest.mark.parametrize(("state", "transition"), [
    ("draft", "resubmit"), ("submitted", "submit"), ("draft", "fly_to_the_moon"), ("withdrawn", "submit")])
def test_transition_not_possible_from_the_state_is_409(ctx: Context, client: TestClient, api: ApiWorld, state: str,
                                                        transition: str) -> None:
    proposal_id, version = proposal_in(ctx, api.world, state)
    response = fire(client, api, "applicant", proposal_id, transition, if_match=version, reason=REASON)
    assert transition in assert_problem(response, 409)["detail"]
    assert version_of(ctx, proposal_id) == version


@pytest.mark.parametrize(("who", "state", "transition"), [
    ("reviewer", "submitted", "open_review"), ("applicant", "submitted", "open_review"),
    ("admin", "draft", "submit"), ("reviewer", "forwarded_to_bank", "approve"),
    ("reviewer", "forwarded_to_bank", "reject"),
    ("bank", "forwarded_to_bank", "withdraw"),
])
def test_transition_by_a_role_that_may_not_fire_it_is_403(ctx: Context, client: TestClient, api: ApiWorld, *,
                                                          clock: Clock, who: str, state: str, transition: str) -> None:
    clock.now = AFTER_CLOSE
    proposal_id, version = proposal_in(ctx, api.world, state)
    response = fire(client, api, who, proposal_id, transition, if_match=version, reason=REASON,
                    inputs={"bank_reference": "SAB-1"} if transition == "approve" else None)
    assert who in assert_problem(response, 403)["detail"]
    assert version_of(ctx, proposal_id) == version


def test_failing_rules_are_422_naming_each_rule(ctx: Context, client: TestClient, api: ApiWorld, clock: Clock) -> None:
    plan = complete_plan()
    plan[0]["grant_requested"], plan[0]["own_share"] = "46000.00", "4000.00"  # 92 %
    proposal_id = create(client, api, plan=plan).json()["id"]
    body = assert_problem(fire(client, api, "applicant", proposal_id, "submit", if_match=1), 422)
    [rule] = body["failed_rules"]
    assert rule["rule"] == "funding_plan_complete" and "90 %" in rule["why"]
    clock.now = AFTER_CLOSE
    body = assert_problem(fire(client, api, "applicant", proposal_id, "submit", if_match=1), 422)
    assert {r["rule"] for r in body["failed_rules"]} == {"funding_plan_complete", "round_open"}
    assert all(r["why"] for r in body["failed_rules"])
    assert version_of(ctx, proposal_id) == 1


def test_missing_reason_is_422_reason_given(ctx: Context, client: TestClient, api: ApiWorld, clock: Clock) -> None:
    clock.now = AFTER_CLOSE
    proposal_id, version = proposal_in(ctx, api.world, "in_review")
    for reason in (None, "", "  x "):
        response = fire(client, api, "manager", proposal_id, "decline", if_match=version, reason=reason)
        body = assert_problem(response, 422)
        assert [r["rule"] for r in body["failed_rules"]] == ["reason_given"]
    assert version_of(ctx, proposal_id) == version


@pytest.mark.parametrize(("inputs", "fields"), [
    ({}, {"inputs.conditions", "inputs.revision_deadline", "inputs.next_session"}),
    ({**REVISION_INPUTS, "next_session": ""}, {"inputs.next_session"}),
    ({**REVISION_INPUTS, "revision_deadline": "13.06.2016"}, {"inputs.revision_deadline"}),
    ({**REVISION_INPUTS, "conditions": "eine Auflage"}, {"inputs.conditions"}),
    ({**REVISION_INPUTS, "conditions": [1, 2]}, {"inputs.conditions"}),
    ({**REVISION_INPUTS, "budget": "100"}, {"inputs.budget"}),
])
def test_bad_transition_inputs_are_422_with_errors(ctx: Context, client: TestClient, api: ApiWorld, *, clock: Clock,
                                                   inputs: dict[str, Any], fields: set[str]) -> None:
    clock.now = AFTER_CLOSE
    proposal_id, version = proposal_in(ctx, api.world, "in_review")
    response = fire(client, api, "manager", proposal_id, "request_revision", if_match=version, inputs=inputs)
    assert {e["field"] for e in assert_problem(response, 422)["errors"]} == fields
    assert version_of(ctx, proposal_id) == version


def test_transition_on_another_organisations_proposal_is_404(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    created = create(client, api, title="Geheimes Vorhaben Zukunftsakademie").json()
    response = fire(client, api, "other_applicant", created["id"], "submit", if_match=1)
    assert_problem(response, 404)
    assert "Geheimes Vorhaben" not in response.text
    assert_problem(fire(client, api, "applicant", 987654, "submit", if_match=1), 404)
    assert version_of(ctx, created["id"]) == 1


@pytest.mark.parametrize("body", [
    {}, {"transition": ""}, {"transition": 5}, {"transition": "submit", "inputs": []},
    {"transition": "submit", "inputs": "x"}, {"transition": "submit", "reason": ["a"]},
    {"transition": "submit", "extra": 1}, {"transition": "x" * 101},
])
def test_malformed_transition_request_is_422(client: TestClient, api: ApiWorld, body: dict[str, Any]) -> None:
    proposal_id = create(client, api).json()["id"]
    response = client.post(f"/proposals/{proposal_id}/transitions", json=body,
                           headers=head(api, "applicant", if_match=1))
    assert_problem(response, 422)


# --- history -----------------------------------------------------------------------------------------------

def test_history_is_oldest_first_with_request_ids(client: TestClient, api: ApiWorld) -> None:
    created = client.post("/proposals", json=draft(api), headers=head(api, "applicant", rid="req-create-1"))
    assert created.headers["X-Request-ID"] == "req-create-1"
    proposal_id = created.json()["id"]
    client.patch(f"/proposals/{proposal_id}", json={"goals": "Ziele"},
                 headers=head(api, "applicant", if_match=1, rid="req-edit-2"))
    fired = fire(client, api, "applicant", proposal_id, "submit", if_match=2, rid="bad id with spaces")
    generated = fired.headers["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) >= 16
    response = client.get(f"/proposals/{proposal_id}/history", headers=api.headers("applicant"))
    assert response.status_code == 200
    events = response.json()
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["kind"] for e in events] == ["created", "edited", "transition"]
    assert [e["request_id"] for e in events] == ["req-create-1", "req-edit-2", generated]
    submit = events[2]
    assert submit["transition"] == "submit" and submit["from_state"] == "draft" and submit["to_state"] == "submitted"
    assert submit["actor_name"] == "Prof. Wieland" and submit["actor_role"] == "applicant"
    assert submit["actor_id"] == api.world.actor(Role.APPLICANT).user_id and submit["procedure_version"] == 2
    assert events[0]["at"] <= events[1]["at"] <= events[2]["at"]


def test_history_of_an_invisible_proposal_is_404(client: TestClient, api: ApiWorld) -> None:
    proposal_id = create(client, api).json()["id"]
    for who in ("other_applicant", "reviewer", "manager", "bank"):
        assert_problem(client.get(f"/proposals/{proposal_id}/history", headers=api.headers(who)), 404)


# --- errors never leak ---------------------------------------------------------------------------------------

WRITES = [
    ("POST", "/proposals"), ("PATCH", "/proposals/{id}"), ("POST", "/proposals/{id}/transitions"),
    ("POST", "/alliances"), ("PUT", "/alliances/{alliance}/budgets/2028"), ("POST", "/rounds"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("content", [
    b"{not json", b"", b"null", b"[]", b'"text"', b"42", b"\xff\xfe", b"{" * 5000, b'{"a": 1e999}'])
def test_a_body_that_is_not_a_json_object_is_422(loose: TestClient, api: ApiWorld, method: str, path: str,
                                                 content: bytes) -> None:
    proposal_id = create(loose, api).json()["id"]
    url = path.format(id=proposal_id, alliance=api.world.alliance_id)
    response = loose.request(method, url, content=content,
                             headers=head(api, "applicant" if "proposals" in path else "admin", if_match=1)
                             | {"Content-Type": "application/json"})
    assert_problem(response, 422)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_json_nested_too_deep_is_refused_not_500(loose: TestClient, api: ApiWorld, method: str, path: str) -> None:
    proposal_id = create(loose, api).json()["id"]
    url = path.format(id=proposal_id, alliance=api.world.alliance_id)
    response = loose.request(method, url, content=b"[" * 100_000 + b"]" * 100_000,
                             headers=head(api, "applicant" if "proposals" in path else "admin", if_match=1)
                             | {"Content-Type": "application/json"})
    assert response.status_code in {400, 422}
    assert_problem(response, response.status_code)


WRONG_TYPES = [
    ("POST", "/proposals", {"round_id": [1], "title": {"de": "x"}}),
    ("POST", "/proposals", {"round_id": 1.5, "title": "abcd", "funding_plan": [{"year": "zwei"}]}),
    ("POST", "/proposals", {"round_id": True, "title": "abcd", "funding_plan": [{"year": 2026, "staff_fte": "NaN"}]}),
    ("PATCH", "/proposals/{id}", {"funding_plan": [{"year": 2026, "material_costs": "Infinity"}]}),
    ("PATCH", "/proposals/{id}", {"partners": [1, 2]}),
    ("POST", "/proposals/{id}/transitions", {"transition": None}),
    ("POST", "/alliances", {"name": 7}),
    ("PUT", "/alliances/{alliance}/budgets/2028", {"amount": "NaN"}),
    ("PUT", "/alliances/{alliance}/budgets/2028", {"amount": [1]}),
    ("POST", "/rounds", {"alliance_id": "eins", "name": "x", "opens_at": 5, "closes_at": None}),
    ("POST", "/rounds", {"alliance_id": 1, "name": "x", "opens_at": "2026-13-45T00:00:00", "closes_at": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRONG_TYPES)
def test_wrong_types_are_422_never_500(loose: TestClient, api: ApiWorld, method: str, path: str,
                                       body: dict[str, Any]) -> None:
    proposal_id = create(loose, api).json()["id"]
    url = path.format(id=proposal_id, alliance=api.world.alliance_id)
    who = "applicant" if "proposals" in path else "admin"
    problem = assert_problem(loose.request(method, url, json=body, headers=head(api, who, if_match=1)), 422)
    assert problem["errors"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/proposals/{n}"), ("GET", "/proposals/{n}/history"), ("PATCH", "/proposals/{n}"),
    ("POST", "/proposals/{n}/transitions"), ("GET", "/alliances/{n}"), ("PUT", "/alliances/{n}/budgets/2028"),
    ("PUT", "/alliances/1/budgets/{n}"), ("GET", "/rounds/{n}"), ("GET", "/procedures/{n}"),
    ("GET", "/procedures/saxony-regional?version={n}"), ("GET", "/rounds?alliance={n}"),
])
@pytest.mark.parametrize("number", [HUGE, "9223372036854775808", "9007199254740993", "2147483648", "-1", "0", "1e3",
                                    "٣"])
def test_huge_or_odd_ids_in_paths_are_404_or_422(loose: TestClient, api: ApiWorld, method: str, path: str,
                                                 number: str) -> None:
    body = {"goals": "x"} if method == "PATCH" else {"transition": "submit"} if method == "POST" else {"amount": "1"}
    response = loose.request(method, path.format(n=number), json=None if method == "GET" else body,
                             headers=head(api, "admin", if_match=1))
    assert response.status_code in {404, 422}
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("number", [int(HUGE), 2**63, 2**31])
def test_huge_round_id_in_a_draft_is_422(loose: TestClient, api: ApiWorld, number: int) -> None:
    response = loose.post("/proposals", headers=api.headers("applicant"), json={"round_id": number, "title": "abcd"})
    assert_problem(response, 422)


@pytest.mark.parametrize("number", [int(HUGE), 2**63, 2**31])
def test_huge_alliance_id_in_a_round_is_404_or_422(loose: TestClient, api: ApiWorld, number: int) -> None:
    response = loose.post("/rounds", headers=api.headers("admin"), json=round_body(number))
    assert response.status_code in {404, 422}
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("times", [
    {"opens_at": "0001-01-01T00:00:00"}, {"closes_at": "9999-12-31T23:59:59-05:00"}])
def test_round_times_outside_the_range_are_422(loose: TestClient, api: ApiWorld, times: dict[str, str]) -> None:
    body = round_body(api.world.alliance_id, **times)
    assert_problem(loose.post("/rounds", headers=api.headers("admin"), json=body), 422)


def test_every_error_is_problem_json(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    proposal_id, version = proposal_in(ctx, api.world, "submitted")
    cases = [
        (client.get("/proposals"), 401),
        (client.get("/nowhere", headers=api.headers("admin")), 404),
        (client.delete(f"/proposals/{proposal_id}", headers=api.headers("admin")), 405),
        (client.post("/alliances", json={"name": "x"}, headers=api.headers("manager")), 403),
        (fire(client, api, "reviewer", proposal_id, "open_review", if_match=version), 403),
        (fire(client, api, "applicant", proposal_id, "submit", if_match=version), 409),
        (fire(client, api, "manager", proposal_id, "open_review", if_match=version), 422),
        (fire(client, api, "applicant", proposal_id, "withdraw", if_match=None), 428),
        (client.get(f"/proposals/{proposal_id}", headers=api.headers("bank")), 404),
    ]
    for response, status in cases:
        assert_problem(response, status)


# --- idempotency ---------------------------------------------------------------------------------------------

def test_replayed_create_returns_the_first_answer_once(client: TestClient, api: ApiWorld, clock: Clock) -> None:
    headers = head(api, "applicant", key="create-7f3a")
    first = client.post("/proposals", json=draft(api), headers=headers)
    assert first.status_code == 201
    clock.now = WHILE_OPEN + timedelta(hours=1)
    again = client.post("/proposals", json=draft(api), headers=headers)
    clock.now = AFTER_CLOSE  # a new create would be refused now; the replay is answered from the first time
    late = client.post("/proposals", json=draft(api), headers=headers)
    for replay in (again, late):
        assert replay.status_code == 201
        assert replay.json() == first.json()
        assert replay.headers["ETag"] == first.headers["ETag"] == '"1"'
    listed = client.get("/proposals", headers=api.headers("applicant")).json()["items"]
    assert [p["id"] for p in listed] == [first.json()["id"]]
    assert [e["kind"] for e in history(client, api, first.json()["id"])] == ["created"]


def test_replayed_transition_returns_the_first_answer_once(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    proposal_id = create(client, api).json()["id"]
    first = fire(client, api, "applicant", proposal_id, "submit", if_match=1, key="submit-1")
    assert first.status_code == 200 and first.json()["state"] == "submitted"
    again = fire(client, api, "applicant", proposal_id, "submit", if_match=1, key="submit-1")
    assert again.status_code == 200
    assert again.json() == first.json() and again.headers["ETag"] == first.headers["ETag"] == '"2"'
    events = history(client, api, proposal_id)
    assert [e["transition"] for e in events] == [None, "submit"]
    assert version_of(ctx, proposal_id) == 2


def test_same_key_with_a_different_request_is_422(client: TestClient, api: ApiWorld) -> None:
    assert client.post("/proposals", json=draft(api), headers=head(api, "applicant", key="k1")).status_code == 201
    changed = client.post("/proposals", json=draft(api, title="Anderes Projekt"),
                          headers=head(api, "applicant", key="k1"))
    assert [e["field"] for e in assert_problem(changed, 422)["errors"]] == ["Idempotency-Key"]
    assert len(client.get("/proposals", headers=api.headers("applicant")).json()["items"]) == 1

    proposal_id = create(client, api).json()["id"]
    assert fire(client, api, "applicant", proposal_id, "submit", if_match=1, key="k2").status_code == 200
    other = fire(client, api, "applicant", proposal_id, "withdraw", if_match=1, reason=REASON, key="k2")
    assert_problem(other, 422)
    reused = fire(client, api, "applicant", proposal_id, "withdraw", if_match=2, reason=REASON, key="k1")
    assert_problem(reused, 422)
    assert [e["transition"] for e in history(client, api, proposal_id)] == [None, "submit"]


def test_idempotency_keys_are_per_caller(client: TestClient, api: ApiWorld, clock: Clock) -> None:
    mine = client.post("/proposals", json=draft(api), headers=head(api, "applicant", key="shared"))
    theirs = client.post("/proposals", json=draft(api), headers=head(api, "other_applicant", key="shared"))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["organisation_id"] == api.world.other_organisation_id

    assert fire(client, api, "applicant", mine.json()["id"], "submit", if_match=1, key="step").status_code == 200
    clock.now = AFTER_CLOSE
    opened = fire(client, api, "manager", mine.json()["id"], "open_review", if_match=2, key="step")
    assert opened.status_code == 200 and opened.json()["state"] == "in_review"
    assert [e["transition"] for e in history(client, api, mine.json()["id"])] == [None, "submit", "open_review"]


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_unusable_idempotency_key_is_422(client: TestClient, api: ApiWorld, key: str) -> None:
    response = client.post("/proposals", json=draft(api), headers=head(api, "applicant", key=key))
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["Idempotency-Key"]
    assert client.get("/proposals", headers=api.headers("applicant")).json()["items"] == []


# --- the Leipzig 2016 path, end to end over HTTP -----------------------------------------------------------

def test_leipzig_path_over_http(ctx: Context, client: TestClient, api: ApiWorld, clock: Clock) -> None:
    clock.now = WHILE_OPEN
    created = client.post("/proposals", json=draft(api), headers=head(api, "applicant", rid="leipzig-0"))
    assert created.status_code == 201
    proposal_id, etag = created.json()["id"], created.headers["ETag"]
    world = api.world

    # The steering group's own records (answers, judgements, scores) have endpoints of their own, tested with them;
    # here they are recorded through the services, between the steps over HTTP, as part of the same history.
    def condition_id() -> int:
        [condition] = [c for c in ctx.conditions.conditions(SYSTEM, proposal_id) if c.current]
        return condition.id

    def answer(rid: str) -> None:
        ctx.conditions.answer(world.actor(Role.APPLICANT), proposal_id, condition_id(),
                              {"text": "Kooperationsvereinbarung mit HTWK und Inspirata e.V. geschlossen"},
                              now=clock.now, request_id=rid)

    def judge(rid: str) -> None:
        ctx.conditions.judge(world.actor(Role.MANAGER), proposal_id, condition_id(), {"met": True}, now=clock.now,
                             request_id=rid)

    def score(rid: str) -> None:
        ctx.scoring.score(world.actor(Role.REVIEWER), proposal_id, full_marks(ctx, proposal_id), now=clock.now,
                          request_id=rid)

    recorded = {"answer": answer, "judge": judge, "score": score}
    steps: list[tuple[str, str, str | None, dict[str, Any] | None]] = [
        ("applicant", "submit", None, None),
        ("manager", "open_review", None, None),
        ("manager", "request_revision", "Beschluss der Lenkungsgruppe vom 24.05.2016", REVISION_INPUTS),
        ("applicant", "PATCH", None, {"partners": ["Förderverein BSZ 7 Leipzig e.V.", "HTWK Leipzig"]}),
        ("applicant", "answer", None, None),
        ("applicant", "resubmit", None, None),
        ("manager", "judge", None, None),
        ("reviewer", "score", None, None),
        ("manager", "prioritise", None, None),
        ("manager", "forward", None, {"documents": ["Projektantrag", "Finanzierungsplan"]}),
        ("bank", "approve", None, {"bank_reference": "SAB-2016-0815", "decision_date": "2016-08-01"}),
    ]
    for n, (who, step, reason, inputs) in enumerate(steps, start=1):
        if step == "open_review":
            clock.now = AFTER_CLOSE
        if step in recorded:
            recorded[step](f"leipzig-{n}")
            assert version_of(ctx, proposal_id) == n + 1, step  # each record is a write of the proposal
            etag = f'"{n + 1}"'
            continue
        if step == "PATCH":
            response = client.patch(f"/proposals/{proposal_id}", json=inputs,
                                    headers=head(api, who, if_match=etag, rid=f"leipzig-{n}"))
        else:
            response = fire(client, api, who, proposal_id, step, if_match=etag, reason=reason, inputs=inputs,
                            rid=f"leipzig-{n}")
        assert response.status_code == 200, (step, response.text)
        assert response.headers["ETag"] == f'"{n + 1}"'
        etag = response.headers["ETag"]
    final = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert final["state"] == "approved" and final["state_label"] == "Bewilligt" and final["version"] == 12
    assert final["partners"] == ["Förderverein BSZ 7 Leipzig e.V.", "HTWK Leipzig"]
    assert {t["name"] for t in final["allowed_transitions"]} == {"start_implementation"}

    events = client.get(f"/proposals/{proposal_id}/history", headers=api.headers("applicant")).json()
    # The bank meets the proposal at its submission: its history is the same from there on.
    assert client.get(f"/proposals/{proposal_id}/history", headers=api.headers("bank")).json() == events[1:]
    names = {"applicant": "Prof. Wieland", "manager": "Agentur für Arbeit Leipzig", "bank": "SAB Sachbearbeitung",
             "reviewer": "IHK zu Leipzig"}
    kinds = {"PATCH": "edited", "answer": "condition", "judge": "condition", "score": "scored"}
    assert [(e["transition"], e["actor_name"]) for e in events] == [(None, "Prof. Wieland")] + [
        (None if step == "PATCH" or step in recorded else step, names[who]) for who, step, _, _ in steps]
    assert [e["kind"] for e in events] == ["created"] + [kinds.get(s, "transition") for _, s, _, _ in steps]
    assert [e["seq"] for e in events] == list(range(1, 13))
    assert [e["request_id"] for e in events] == [f"leipzig-{n}" for n in range(12)]
    assert [e["to_state"] for e in events] == [
        "draft", "submitted", "in_review", "revision_requested", "revision_requested", "revision_requested",
        "second_reading", "second_reading", "second_reading", "prioritised", "forwarded_to_bank", "approved"]
    revision = events[3]
    assert revision["reason"] == "Beschluss der Lenkungsgruppe vom 24.05.2016"
    # The conditions as checked: each with who answers it (the applicant) and no date of its own.
    assert revision["inputs"] == {**REVISION_INPUTS, "conditions": [
        {"text": REVISION_INPUTS["conditions"][0], "responsible": "applicant", "due": None}]}
    assert events[-1]["inputs"] == {"bank_reference": "SAB-2016-0815", "decision_date": "2016-08-01"}
