"""The authorisation matrix over HTTP: every role x every endpoint x own and other organisation or alliance.

The tables below are the expected answers, written out (not derived from the product's own rules). Each case runs
on a fresh database, so a write that is allowed in one case cannot change what another case sees. The world: the
applicant's organisation and the reviewer's and manager's alliance own every proposal of the per-endpoint tables;
`other_applicant` belongs to another organisation, `other_manager` manages another alliance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld, Clock
from tests.factories import (
    REASON,
    ROUND_CLOSES,
    ROUND_OPENS,
    WHILE_OPEN,
    World,
    complete_plan,
    moment_for,
    proposal_in,
    sample_inputs,
    satisfy,
)
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.proposals import store as repo

PROBLEM = "application/problem+json"
WHO = ("applicant", "reviewer", "manager", "bank", "admin", "other_applicant", "other_manager")
TITLE = "Vertrauliches Vorhaben 4711"
SUMMARY = "Vernetzung schulischer und außerschulischer MINT-Bildung"  # what tests.factories.new_draft writes

# --- the tables --------------------------------------------------------------------------------------------
# Columns follow WHO: applicant, reviewer, manager, bank, admin, other_applicant, other_manager.

# GET /proposals/{id} and GET /proposals/{id}/history, by the state the proposal is in.
READS: dict[str, tuple[int, ...]] = {
    "draft":              (200, 404, 404, 404, 200, 404, 404),
    "withdrawn":          (200, 404, 404, 404, 200, 404, 404),  # withdrawn as a draft: never reached the alliance
    "submitted":          (200, 200, 200, 404, 200, 404, 404),
    "waiting_list":       (200, 200, 200, 404, 200, 404, 404),
    "prioritised":        (200, 200, 200, 404, 200, 404, 404),
    "forwarded_to_bank":  (200, 200, 200, 200, 200, 404, 404),
    "approved":           (200, 200, 200, 200, 200, 404, 404),
    "closed":             (200, 200, 200, 200, 200, 404, 404),
}

# PATCH /proposals/{id} with the current version: 409 where the proposal may not be edited in its state.
PATCHES: dict[str, tuple[int, ...]] = {
    "draft":              (200, 404, 404, 404, 403, 404, 404),
    "submitted":          (409, 403, 403, 404, 403, 404, 404),
    "revision_requested": (200, 403, 403, 404, 403, 404, 404),
    "forwarded_to_bank":  (409, 403, 403, 403, 403, 404, 404),
}

# POST /proposals/{id}/transitions with the current version, a reason and the transition's inputs.
# 404: may not see it; 403: sees it, but the role may not fire it; 409: the role may, but not from this state.
TRANSITIONS: dict[tuple[str, str], tuple[int, ...]] = {
    ("draft", "submit"):                  (200, 404, 404, 404, 403, 404, 404),
    ("draft", "withdraw"):                (200, 404, 404, 404, 403, 404, 404),
    ("submitted", "submit"):              (409, 403, 403, 404, 403, 404, 404),
    ("submitted", "open_review"):         (403, 403, 200, 404, 403, 404, 404),
    ("submitted", "withdraw"):            (200, 403, 403, 404, 403, 404, 404),
    ("submitted", "prioritise"):          (403, 403, 409, 404, 403, 404, 404),
    ("in_review", "request_revision"):    (403, 403, 200, 404, 403, 404, 404),
    ("in_review", "decline"):             (403, 403, 200, 404, 403, 404, 404),
    ("in_review", "put_on_waiting_list"): (403, 403, 200, 404, 403, 404, 404),
    ("revision_requested", "resubmit"):   (200, 403, 403, 404, 403, 404, 404),
    ("second_reading", "request_revision"): (403, 403, 200, 404, 403, 404, 404),
    ("waiting_list", "prioritise"):       (403, 403, 200, 404, 403, 404, 404),
    ("waiting_list", "decline"):          (403, 403, 200, 404, 403, 404, 404),
    ("waiting_list", "withdraw"):         (200, 403, 403, 404, 403, 404, 404),
    ("waiting_list", "forward"):          (403, 403, 409, 404, 403, 404, 404),
    ("prioritised", "forward"):           (403, 403, 200, 404, 403, 404, 404),
    # The bank decides; the managing member may record the decision from the bank's letter.
    ("forwarded_to_bank", "approve"):     (403, 403, 200, 200, 403, 404, 404),
    ("forwarded_to_bank", "reject"):      (403, 403, 200, 200, 403, 404, 404),
    ("forwarded_to_bank", "withdraw"):    (200, 403, 403, 403, 403, 404, 404),
    ("forwarded_to_bank", "prioritise"):  (403, 403, 409, 403, 403, 404, 404),
    # Version 2: the bank may record the start from the applicant's notice of start.
    ("approved", "start_implementation"): (200, 403, 200, 200, 403, 404, 404),
    ("proof_of_use_in_review", "accept_proof_of_use"): (403, 403, 403, 200, 403, 404, 404),
    ("proof_of_use_in_review", "request_proof_of_use_revision"): (403, 403, 403, 200, 403, 404, 404),
    ("proof_of_use_revision", "resubmit_proof_of_use"): (200, 403, 403, 403, 403, 404, 404),
}


def _round(alliance_id: int) -> dict[str, Any]:
    return {"alliance_id": alliance_id, "name": "Sonderrunde", "opens_at": "2026-09-01T00:00:00",
            "closes_at": "2026-10-01T00:00:00"}


def _draft(world: World) -> dict[str, Any]:
    return {"round_id": world.round_id, "title": "Neues Vorhaben", "funding_plan": complete_plan()}


# Writes outside a proposal: (method, path template, body, expected status per WHO).
SETUP_WRITES: dict[str, tuple[str, str, Callable[[World], dict[str, Any]], tuple[int, ...]]] = {
    "create-alliance": ("POST", "/alliances", lambda w: {"name": "Fachkräfteallianz Nordsachsen"},
                        (403, 403, 403, 403, 201, 403, 403)),
    "budget-own-alliance": ("PUT", "/alliances/{alliance}/budgets/2028", lambda w: {"amount": "123456.78"},
                            (403, 403, 200, 403, 200, 403, 403)),
    "budget-other-alliance": ("PUT", "/alliances/{other_alliance}/budgets/2028", lambda w: {"amount": "123456.78"},
                              (403, 403, 403, 403, 200, 403, 200)),
    "round-own-alliance": ("POST", "/rounds", lambda w: _round(w.alliance_id),
                           (403, 403, 201, 403, 201, 403, 403)),
    "round-other-alliance": ("POST", "/rounds", lambda w: _round(w.other_alliance_id),
                             (403, 403, 403, 403, 201, 403, 201)),
    "create-proposal": ("POST", "/proposals", _draft,
                        (201, 403, 403, 403, 403, 201, 403)),
}

# The administrators' account routes (security review, finding 7): (method, path, body, expected status per WHO).
# They act on the applicant's account; what an admin may not do to their own is in test_users_admin.py.
ACCOUNT_ROUTES: dict[str, tuple[str, str, dict[str, Any] | None, tuple[int, ...]]] = {
    "list-users": ("GET", "/admin/users", None, (403, 403, 403, 403, 200, 403, 403)),
    "read-user": ("GET", "/admin/users/{user}", None, (403, 403, 403, 403, 200, 403, 403)),
    "disable-user": ("POST", "/admin/users/{user}/disable", None, (403, 403, 403, 403, 200, 403, 403)),
    "enable-user": ("POST", "/admin/users/{user}/enable", None, (403, 403, 403, 403, 200, 403, 403)),
    "new-token": ("POST", "/admin/users/{user}/token", {"days": 30}, (403, 403, 403, 403, 200, 403, 403)),
}

# Readable by every signed-in user.
OPEN_READS = ("/procedures", "/procedures/saxony-regional", "/procedures/saxony-regional/diagram", "/alliances",
              "/alliances/{alliance}", "/alliances/{other_alliance}", "/rounds", "/rounds/{round}",
              "/rounds?alliance={other_alliance}", "/proposals")


@dataclass(frozen=True)
class Case:
    """One row: who sends `method path` (with `transition`, for transitions) on a proposal in `state`."""

    who: str
    method: str
    path: str
    state: str
    status: int
    transition: str | None = None


def _cases() -> list[Any]:
    rows: list[Case] = []
    for state, statuses in READS.items():
        for path in ("/proposals/{id}", "/proposals/{id}/history"):
            rows += [Case(who, "GET", path, state, status) for who, status in zip(WHO, statuses, strict=True)]
    for state, statuses in PATCHES.items():
        rows += [Case(who, "PATCH", "/proposals/{id}", state, status)
                 for who, status in zip(WHO, statuses, strict=True)]
    for (state, transition), statuses in TRANSITIONS.items():
        rows += [Case(who, "POST", "/proposals/{id}/transitions", state, status, transition)
                 for who, status in zip(WHO, statuses, strict=True)]
    return [pytest.param(c, id="-".join(str(part) for part in (
        c.method, c.path.rsplit("/", 1)[-1], c.state, c.transition or "", c.who, c.status))) for c in rows]


# --- helpers -----------------------------------------------------------------------------------------------

def stored_version(ctx: Context, proposal_id: int) -> int:
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    return int(row.version)


def assert_refused(response: httpx.Response, status: int) -> None:
    """A refusal is problem+json and tells nothing about the proposal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status
    assert TITLE not in response.text and SUMMARY not in response.text
    assert "Traceback" not in response.text


def fill(path: str, world: World, proposal_id: int | None = None) -> str:
    return path.format(id=proposal_id, alliance=world.alliance_id, other_alliance=world.other_alliance_id,
                       round=world.round_id)


# --- one proposal: read, edit, transitions -----------------------------------------------------------------

@pytest.mark.parametrize("case", _cases())
def test_proposal_endpoints(ctx: Context, client: TestClient, api: ApiWorld, clock: Clock, case: Case) -> None:
    proposal_id, version = proposal_in(ctx, api.world, case.state, title=TITLE)
    body: dict[str, Any] | None = {"goals": "Geänderte Ziele"} if case.method == "PATCH" else None
    target = None
    if case.transition is not None:
        definition = ctx.procedures.latest("saxony-regional").transitions[case.transition]
        if case.state in definition.sources:
            # What the step's rules wait for is done (members scored, conditions answered): the table is about
            # who may fire it, not about its rules.
            version = satisfy(ctx, api.world, proposal_id, definition, version)
        body = {"transition": case.transition, "reason": REASON, "inputs": sample_inputs(definition)}
        clock.now = moment_for(definition)
        target = definition.to
    response = client.request(case.method, fill(case.path, api.world, proposal_id), json=body,
                              headers=api.headers(case.who, **{"If-Match": f'"{version}"'}))

    if case.status >= 400:
        assert_refused(response, case.status)
        assert stored_version(ctx, proposal_id) == version
        return
    assert response.status_code == case.status, response.text
    answer = response.json()
    if case.path.endswith("/history"):
        # The steering group and the bank meet a proposal at its submission, here its second event.
        first = 1 if case.who in ("applicant", "admin") else 2
        assert [e["seq"] for e in answer] == list(range(first, version + 1))
        return
    assert answer["id"] == proposal_id and answer["title"] == TITLE
    if case.method == "GET":
        assert answer["state"] == case.state and answer["version"] == version
        assert response.headers["ETag"] == f'"{version}"'
    elif case.method == "PATCH":
        assert answer["goals"] == "Geänderte Ziele" and answer["version"] == version + 1
    else:
        assert answer["state"] == target and answer["version"] == version + 1
    assert stored_version(ctx, proposal_id) == answer["version"]


def test_the_tables_cover_every_role_and_endpoint() -> None:
    """Guards the tables themselves: each row names every role, and each endpoint kind appears."""
    for statuses in (*READS.values(), *PATCHES.values(), *TRANSITIONS.values(),
                     *(row[3] for row in SETUP_WRITES.values()), *(row[3] for row in ACCOUNT_ROUTES.values())):
        assert len(statuses) == len(WHO)
    documented = {(method.upper(), path) for path, methods in create_app().openapi()["paths"].items()
                  for method in methods if path.startswith("/admin/users")}
    assert {(m, p.replace("{user}", "{user_id}")) for m, p, _, _ in ACCOUNT_ROUTES.values()} == documented
    cases = [p.values[0] for p in _cases()]
    assert {(c.method, c.path) for c in cases} == {
        ("GET", "/proposals/{id}"), ("GET", "/proposals/{id}/history"), ("PATCH", "/proposals/{id}"),
        ("POST", "/proposals/{id}/transitions")}
    assert {c.status for c in cases} == {200, 403, 404, 409}


# --- the list ----------------------------------------------------------------------------------------------

def _scene(ctx: Context, world: World) -> dict[str, int]:
    """Proposals of both organisations in both alliances, in states that decide who sees them."""
    other_round = ctx.admin.create_round(SYSTEM, world.other_alliance_id, "Mittelsachsen 2026", opens_at=ROUND_OPENS,
                                         closes_at=ROUND_CLOSES, now=ROUND_OPENS)
    assert other_round.id is not None

    def submitted_by_other_organisation(round_id: int, title: str) -> int:
        view = ctx.proposals.create_draft(world.other_applicant, {
            "round_id": round_id, "title": title, "funding_plan": complete_plan()}, now=WHILE_OPEN)
        ctx.proposals.fire(world.other_applicant, view.id, "submit", expected_version=1, now=WHILE_OPEN)
        return view.id

    scene = {state: proposal_in(ctx, world, state, title=f"{TITLE} {state}")[0]
             for state in ("draft", "withdrawn", "submitted", "forwarded_to_bank", "approved")}
    withdrawn_late, version = proposal_in(ctx, world, "submitted", title=f"{TITLE} zurückgezogen")
    ctx.proposals.fire(world.actor(Role.APPLICANT), withdrawn_late, "withdraw", expected_version=version,
                       now=WHILE_OPEN, reason=REASON)
    scene["withdrawn_after_submission"] = withdrawn_late
    scene["other_organisation"] = submitted_by_other_organisation(world.round_id, "Logistik-Netzwerk")
    scene["other_alliance"] = submitted_by_other_organisation(other_round.id, "Logistik Mittelsachsen")
    return scene


OWN = {"draft", "withdrawn", "submitted", "forwarded_to_bank", "approved", "withdrawn_after_submission"}
STEERING = {"submitted", "forwarded_to_bank", "approved", "withdrawn_after_submission", "other_organisation"}
SEEN_BY: dict[str, set[str]] = {
    "applicant": OWN,
    "reviewer": STEERING,
    "manager": STEERING,
    "bank": {"forwarded_to_bank", "approved"},
    "admin": OWN | {"other_organisation", "other_alliance"},
    "other_applicant": {"other_organisation", "other_alliance"},
    "other_manager": {"other_alliance"},
}


def listed(client: TestClient, api: ApiWorld, who: str, query: str = "") -> list[int]:
    response = client.get(f"/proposals?limit=3{query}", headers=api.headers(who))
    assert response.status_code == 200
    page = response.json()
    found = [item["id"] for item in page["items"]]
    while page["next_cursor"] is not None:
        page = client.get(f"/proposals?limit=3{query}&cursor={page['next_cursor']}", headers=api.headers(who)).json()
        found += [item["id"] for item in page["items"]]
    return found


@pytest.mark.parametrize("who", WHO)
def test_list_shows_exactly_what_the_caller_may_see(ctx: Context, client: TestClient, api: ApiWorld,
                                                     who: str) -> None:
    scene = _scene(ctx, api.world)
    expected = {scene[name] for name in SEEN_BY[who]}
    found = listed(client, api, who)
    assert len(found) == len(set(found))
    assert set(found) == expected
    for name, proposal_id in scene.items():  # the list and the single read agree
        status = client.get(f"/proposals/{proposal_id}", headers=api.headers(who)).status_code
        assert status == (200 if name in SEEN_BY[who] else 404), (name, status)


@pytest.mark.parametrize("who", WHO)
def test_filters_never_widen_what_the_caller_sees(ctx: Context, client: TestClient, api: ApiWorld, who: str) -> None:
    scene = _scene(ctx, api.world)
    visible = {scene[name] for name in SEEN_BY[who]}
    world = api.world
    states = {name: client.get(f"/proposals/{pid}", headers=api.headers("admin")).json()["state"]
              for name, pid in scene.items()}
    for state in set(states.values()):
        expected = {scene[n] for n, s in states.items() if s == state} & visible
        assert set(listed(client, api, who, f"&state={state}")) == expected, state
    for alliance in (world.alliance_id, world.other_alliance_id):
        found = set(listed(client, api, who, f"&alliance={alliance}"))
        assert found <= visible
        assert found == {pid for pid in visible
                         if client.get(f"/proposals/{pid}", headers=api.headers("admin")).json()["alliance_id"]
                         == alliance}
    assert set(listed(client, api, who, f"&round={world.round_id}")) == visible - {scene["other_alliance"]}


# --- alliances, budgets, rounds, new proposals ------------------------------------------------------------

def _snapshot(client: TestClient, api: ApiWorld) -> tuple[Any, ...]:
    admin = api.headers("admin")
    return (client.get("/alliances", headers=admin).json(), client.get("/rounds", headers=admin).json(),
            client.get("/proposals", headers=admin).json())


@pytest.mark.parametrize(("name", "who", "status"), [
    pytest.param(name, who, status, id=f"{name}-{who}-{status}")
    for name, (_, _, _, statuses) in SETUP_WRITES.items() for who, status in zip(WHO, statuses, strict=True)
])
def test_setup_writes(client: TestClient, api: ApiWorld, name: str, who: str, status: int) -> None:
    method, path, body, _ = SETUP_WRITES[name]
    before = _snapshot(client, api)
    response = client.request(method, fill(path, api.world), json=body(api.world), headers=api.headers(who))
    after = _snapshot(client, api)
    if status >= 400:
        assert_refused(response, status)
        assert after == before
        return
    assert response.status_code == status, response.text
    created = response.json()
    assert after != before
    if name == "create-alliance":
        assert created["id"] in {a["id"] for a in after[0]}
    elif name.startswith("budget"):
        alliance_id = api.world.alliance_id if name == "budget-own-alliance" else api.world.other_alliance_id
        [budget] = [b for a in after[0] if a["id"] == alliance_id for b in a["budgets"] if b["year"] == 2028]
        assert budget == created == {"alliance_id": alliance_id, "year": 2028, "amount": "123456.78"}
    elif name.startswith("round"):
        assert created["id"] in {r["id"] for r in after[1]}
        assert created["alliance_id"] == body(api.world)["alliance_id"]
    else:
        assert [p["id"] for p in after[2]["items"]] == [created["id"]]
        organisation = api.world.organisation_id if who == "applicant" else api.world.other_organisation_id
        assert created["organisation_id"] == organisation and created["state"] == "draft"


@pytest.mark.parametrize("path", OPEN_READS)
@pytest.mark.parametrize("who", WHO)
def test_everyone_signed_in_reads_procedures_alliances_and_rounds(client: TestClient, api: ApiWorld, who: str,
                                                                  path: str) -> None:
    response = client.get(fill(path, api.world), headers=api.headers(who))
    assert response.status_code == 200, response.text
    assert response.text


@pytest.mark.parametrize(("name", "who", "status"), [
    pytest.param(name, who, status, id=f"{name}-{who}-{status}")
    for name, (_, _, _, statuses) in ACCOUNT_ROUTES.items() for who, status in zip(WHO, statuses, strict=True)
])
def test_account_routes(client: TestClient, api: ApiWorld, name: str, who: str, status: int) -> None:
    method, path, body, _ = ACCOUNT_ROUTES[name]
    target = api.world.actor(Role.APPLICANT).user_id
    before = client.get("/admin/users", headers=api.headers("admin")).json()
    response = client.request(method, path.format(user=target), json=body, headers=api.headers(who))
    if status >= 400:
        assert_refused(response, status)
        assert client.get("/admin/users", headers=api.headers("admin")).json() == before
        assert client.get("/proposals", headers=api.headers("applicant")).status_code == 200
        return
    assert response.status_code == status, response.text
    answer = response.json()
    applicant_can = client.get("/proposals", headers=api.headers("applicant")).status_code
    if name == "list-users":
        assert target in {u["id"] for u in answer}
    elif name in ("read-user", "enable-user"):
        assert answer["id"] == target and answer["active"] is True and applicant_can == 200
    elif name == "disable-user":
        assert answer["id"] == target and answer["active"] is False and applicant_can == 401
    else:
        assert answer["user"]["id"] == target and answer["token"].startswith("fw_") and applicant_can == 401
        assert client.get("/proposals", headers={"Authorization": f"Bearer {answer['token']}"}).status_code == 200
