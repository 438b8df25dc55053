"""The steering group's work over HTTP: scoring, conditions, sessions, ranking and resolutions, reserve pools,
the bank record and early starts.

Each route's happy path with the shape of its answer; an authorisation matrix over every new route (written out,
not derived from the product's rules); bad input answered 422 problem+json naming the field; never a 500 (the
test client re-raises any unhandled exception).
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
from tests.factories import AFTER_CLOSE, REASON, World, full_marks, proposal_in, sample_inputs
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role

PROBLEM = "application/problem+json"
WHO = ("applicant", "reviewer", "manager", "bank", "admin", "other_applicant", "other_manager")
TITLE = "Vertrauliches Vorhaben 4711"
BIG = 2**31  # one past the largest id the database holds
SESSION = {"title": "Sitzung der Lenkungsgruppe", "held_at": "2026-06-24T14:00:00"}
POOL = {"name": "Leistungsreserve 2026", "year": 2026, "amount": "100000.00"}


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    """A refusal is problem+json with the status in the body, and names nothing of the proposal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert TITLE not in response.text and "Traceback" not in response.text
    return body


def invalid(response: httpx.Response, *fields: str) -> dict[str, Any]:
    """422 problem+json whose errors name each field (the end of its dotted path, e.g. body.points.concept)."""
    body = refused(response, 422)
    named = [e["field"] for e in body.get("errors") or []]
    for field in fields:
        assert any(n == field or n.endswith(f".{field}") for n in named), (field, body)
    return body


def scored(ctx: Context, world: World, proposal_id: int, points: dict[str, int] | None = None) -> None:
    """The world's voting member scores the proposal (full marks unless told)."""
    sheet = full_marks(ctx, proposal_id)
    if points is not None:
        sheet["points"] = points
    ctx.scoring.score(world.actor(Role.REVIEWER), proposal_id, sheet, now=AFTER_CLOSE)


def member(ctx: Context, world: World, name: str, *, organisation: str | None = None,
           organisation_id: int | None = None) -> tuple[Actor, str]:
    """Another voting member of the world's alliance, from an organisation of their own (or the one given)."""
    if organisation is not None:
        org = ctx.admin.create_organisation(SYSTEM, organisation)
        organisation_id = org.id
    user = ctx.admin.create_user(SYSTEM, name, Role.REVIEWER, organisation_id=organisation_id,
                                 alliance_id=world.alliance_id)
    assert user.id is not None
    return ctx.admin.actor_for(user.id), ctx.admin.issue_token(SYSTEM, user.id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_session(ctx: Context, world: World, alliance_id: int | None = None) -> int:
    held = {"title": SESSION["title"], "held_at": AFTER_CLOSE.replace(hour=14)}
    return ctx.meetings.create(SYSTEM, alliance_id or world.alliance_id, held, now=AFTER_CLOSE).id


def new_pool(ctx: Context, world: World, amount: str = "100000.00") -> int:
    return ctx.priorisation.create_pool(SYSTEM, {**POOL, "amount": amount,
                                                 "alliance_ids": [world.alliance_id]}).id


# --- scoring ------------------------------------------------------------------------------------------------

def test_scoring_scheme_read_and_replaced(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    response = client.get(f"/rounds/{world.round_id}/scoring-scheme", headers=api.headers("reviewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["round_id"] == world.round_id and body["source"] == "round" and body["changeable"] is True
    scheme = body["scheme"]
    assert [c["key"] for c in scheme["criteria"]] == ["regional_need", "concept", "cooperation", "sustainability"]
    assert scheme["criteria"][0] == {"key": "regional_need", "weight": 3, "max_points": 5,
                                     "label": {"de": "Regionaler Fachkräftebedarf",
                                               "en": "Regional need for skilled workers"}}
    assert [k["key"] for k in scheme["ko"]] == ["documents_complete", "guideline_fit"]
    assert scheme["max_total"] == 3 * 5 + 2 * 5 + 2 * 5 + 1 * 5
    assert (scheme["quorum"], scheme["min_share"], scheme["blind"], scheme["scorers"]) == (1, 30, True, "reviewer")

    mine = {"min_share": 50, "quorum": 1, "tie_break": "lower_grant_first",
            "criteria": [{"key": "need", "label": "Bedarf", "weight": 2, "max_points": 10}],
            "ko": [{"key": "complete", "label": {"de": "Vollständig", "en": "Complete"}}]}
    response = client.put(f"/rounds/{world.round_id}/scoring-scheme", json=mine, headers=api.headers("manager"))
    assert response.status_code == 200, response.text
    scheme = response.json()["scheme"]
    assert scheme["criteria"] == [{"key": "need", "label": {"de": "Bedarf", "en": "Bedarf"}, "weight": 2,
                                   "max_points": 10}]
    assert (scheme["max_total"], scheme["min_share"], scheme["tie_break"]) == (20, 50, "lower_grant_first")

    # After the first score the scheme stays as it is.
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    sheet = {"points": {"need": 7}, "ko": {"complete": True}}
    assert client.put(f"/proposals/{proposal_id}/scores/me", json=sheet,
                      headers=api.headers("reviewer")).status_code == 200
    refused(client.put(f"/rounds/{world.round_id}/scoring-scheme", json=mine, headers=api.headers("manager")), 409)
    assert client.get(f"/rounds/{world.round_id}/scoring-scheme",
                      headers=api.headers("manager")).json()["changeable"] is False


@pytest.mark.parametrize(("change", "field"), [
    pytest.param({"criteria": []}, "criteria", id="no-criteria"),
    pytest.param({"criteria": [{"key": "Need!", "label": "Bedarf", "max_points": 5}]}, "key", id="bad-key"),
    pytest.param({"criteria": [{"key": "need", "label": "Bedarf", "max_points": 0}]}, "max_points", id="max-0"),
    pytest.param({"quorum": 0}, "quorum", id="quorum-0"),
    pytest.param({"min_share": 101}, "min_share", id="share-101"),
    pytest.param({"tie_break": "coin_toss"}, "tie_break", id="tie-break"),
    pytest.param({"votes": 3}, "votes", id="unknown-field"),
    pytest.param({"criteria": [{"key": "need", "label": "Bedarf", "max_points": 5},
                               {"key": "need", "label": "Bedarf", "max_points": 5}]}, "body", id="doubled-key"),
])
def test_scoring_scheme_bad_input(client: TestClient, api: ApiWorld, change: dict[str, Any], field: str) -> None:
    scheme = {"criteria": [{"key": "need", "label": "Bedarf", "max_points": 5}], **change}
    invalid(client.put(f"/rounds/{api.world.round_id}/scoring-scheme", json=scheme, headers=api.headers("manager")),
            field)


def test_a_fixed_scheme_is_refused(client: TestClient, api: ApiWorld) -> None:
    scheme = {"fixed": True, "criteria": [{"key": "need", "label": "Bedarf", "max_points": 5}]}
    invalid(client.put(f"/rounds/{api.world.round_id}/scoring-scheme", json=scheme, headers=api.headers("admin")),
            "fixed")


def test_scores_given_and_read(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    proposal_id, version = proposal_in(ctx, world, "in_review", title=TITLE)
    clock.now = AFTER_CLOSE
    points = {"regional_need": 4, "concept": 3, "cooperation": 5, "sustainability": 2}
    sheet: dict[str, Any] = {"points": points, "ko": {"documents_complete": True, "guideline_fit": True},
                             "comment": "Gute Vernetzung"}
    response = client.put(f"/proposals/{proposal_id}/scores/me", json=sheet, headers=api.headers("reviewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    reviewer = world.actor(Role.REVIEWER)
    assert body["proposal_id"] == proposal_id and body["quorum_reached"] is True
    assert body["members"] == [{"user_id": reviewer.user_id, "name": reviewer.name, "scored": True,
                                "conflict": None}]
    assert body["own"]["points"] == sheet["points"] and body["own"]["comment"] == "Gute Vernetzung"
    assert body["sheets"] == [] and body["hidden_until_scored"] is False
    # 3*4 + 2*3 + 2*5 + 1*2 = 30 of 40: 75 %.
    assert body["result"] == {"scores": 1, "total": "30.00", "max_total": 40, "share": "75.00", "ko_failed": [],
                              "passes": True, "per_criterion": {"regional_need": "4.00", "concept": "3.00",
                                                                "cooperation": "5.00", "sustainability": "2.00"}}

    manager = client.get(f"/proposals/{proposal_id}/scores", headers=api.headers("manager")).json()
    assert [s["scorer_id"] for s in manager["sheets"]] == [reviewer.user_id]
    assert manager["own"] is None and manager["result"]["total"] == "30.00"

    # A score is a recorded act: the history shows it, the proposal's version moved on.
    history = client.get(f"/proposals/{proposal_id}/history", headers=api.headers("manager")).json()
    assert history[-1]["kind"] == "scored" and history[-1]["inputs"]["points"] == sheet["points"]
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("manager")).json()["version"] == version + 1

    # Revised: the same sheet, replaced.
    points["sustainability"] = 5
    again = client.put(f"/proposals/{proposal_id}/scores/me", json=sheet, headers=api.headers("reviewer")).json()
    assert again["result"]["total"] == "33.00" and again["result"]["scores"] == 1


def test_blind_scores_open_after_scoring_oneself(client: TestClient, api: ApiWorld, ctx: Context,
                                                 clock: Clock) -> None:
    world = api.world
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    _, token = member(ctx, world, "Handwerkskammer zu Leipzig", organisation="Handwerkskammer zu Leipzig")
    scored(ctx, world, proposal_id)
    before = client.get(f"/proposals/{proposal_id}/scores", headers=bearer(token)).json()
    assert before["hidden_until_scored"] is True
    assert before["result"] is None and before["sheets"] == [] and before["own"] is None
    assert [m["scored"] for m in before["members"]] == [True, False]
    after = client.put(f"/proposals/{proposal_id}/scores/me", json=full_marks(ctx, proposal_id),
                       headers=bearer(token)).json()
    assert after["hidden_until_scored"] is False and len(after["sheets"]) == 1
    assert after["result"]["scores"] == 2 and after["result"]["share"] == "100.00"


@pytest.mark.parametrize("conflict", ["applicant", "partner"])
def test_a_conflicted_member_is_refused(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock,
                                        conflict: str) -> None:
    world = api.world
    proposal_id, version = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    if conflict == "applicant":  # a member from the applicant's own organisation
        _, token = member(ctx, world, "Zukunftsakademie (Vorstand)", organisation_id=world.organisation_id)
        reason = "the member's organisation is the applicant"
    else:  # a member from a partner named in the proposal (tests.factories.new_draft: HTWK Leipzig)
        _, token = member(ctx, world, "HTWK (Prorektorat)", organisation="HTWK  leipzig")
        reason = "is a partner of the proposal"
    body = refused(client.put(f"/proposals/{proposal_id}/scores/me", json=full_marks(ctx, proposal_id),
                              headers=bearer(token)), 403)
    assert "conflict of interest" in body["detail"] and reason in body["detail"]
    view = client.get(f"/proposals/{proposal_id}/scores", headers=api.headers("manager")).json()
    conflicted = [m for m in view["members"] if m["conflict"] is not None]
    assert len(conflicted) == 1 and reason in conflicted[0]["conflict"] and conflicted[0]["scored"] is False
    assert view["quorum_reached"] is False and view["sheets"] == []
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("manager")).json()["version"] == version


POINTS = {"regional_need": 4, "concept": 3, "cooperation": 5, "sustainability": 2}
KO = {"documents_complete": True, "guideline_fit": True}


@pytest.mark.parametrize(("sheet", "fields"), [
    pytest.param({"points": {**POINTS, "charisma": 5}, "ko": KO}, ["points.charisma"], id="unknown-criterion"),
    pytest.param({"points": {**POINTS, "concept": 6}, "ko": KO}, ["points.concept"], id="above-max"),
    pytest.param({"points": {**POINTS, "concept": -1}, "ko": KO}, ["points.concept"], id="below-0"),
    pytest.param({"points": {**POINTS, "concept": 10**30}, "ko": KO}, ["points.concept"], id="huge"),
    pytest.param({"points": {k: v for k, v in POINTS.items() if k != "concept"}, "ko": KO}, ["points.concept"],
                 id="missing-criterion"),
    pytest.param({"points": POINTS, "ko": {"documents_complete": True}}, ["ko.guideline_fit"], id="missing-ko"),
    pytest.param({"points": POINTS}, ["ko.documents_complete", "ko.guideline_fit"], id="no-ko"),
    pytest.param({"points": POINTS, "ko": {**KO, "charm": True}}, ["ko.charm"], id="unknown-ko"),
    pytest.param({"points": {**POINTS, "concept": "viel"}, "ko": KO}, ["points.concept"], id="points-text"),
    pytest.param({"points": {**POINTS, "concept": 2.5}, "ko": KO}, ["points.concept"], id="points-fraction"),
    pytest.param({"points": POINTS, "ko": {**KO, "guideline_fit": "vielleicht"}}, ["ko.guideline_fit"],
                 id="ko-text"),
    pytest.param({"points": [4, 3, 5, 2], "ko": KO}, ["points"], id="points-list"),
    pytest.param({"ko": KO}, ["points"], id="no-points"),
    pytest.param({"points": POINTS, "ko": KO, "comment": "gut\x00"}, ["comment"], id="nul-comment"),
    pytest.param({"points": POINTS, "ko": KO, "comment": "x" * 5001}, ["comment"], id="long-comment"),
    pytest.param({"points": POINTS, "ko": KO, "weight": 2}, ["weight"], id="unknown-field"),
])
def test_bad_score_sheets(client: TestClient, api: ApiWorld, ctx: Context, sheet: dict[str, Any],
                          fields: list[str]) -> None:
    proposal_id, version = proposal_in(ctx, api.world, "in_review")
    invalid(client.put(f"/proposals/{proposal_id}/scores/me", json=sheet, headers=api.headers("reviewer")), *fields)
    assert ctx.scoring.scores(SYSTEM, proposal_id).members[0].scored is False
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("reviewer")).json()["version"] == version


def test_scores_outside_the_scoring_states_are_refused(client: TestClient, api: ApiWorld, ctx: Context) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "submitted")
    body = refused(client.put(f"/proposals/{proposal_id}/scores/me", json=full_marks(ctx, proposal_id),
                              headers=api.headers("reviewer")), 409)
    assert "in_review" in body["detail"]


# --- conditions ---------------------------------------------------------------------------------------------

def test_conditions_answered_and_judged(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    proposal_id, _ = proposal_in(ctx, world, "revision_requested", title=TITLE)
    clock.now = AFTER_CLOSE
    [condition] = client.get(f"/proposals/{proposal_id}/conditions", headers=api.headers("applicant")).json()
    assert condition["status"] == "open" and condition["current"] is True and condition["position"] == 1
    assert condition["text"] == sample_inputs(ctx.procedures.get("saxony-regional", 1)
                                              .transitions["request_revision"])["conditions"][0]
    assert condition["due_on"] == "2026-06-15" and condition["answer"] is None and condition["evidence"] == []
    cid = condition["id"]

    answer = {"text": "Kooperationsvereinbarung geschlossen", "evidence": ["Vereinbarung mit der HTWK vom 08.06."]}
    response = client.post(f"/proposals/{proposal_id}/conditions/{cid}/answer", json=answer,
                           headers=api.headers("applicant"))
    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["status"] == "answered" and answered["answer"] == answer["text"]
    assert answered["evidence"] == answer["evidence"] and answered["answered_at"] is not None

    version = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()["version"]
    resubmitted = client.post(f"/proposals/{proposal_id}/transitions", json={"transition": "resubmit"},
                              headers=api.headers("applicant", **{"If-Match": f'"{version}"'}))
    assert resubmitted.status_code == 200, resubmitted.text

    session_id = new_session(ctx, world)
    response = client.post(f"/proposals/{proposal_id}/conditions/{cid}/judgement",
                           json={"met": True, "note": "liegt vor", "session_id": session_id},
                           headers=api.headers("manager"))
    assert response.status_code == 200, response.text
    judged = response.json()
    assert judged["status"] == "met" and judged["judgement_note"] == "liegt vor"
    assert judged["session_id"] == session_id and judged["judged_at"] is not None

    kinds = [(e["kind"], e["inputs"].get("action")) for e in
             client.get(f"/proposals/{proposal_id}/history", headers=api.headers("manager")).json()]
    assert ("condition", "answered") in kinds and ("condition", "judged") in kinds
    minutes = client.get(f"/sessions/{session_id}", headers=api.headers("manager")).json()
    assert [(d["proposal_id"], d["entry"]["inputs"]["action"]) for d in minutes["decisions"]] == [
        (proposal_id, "judged")]


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({"text": ""}, ["text"], id="empty"),
    pytest.param({}, ["text"], id="missing"),
    pytest.param({"text": "erfüllt\x00"}, ["text"], id="nul"),
    pytest.param({"text": "erfüllt", "evidence": ["Brief\x00"]}, ["evidence.0"], id="nul-evidence"),
    pytest.param({"text": "erfüllt", "evidence": "Brief"}, ["evidence"], id="evidence-text"),
    pytest.param({"text": "erfüllt", "evidence": [""]}, ["evidence.0"], id="evidence-empty"),
    pytest.param({"text": 42}, ["text"], id="text-number"),
    pytest.param({"text": "erfüllt", "status": "met"}, ["status"], id="unknown-field"),
])
def test_bad_answers(client: TestClient, api: ApiWorld, ctx: Context, body: dict[str, Any],
                     fields: list[str]) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "revision_requested")
    [condition] = ctx.conditions.conditions(SYSTEM, proposal_id)
    invalid(client.post(f"/proposals/{proposal_id}/conditions/{condition.id}/answer", json=body,
                        headers=api.headers("applicant")), *fields)
    assert ctx.conditions.conditions(SYSTEM, proposal_id)[0].status == "open"


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({}, ["met"], id="missing-met"),
    pytest.param({"met": "vielleicht"}, ["met"], id="met-text"),
    pytest.param({"met": True, "session_id": BIG}, ["session_id"], id="session-too-big"),
    pytest.param({"met": True, "session_id": 0}, ["session_id"], id="session-0"),
    pytest.param({"met": True, "session_id": 4711}, ["session_id"], id="no-such-session"),
    pytest.param({"met": True, "session_id": "other"}, ["session_id"], id="other-alliance-session"),
    pytest.param({"met": True, "note": "ok\x00"}, ["note"], id="nul-note"),
])
def test_bad_judgements(client: TestClient, api: ApiWorld, ctx: Context, body: dict[str, Any],
                        fields: list[str]) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "second_reading")
    if body.get("session_id") == "other":
        body = {**body, "session_id": new_session(ctx, api.world, api.world.other_alliance_id)}
    [condition] = ctx.conditions.conditions(SYSTEM, proposal_id)
    invalid(client.post(f"/proposals/{proposal_id}/conditions/{condition.id}/judgement", json=body,
                        headers=api.headers("manager")), *fields)
    assert ctx.conditions.conditions(SYSTEM, proposal_id)[0].status == "answered"


def test_unknown_conditions_are_not_found(client: TestClient, api: ApiWorld, ctx: Context) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "revision_requested")
    refused(client.post(f"/proposals/{proposal_id}/conditions/4711/answer", json={"text": "erfüllt"},
                        headers=api.headers("applicant")), 404)
    invalid(client.post(f"/proposals/{proposal_id}/conditions/{BIG}/answer", json={"text": "erfüllt"},
                        headers=api.headers("applicant")), "condition_id")
    invalid(client.get(f"/proposals/{BIG}/conditions", headers=api.headers("applicant")), "proposal_id")


# --- sessions -----------------------------------------------------------------------------------------------

def test_sessions_agenda_and_minutes(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    clock.now = AFTER_CLOSE
    response = client.post(f"/alliances/{world.alliance_id}/sessions", json=SESSION, headers=api.headers("manager"))
    assert response.status_code == 201, response.text
    session = response.json()
    # Without an offset: a Berlin wall-clock time (summer time in June).
    assert session["held_at"] == "2026-06-24T12:00:00Z"
    assert session["title"] == SESSION["title"] and session["alliance_id"] == world.alliance_id
    listed = client.get(f"/alliances/{world.alliance_id}/sessions", headers=api.headers("reviewer")).json()
    assert listed == [session]

    proposal_id, version = proposal_in(ctx, world, "in_review", title=TITLE)
    response = client.post(f"/sessions/{session['id']}/agenda", json={"proposal_id": proposal_id},
                           headers=api.headers("manager"))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["session"] == session and detail["resolutions"] == []
    assert detail["agenda"] == [{"position": 1, "proposal_id": proposal_id, "title": TITLE, "state": "in_review",
                                 "purpose": "hearing"}]
    # The hearing is set through the procedure's own step: it is in the minutes and sets the hearing deadline.
    [decision] = detail["decisions"]
    assert decision["proposal_id"] == proposal_id and decision["entry"]["transition"] == "schedule_hearing"
    assert decision["entry"]["inputs"] == {"next_session": "2026-06-24"} and decision["entry"]["seq"] == version + 1
    proposal = client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()
    assert [d["kind"] for d in proposal["deadlines"]] == ["hearing"]
    assert client.get(f"/sessions/{session['id']}", headers=api.headers("reviewer")).json() == detail

    refused(client.post(f"/sessions/{session['id']}/agenda", json={"proposal_id": proposal_id},
                        headers=api.headers("manager")), 409)
    second, _ = proposal_in(ctx, world, "in_review")
    detail = client.post(f"/sessions/{session['id']}/agenda", json={"proposal_id": second, "purpose": "decision"},
                         headers=api.headers("manager")).json()
    assert [(a["position"], a["purpose"]) for a in detail["agenda"]] == [(1, "hearing"), (2, "decision")]
    assert len(detail["decisions"]) == 1  # a decision item sets no hearing


def test_a_transition_names_its_session(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    proposal_id, version = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    session_id = new_session(ctx, world)
    decline = {"transition": "decline", "reason": REASON, "session_id": session_id}
    response = client.post(f"/proposals/{proposal_id}/transitions", json=decline,
                           headers=api.headers("manager", **{"If-Match": f'"{version}"'}))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "not_prioritised"
    [decision] = client.get(f"/sessions/{session_id}", headers=api.headers("manager")).json()["decisions"]
    assert decision["proposal_id"] == proposal_id and decision["entry"]["transition"] == "decline"
    assert decision["entry"]["reason"] == REASON


@pytest.mark.parametrize("session", ["other_alliance", 4711, BIG, 0, "zwei"])
def test_a_transition_with_a_foreign_or_bad_session_is_refused(client: TestClient, api: ApiWorld, ctx: Context,
                                                               clock: Clock, session: Any) -> None:
    world = api.world
    proposal_id, version = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    if session == "other_alliance":
        session = new_session(ctx, world, world.other_alliance_id)
    decline = {"transition": "decline", "reason": REASON, "session_id": session}
    for key in (None, "retry-1"):  # plain and idempotent
        headers = {"If-Match": f'"{version}"', **({"Idempotency-Key": key} if key else {})}
        invalid(client.post(f"/proposals/{proposal_id}/transitions", json=decline,
                            headers=api.headers("manager", **headers)), "session_id")
    assert client.get(f"/proposals/{proposal_id}", headers=api.headers("manager")).json()["state"] == "in_review"


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({**SESSION, "held_at": "9999-06-24T14:00:00+02:00"}, ["held_at"], id="far-future"),
    pytest.param({**SESSION, "held_at": "0001-01-01T00:00:00"}, ["held_at"], id="year-1"),
    pytest.param({**SESSION, "held_at": "1999-12-31T23:00:00+00:00"}, ["held_at"], id="last-century"),
    pytest.param({**SESSION, "held_at": "nächsten Dienstag"}, ["held_at"], id="not-a-time"),
    pytest.param({"title": SESSION["title"]}, ["held_at"], id="missing-time"),
    pytest.param({**SESSION, "title": "Si\x00tzung"}, ["title"], id="nul-title"),
    pytest.param({**SESSION, "title": "LG"}, ["title"], id="short-title"),
    pytest.param({**SESSION, "room": "Neues Rathaus"}, ["room"], id="unknown-field"),
])
def test_bad_sessions(client: TestClient, api: ApiWorld, body: dict[str, Any], fields: list[str]) -> None:
    invalid(client.post(f"/alliances/{api.world.alliance_id}/sessions", json=body, headers=api.headers("manager")),
            *fields)
    assert client.get(f"/alliances/{api.world.alliance_id}/sessions", headers=api.headers("manager")).json() == []


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({"proposal_id": BIG}, ["proposal_id"], id="id-too-big"),
    pytest.param({"proposal_id": 0}, ["proposal_id"], id="id-0"),
    pytest.param({"proposal_id": "eins"}, ["proposal_id"], id="id-text"),
    pytest.param({}, ["proposal_id"], id="missing"),
    pytest.param({"proposal_id": 1, "purpose": "lunch"}, ["purpose"], id="purpose"),
])
def test_bad_agenda_items(client: TestClient, api: ApiWorld, ctx: Context, body: dict[str, Any],
                          fields: list[str]) -> None:
    session_id = new_session(ctx, api.world)
    invalid(client.post(f"/sessions/{session_id}/agenda", json=body, headers=api.headers("manager")), *fields)
    invalid(client.get(f"/sessions/{BIG}", headers=api.headers("manager")), "session_id")
    invalid(client.get(f"/alliances/{BIG}/sessions", headers=api.headers("admin")), "alliance_id")


def test_a_proposal_of_another_alliance_is_not_put_on_the_agenda(client: TestClient, api: ApiWorld,
                                                                 ctx: Context) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "in_review")
    other = new_session(ctx, api.world, api.world.other_alliance_id)
    refused(client.post(f"/sessions/{other}/agenda", json={"proposal_id": proposal_id},
                        headers=api.headers("admin")), 404)
    refused(client.post(f"/sessions/{other}/agenda", json={"proposal_id": proposal_id},
                        headers=api.headers("other_manager")), 404)


# --- ranking and resolutions --------------------------------------------------------------------------------

LOW = {"regional_need": 1, "concept": 1, "cooperation": 1, "sustainability": 1}  # 8 of 40: below 30 %
MIDDLE = {"regional_need": 3, "concept": 3, "cooperation": 3, "sustainability": 3}  # 24 of 40: 60 %


def three_scored(ctx: Context, world: World) -> tuple[int, int, int]:
    """Three proposals in review: full marks, 60 % and 20 % (below the scheme's minimum share of 30 %)."""
    top, _ = proposal_in(ctx, world, "in_review", title="MINT-Netzwerk Leipzig")
    middle, _ = proposal_in(ctx, world, "in_review", title="Logistik-Lotsen")
    low, _ = proposal_in(ctx, world, "in_review", title="Pflege-Kompass")
    scored(ctx, world, top)
    scored(ctx, world, middle, MIDDLE)
    scored(ctx, world, low, LOW)
    return top, middle, low


def test_ranking_with_its_budget_line(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    top, middle, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    response = client.get(f"/rounds/{world.round_id}/ranking", headers=api.headers("manager"))
    assert response.status_code == 200, response.text
    ranking = response.json()
    assert (ranking["round_id"], ranking["year"], ranking["min_share"], ranking["offer"]) == (
        world.round_id, 2026, 30, None)
    assert ranking["tie_break"] == "earlier_submission_first"
    assert ranking["line"] == {"year": 2026, "budget": "10000000.00", "reserve": "0.00", "bound_elsewhere": "0.00",
                               "available": "10000000.00", "bound_here": "0.00", "free": "10000000.00"}
    entries = ranking["entries"]
    assert [(e["rank"], e["candidate"]["proposal_id"]) for e in entries] == [(1, top), (2, middle), (3, low)]
    first = entries[0]
    assert first["candidate"] == {
        "proposal_id": top, "title": "MINT-Netzwerk Leipzig", "state": "in_review", "terminal": False,
        "binds_budget": False, "submitted_at": first["candidate"]["submitted_at"], "requested": "45000.00",
        "approved": None, "grant": "45000.00", "total": "40.00", "share": "100.00", "passes": True,
        "quorum_reached": True, "ko_failed": []}
    assert [(e["counts"], e["running_sum"], e["within_budget"]) for e in entries] == [
        (True, "45000.00", True), (True, "90000.00", True), (False, "90000.00", False)]
    assert entries[2]["why_not"] == "below the minimum share of the maximum score"
    assert entries[2]["candidate"]["share"] == "20.00" and entries[2]["candidate"]["passes"] is False

    other_year = client.get(f"/rounds/{world.round_id}/ranking?year=2027", headers=api.headers("reviewer")).json()
    assert other_year["year"] == 2027 and other_year["line"]["budget"] == "10000000.00"
    assert {e["candidate"]["requested"] for e in other_year["entries"]} == {"0.00"}


@pytest.mark.parametrize("year", ["1999", "2101", "zweitausend", str(BIG)])
def test_ranking_of_a_year_far_off_is_refused(client: TestClient, api: ApiWorld, year: str) -> None:
    invalid(client.get(f"/rounds/{api.world.round_id}/ranking?year={year}", headers=api.headers("manager")), "year")


def test_a_resolution_decides_every_step_and_is_versioned(client: TestClient, api: ApiWorld, ctx: Context,
                                                          clock: Clock) -> None:
    world = api.world
    top, middle, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    session_id = new_session(ctx, world)
    resolution = {"decided_on": "2026-06-29", "session_id": session_id, "prioritised": [top],
                  "waiting_list": [middle], "declined": [{"proposal_id": low, "reason": "Unter der Mindestpunktzahl"}],
                  "note": "Beschluss der Lenkungsgruppe vom 29.06.2026"}
    response = client.post(f"/rounds/{world.round_id}/resolutions", json=resolution, headers=api.headers("manager"))
    assert response.status_code == 201, response.text
    first = response.json()
    assert (first["version"], first["current"], first["round_id"], first["session_id"]) == (
        1, True, world.round_id, session_id)
    assert (first["prioritised"], first["waiting_list"], first["reserve_draws"]) == ([top], [middle], [])
    assert first["declined"] == [{"proposal_id": low, "reason": "Unter der Mindestpunktzahl"}]
    assert first["decided_on"] == "2026-06-29" and first["note"] == resolution["note"]
    assert first["recorded_by"] == world.actor(Role.MANAGER).user_id
    # The ranking as it stood when recorded, money in EUR as everywhere.
    assert first["ranking"]["line"]["bound_here"] == "45000.00"
    assert [(e["candidate"]["proposal_id"], e["candidate"]["state"]) for e in first["ranking"]["entries"]] == [
        (top, "prioritised"), (middle, "waiting_list"), (low, "not_prioritised")]

    states = {pid: client.get(f"/proposals/{pid}", headers=api.headers("manager")).json()["state"]
              for pid in (top, middle, low)}
    assert states == {top: "prioritised", middle: "waiting_list", low: "not_prioritised"}
    minutes = client.get(f"/sessions/{session_id}", headers=api.headers("reviewer")).json()
    assert minutes["resolutions"] == [first["id"]]
    assert {(d["proposal_id"], d["entry"]["transition"]) for d in minutes["decisions"]} == {
        (top, "prioritise"), (middle, "put_on_waiting_list"), (low, "decline")}

    second = client.post(f"/rounds/{world.round_id}/resolutions",
                         json={"decided_on": "2026-07-15", "prioritised": [middle]}, headers=api.headers("manager"))
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    listed = client.get(f"/rounds/{world.round_id}/resolutions", headers=api.headers("reviewer")).json()
    assert [(r["version"], r["current"]) for r in listed] == [(1, False), (2, True)]
    assert listed[0] == {**first, "current": False}


def test_a_resolution_below_the_minimum_share_writes_nothing(client: TestClient, api: ApiWorld, ctx: Context,
                                                             clock: Clock) -> None:
    world = api.world
    top, _, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    body = refused(client.post(f"/rounds/{world.round_id}/resolutions",
                               json={"decided_on": "2026-06-29", "prioritised": [top, low]},
                               headers=api.headers("manager")), 422)
    assert [r["rule"] for r in body["failed_rules"]] == ["score_threshold_met"]
    assert f"proposal {low}" in body["failed_rules"][0]["why"]
    assert client.get(f"/proposals/{top}", headers=api.headers("manager")).json()["state"] == "in_review"
    assert client.get(f"/rounds/{world.round_id}/resolutions", headers=api.headers("manager")).json() == []


def test_beyond_the_budget_only_with_a_drawing_on_the_reserve(client: TestClient, api: ApiWorld, ctx: Context,
                                                              clock: Clock) -> None:
    world = api.world
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 5_000_000)  # 50,000 EUR: one grant of 45,000 fits
    top, middle, _ = three_scored(ctx, world)
    pool_id = new_pool(ctx, world)
    clock.now = AFTER_CLOSE
    both = {"decided_on": "2026-06-29", "prioritised": [top, middle]}
    body = refused(client.post(f"/rounds/{world.round_id}/resolutions", json=both, headers=api.headers("manager")),
                   422)
    assert [r["rule"] for r in body["failed_rules"]] == ["budget_covers"]
    assert f"proposal {middle}" in body["failed_rules"][0]["why"]
    assert client.get(f"/proposals/{top}", headers=api.headers("manager")).json()["state"] == "in_review"

    draw = {"pool_id": pool_id, "year": 2026, "amount": "40000.00", "reason": "Leistungsreserve für die Logistik"}
    response = client.post(f"/rounds/{world.round_id}/resolutions", json={**both, "reserve_draws": [draw]},
                           headers=api.headers("manager"))
    assert response.status_code == 201, response.text
    resolution = response.json()
    assert len(resolution["reserve_draws"]) == 1
    assert resolution["ranking"]["line"] | {"year": 2026} == {
        "year": 2026, "budget": "50000.00", "reserve": "40000.00", "bound_elsewhere": "0.00",
        "available": "90000.00", "bound_here": "90000.00", "free": "0.00"}
    [pool] = client.get("/reserve-pools", headers=api.headers("manager")).json()
    assert (pool["drawn"], pool["remaining"]) == ("40000.00", "60000.00")
    assert pool["draws"][0]["id"] == resolution["reserve_draws"][0]
    assert pool["draws"][0]["round_id"] == world.round_id


@pytest.mark.parametrize(("change", "fields"), [
    pytest.param({"decided_on": "9999-12-31"}, ["decided_on"], id="far-future"),
    pytest.param({"decided_on": "1999-06-29"}, ["decided_on"], id="last-century"),
    pytest.param({"decided_on": "2026-13-01"}, ["decided_on"], id="no-such-month"),
    pytest.param({"decided_on": None}, ["decided_on"], id="missing-date"),
    pytest.param({"prioritised": [BIG]}, ["prioritised.0"], id="id-too-big"),
    pytest.param({"prioritised": [0]}, ["prioritised.0"], id="id-0"),
    pytest.param({"prioritised": ["eins"]}, ["prioritised.0"], id="id-text"),
    pytest.param({"prioritised": "TOP"}, ["prioritised"], id="not-a-list"),
    pytest.param({"prioritised": ["TOP"], "waiting_list": ["TOP"]}, ["proposals"], id="listed-twice"),
    pytest.param({"prioritised": [4711]}, ["proposals"], id="not-of-the-round"),
    pytest.param({"declined": [{"proposal_id": "TOP", "reason": "x"}]}, ["declined.0.reason"], id="short-reason"),
    pytest.param({"declined": [{"proposal_id": "TOP"}]}, ["declined.0.reason"], id="no-reason"),
    pytest.param({"declined": [{"proposal_id": "TOP", "reason": "zu\x00teuer"}]}, ["declined.0.reason"],
                 id="nul-reason"),
    pytest.param({"note": "Beschluss\x00"}, ["note"], id="nul-note"),
    pytest.param({"session_id": BIG}, ["session_id"], id="session-too-big"),
    pytest.param({"session_id": 4711}, ["session_id"], id="no-such-session"),
    pytest.param({"reserve_draws": [{"pool_id": 4711, "year": 2026, "amount": "1.00", "reason": "Reserve"}]},
                 ["pool_id"], id="no-such-pool"),
    pytest.param({"reserve_draws": [{"pool_id": 1, "year": 2026, "amount": "-1.00", "reason": "Reserve"}]},
                 ["reserve_draws.0.amount"], id="negative-draw"),
    pytest.param({"reserve_draws": [{"pool_id": 1, "year": 2026, "amount": "1e20", "reason": "Reserve"}]},
                 ["reserve_draws.0.amount"], id="huge-draw"),
    pytest.param({"reserve_draws": [{"pool_id": 1, "year": 9999, "amount": "1.00", "reason": "Reserve"}]},
                 ["reserve_draws.0.year"], id="draw-year-far-off"),
    pytest.param({"votes": {"yes": 5}}, ["votes"], id="unknown-field"),
])
def test_bad_resolutions(client: TestClient, api: ApiWorld, ctx: Context, change: dict[str, Any],
                         fields: list[str]) -> None:
    top, _ = proposal_in(ctx, api.world, "in_review")
    scored(ctx, api.world, top)
    new_pool(ctx, api.world)

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return top if value == "TOP" else value

    body = {"decided_on": "2026-06-29", "prioritised": [], **fill(change)}
    body = {k: v for k, v in body.items() if v is not None}
    invalid(client.post(f"/rounds/{api.world.round_id}/resolutions", json=body, headers=api.headers("manager")),
            *fields)
    assert client.get(f"/rounds/{api.world.round_id}/resolutions", headers=api.headers("manager")).json() == []
    assert client.get(f"/proposals/{top}", headers=api.headers("manager")).json()["state"] == "in_review"
    assert client.get("/reserve-pools", headers=api.headers("admin")).json()[0]["drawn"] == "0.00"


# --- reserve pools ------------------------------------------------------------------------------------------

def test_reserve_pools_and_drawings(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    body = {**POOL, "alliance_ids": [world.alliance_id]}
    response = client.post("/reserve-pools", json=body, headers=api.headers("admin"))
    assert response.status_code == 201, response.text
    pool = response.json()
    assert pool == {"id": pool["id"], "name": POOL["name"], "year": 2026, "amount": "100000.00", "drawn": "0.00",
                    "remaining": "100000.00", "alliance_ids": [world.alliance_id], "draws": []}
    refused(client.post("/reserve-pools", json=body, headers=api.headers("admin")), 409)
    assert client.get("/reserve-pools", headers=api.headers("manager")).json() == [pool]
    assert client.get("/reserve-pools", headers=api.headers("other_manager")).json() == []

    clock.now = AFTER_CLOSE
    draw = {"alliance_id": world.alliance_id, "year": 2026, "amount": "20000.00", "round_id": world.round_id,
            "reason": "Leistungsreserve für das MINT-Netzwerk"}
    response = client.post(f"/reserve-pools/{pool['id']}/draws", json=draw, headers=api.headers("manager"))
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["drawn"], after["remaining"]) == ("20000.00", "80000.00")
    [made] = after["draws"]
    assert made == {"id": made["id"], "pool_id": pool["id"], "alliance_id": world.alliance_id, "year": 2026,
                    "amount": "20000.00", "reason": draw["reason"], "round_id": world.round_id,
                    "drawn_by": world.actor(Role.MANAGER).user_id, "drawn_at": "2026-06-10T22:00:00Z"}
    # The drawing raises the alliance's budget line for the year.
    line = client.get(f"/rounds/{world.round_id}/ranking", headers=api.headers("manager")).json()["line"]
    assert (line["reserve"], line["available"]) == ("20000.00", "10020000.00")
    invalid(client.post(f"/reserve-pools/{pool['id']}/draws", json={**draw, "amount": "80000.01"},
                        headers=api.headers("manager")), "amount")


@pytest.mark.parametrize(("change", "fields"), [
    pytest.param({"amount": "-5.00"}, ["amount"], id="negative"),
    pytest.param({"amount": "100000000.01"}, ["amount"], id="too-much"),
    pytest.param({"amount": "12.345"}, ["amount"], id="fraction-of-a-cent"),
    pytest.param({"amount": "viel"}, ["amount"], id="not-a-number"),
    pytest.param({"year": 1999}, ["year"], id="last-century"),
    pytest.param({"year": 99999}, ["year"], id="far-off"),
    pytest.param({"alliance_ids": []}, ["alliance_ids"], id="no-alliance"),
    pytest.param({"alliance_ids": [BIG]}, ["alliance_ids.0"], id="id-too-big"),
    pytest.param({"alliance_ids": [4711]}, ["alliance_ids"], id="no-such-alliance"),
    pytest.param({"name": "Reserve\x00"}, ["name"], id="nul-name"),
    pytest.param({"owner": "Land"}, ["owner"], id="unknown-field"),
])
def test_bad_pools(client: TestClient, api: ApiWorld, change: dict[str, Any], fields: list[str]) -> None:
    body = {**POOL, "alliance_ids": [api.world.alliance_id], **change}
    invalid(client.post("/reserve-pools", json=body, headers=api.headers("admin")), *fields)
    assert client.get("/reserve-pools", headers=api.headers("admin")).json() == []


@pytest.mark.parametrize(("change", "fields"), [
    pytest.param({"year": 2027}, ["year"], id="other-year"),
    pytest.param({"year": 3000}, ["year"], id="far-off"),
    pytest.param({"amount": "0.00"}, ["amount"], id="nothing"),
    pytest.param({"amount": "-1.00"}, ["amount"], id="negative"),
    pytest.param({"reason": "x"}, ["reason"], id="short-reason"),
    pytest.param({"reason": "Reserve\x00"}, ["reason"], id="nul-reason"),
    pytest.param({"round_id": BIG}, ["round_id"], id="round-too-big"),
    pytest.param({"round_id": "other"}, ["round_id"], id="round-of-another-alliance"),
    pytest.param({"alliance_id": BIG}, ["alliance_id"], id="alliance-too-big"),
    pytest.param({"alliance_id": "other"}, ["alliance_id"], id="alliance-not-in-the-pool"),
])
def test_bad_draws(client: TestClient, api: ApiWorld, ctx: Context, change: dict[str, Any],
                   fields: list[str]) -> None:
    world = api.world
    pool_id = new_pool(ctx, world)
    if change.get("round_id") == "other":
        other = ctx.admin.create_round(SYSTEM, world.other_alliance_id, "Mittelsachsen", now=AFTER_CLOSE,
                                       opens_at=AFTER_CLOSE, closes_at=AFTER_CLOSE.replace(month=8))
        change = {"round_id": other.id}
    if change.get("alliance_id") == "other":
        change = {"alliance_id": world.other_alliance_id}
    draw = {"alliance_id": world.alliance_id, "year": 2026, "amount": "1000.00", "reason": "Leistungsreserve",
            **change}
    invalid(client.post(f"/reserve-pools/{pool_id}/draws", json=draw, headers=api.headers("admin")), *fields)
    assert client.get("/reserve-pools", headers=api.headers("admin")).json()[0]["draws"] == []
    invalid(client.post(f"/reserve-pools/{BIG}/draws", json=draw, headers=api.headers("admin")), "pool_id")


# --- the bank -----------------------------------------------------------------------------------------------

def test_the_bank_record(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    world = api.world
    proposal_id, version = proposal_in(ctx, world, "forwarded_to_bank", title=TITLE)
    clock.now = AFTER_CLOSE
    response = client.get(f"/proposals/{proposal_id}/bank-record", headers=api.headers("bank"))
    assert response.status_code == 200, response.text
    record = response.json()
    forward = ctx.procedures.get("saxony-regional", 1).transitions["forward"]
    assert record["proposal_id"] == proposal_id and record["forwarded_at"] is not None
    assert record["documents"] == sample_inputs(forward)["documents"]
    assert (record["decision"], record["decided_at"], record["bank_reference"], record["decision_date"]) == (
        None, None, None, None)
    assert record["amounts"] == [{"year": 2026, "requested": "45000.00", "approved": None}]
    assert record["early_starts"] == []

    approve = {"transition": "approve", "inputs": {"bank_reference": "SAB-2026-0815", "decision_date": "2026-08-01",
                                                   "approved_amounts": {"2026": "40000.00"}}}
    response = client.post(f"/proposals/{proposal_id}/transitions", json=approve,
                           headers=api.headers("bank", **{"If-Match": f'"{version}"'}))
    assert response.status_code == 200, response.text
    record = client.get(f"/proposals/{proposal_id}/bank-record", headers=api.headers("applicant")).json()
    assert (record["decision"], record["bank_reference"], record["decision_date"]) == (
        "approve", "SAB-2026-0815", "2026-08-01")
    assert record["decided_at"] is not None
    assert record["amounts"] == [{"year": 2026, "requested": "45000.00", "approved": "40000.00"}]
    # The approved amount binds the budget, not the requested one.
    ranking = client.get(f"/rounds/{world.round_id}/ranking", headers=api.headers("manager")).json()
    [entry] = [e for e in ranking["entries"] if e["candidate"]["proposal_id"] == proposal_id]
    assert (entry["candidate"]["grant"], entry["candidate"]["approved"]) == ("40000.00", "40000.00")
    assert ranking["line"]["bound_here"] == "40000.00"


def test_early_start_asked_and_answered(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock) -> None:
    proposal_id, version = proposal_in(ctx, api.world, "forwarded_to_bank", title=TITLE)
    clock.now = AFTER_CLOSE
    ask = {"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn am 1. August"}
    response = client.post(f"/proposals/{proposal_id}/early-start", json=ask, headers=api.headers("applicant"))
    assert response.status_code == 201, response.text
    asked = response.json()
    assert asked == {"id": asked["id"], "wanted_from": "2026-08-01", "reason": ask["reason"],
                     "requested_at": "2026-06-10T22:00:00Z", "status": "requested", "answer_note": None,
                     "answered_at": None}
    refused(client.post(f"/proposals/{proposal_id}/early-start", json=ask, headers=api.headers("applicant")), 409)

    answer = {"granted": True, "note": "Ohne Präjudiz für die Bewilligung"}
    response = client.post(f"/proposals/{proposal_id}/early-start/{asked['id']}/answer", json=answer,
                           headers=api.headers("bank"))
    assert response.status_code == 200, response.text
    answered = response.json()
    assert (answered["status"], answered["answer_note"]) == ("granted", answer["note"])
    assert answered["answered_at"] == "2026-06-10T22:00:00Z"
    refused(client.post(f"/proposals/{proposal_id}/early-start/{asked['id']}/answer", json=answer,
                        headers=api.headers("manager")), 409)
    refused(client.post(f"/proposals/{proposal_id}/early-start/4711/answer", json=answer,
                        headers=api.headers("bank")), 404)
    record = client.get(f"/proposals/{proposal_id}/bank-record", headers=api.headers("manager")).json()
    assert record["early_starts"] == [answered]
    history = client.get(f"/proposals/{proposal_id}/history", headers=api.headers("applicant")).json()
    assert [e["inputs"]["action"] for e in history if e["kind"] == "early_start"] == ["requested", "granted"]
    assert history[-1]["seq"] == version + 2


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({"wanted_from": "9999-08-01", "reason": "Schuljahresbeginn"}, ["wanted_from"], id="far-future"),
    pytest.param({"wanted_from": "0001-01-01", "reason": "Schuljahresbeginn"}, ["wanted_from"], id="year-1"),
    pytest.param({"wanted_from": "morgen", "reason": "Schuljahresbeginn"}, ["wanted_from"], id="not-a-date"),
    pytest.param({"reason": "Schuljahresbeginn"}, ["wanted_from"], id="missing-date"),
    pytest.param({"wanted_from": "2026-08-01", "reason": "x"}, ["reason"], id="short-reason"),
    pytest.param({"wanted_from": "2026-08-01", "reason": "Schul\x00jahr"}, ["reason"], id="nul-reason"),
    pytest.param({"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn", "amount": 5}, ["amount"],
                 id="unknown-field"),
])
def test_bad_early_start_requests(client: TestClient, api: ApiWorld, ctx: Context, body: dict[str, Any],
                                  fields: list[str]) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "in_review")
    invalid(client.post(f"/proposals/{proposal_id}/early-start", json=body, headers=api.headers("applicant")),
            *fields)
    assert client.get(f"/proposals/{proposal_id}/bank-record",
                      headers=api.headers("applicant")).json()["early_starts"] == []


@pytest.mark.parametrize(("body", "fields"), [
    pytest.param({"granted": "vielleicht"}, ["granted"], id="granted-text"),
    pytest.param({}, ["granted"], id="missing"),
    pytest.param({"granted": False, "note": "nein\x00"}, ["note"], id="nul-note"),
    pytest.param({"granted": False, "note": "x" * 5001}, ["note"], id="long-note"),
])
def test_bad_early_start_answers(client: TestClient, api: ApiWorld, ctx: Context, body: dict[str, Any],
                                 fields: list[str]) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "forwarded_to_bank")
    asked = ctx.bank.request_early_start(api.world.actor(Role.APPLICANT), proposal_id,
                                         {"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn"},
                                         now=AFTER_CLOSE)
    invalid(client.post(f"/proposals/{proposal_id}/early-start/{asked.id}/answer", json=body,
                        headers=api.headers("bank")), *fields)
    invalid(client.post(f"/proposals/{proposal_id}/early-start/{BIG}/answer", json={"granted": True},
                        headers=api.headers("bank")), "request_id")
    assert ctx.bank.record(SYSTEM, proposal_id).early_starts[0].status == "requested"


# --- the authorisation matrix -------------------------------------------------------------------------------
# Columns follow WHO: applicant, reviewer, manager, bank, admin, other_applicant, other_manager.
# 404: may not see it (the proposal, the session, the round's deliberations); 403: sees it, but the role may not
# do this. The proposal (when there is one) belongs to the applicant's organisation and the manager's alliance.

@dataclass
class Scene:
    world: World
    proposal_id: int = 0
    session_id: int = 0
    pool_id: int = 0
    request_id: int = 0
    condition_id: int = 0

    def fill(self, path: str) -> str:
        return path.format(id=self.proposal_id, round=self.world.round_id, alliance=self.world.alliance_id,
                           session=self.session_id, pool=self.pool_id, request=self.request_id,
                           condition=self.condition_id)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    statuses: tuple[int, ...]
    state: str | None = None  # the proposal the route acts on, in this state
    body: Callable[[Context, Scene], dict[str, Any]] | None = None
    needs: frozenset[str] = frozenset()  # scored, session, pool, early_start


def _scheme(ctx: Context, scene: Scene) -> dict[str, Any]:
    return {"criteria": [{"key": "need", "label": "Bedarf", "max_points": 5}]}


ROUTES: dict[str, Route] = {
    "scheme-read": Route("GET", "/rounds/{round}/scoring-scheme", (200, 200, 200, 200, 200, 200, 200)),
    "scheme-write": Route("PUT", "/rounds/{round}/scoring-scheme", (403, 403, 200, 403, 200, 403, 403),
                          body=_scheme),
    "scores-in-review": Route("GET", "/proposals/{id}/scores", (403, 200, 200, 404, 200, 404, 404), "in_review"),
    "scores-at-bank": Route("GET", "/proposals/{id}/scores", (403, 200, 200, 200, 200, 404, 404),
                            "forwarded_to_bank"),
    "score": Route("PUT", "/proposals/{id}/scores/me", (403, 200, 403, 404, 403, 404, 404), "in_review",
                   body=lambda ctx, s: full_marks(ctx, s.proposal_id)),
    "conditions": Route("GET", "/proposals/{id}/conditions", (200, 200, 200, 404, 200, 404, 404),
                        "revision_requested"),
    "answer": Route("POST", "/proposals/{id}/conditions/{condition}/answer", (200, 403, 403, 404, 403, 404, 404),
                    "revision_requested", body=lambda ctx, s: {"text": "Kooperationsvereinbarung geschlossen"}),
    "judgement": Route("POST", "/proposals/{id}/conditions/{condition}/judgement",
                       (403, 403, 200, 404, 200, 404, 404), "second_reading", body=lambda ctx, s: {"met": True}),
    "session-create": Route("POST", "/alliances/{alliance}/sessions", (403, 403, 201, 403, 201, 403, 403),
                            body=lambda ctx, s: SESSION),
    "session-list": Route("GET", "/alliances/{alliance}/sessions", (404, 200, 200, 404, 200, 404, 404),
                          needs=frozenset({"session"})),
    "session-read": Route("GET", "/sessions/{session}", (404, 200, 200, 404, 200, 404, 404),
                          needs=frozenset({"session"})),
    "agenda": Route("POST", "/sessions/{session}/agenda", (404, 403, 200, 404, 200, 404, 404), "in_review",
                    body=lambda ctx, s: {"proposal_id": s.proposal_id}, needs=frozenset({"session"})),
    "ranking": Route("GET", "/rounds/{round}/ranking", (404, 200, 200, 404, 200, 404, 404), "in_review",
                     needs=frozenset({"scored"})),
    # Admins may record a resolution, but its steps are the managing member's: prioritise refuses them.
    "resolve": Route("POST", "/rounds/{round}/resolutions", (404, 403, 201, 404, 403, 404, 404), "in_review",
                     body=lambda ctx, s: {"decided_on": "2026-06-29", "prioritised": [s.proposal_id]},
                     needs=frozenset({"scored"})),
    "resolutions": Route("GET", "/rounds/{round}/resolutions", (404, 200, 200, 404, 200, 404, 404)),
    "pool-create": Route("POST", "/reserve-pools", (403, 403, 403, 403, 201, 403, 403),
                         body=lambda ctx, s: {**POOL, "alliance_ids": [s.world.alliance_id]}),
    "pool-list": Route("GET", "/reserve-pools", (403, 200, 200, 403, 200, 403, 200), needs=frozenset({"pool"})),
    "draw": Route("POST", "/reserve-pools/{pool}/draws", (403, 403, 200, 403, 200, 403, 403),
                  body=lambda ctx, s: {"alliance_id": s.world.alliance_id, "year": 2026, "amount": "1000.00",
                                       "reason": "Leistungsreserve"}, needs=frozenset({"pool"})),
    "bank-record": Route("GET", "/proposals/{id}/bank-record", (200, 200, 200, 200, 200, 404, 404),
                         "forwarded_to_bank"),
    "early-start": Route("POST", "/proposals/{id}/early-start", (201, 403, 403, 404, 403, 404, 404), "in_review",
                         body=lambda ctx, s: {"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn"}),
    "early-start-answer": Route("POST", "/proposals/{id}/early-start/{request}/answer",
                                (403, 403, 200, 200, 403, 404, 404), "forwarded_to_bank",
                                body=lambda ctx, s: {"granted": True}, needs=frozenset({"early_start"})),
}


def _scene(ctx: Context, world: World, route: Route) -> Scene:
    scene = Scene(world=world)
    if route.state is not None:
        scene.proposal_id, _ = proposal_in(ctx, world, route.state, title=TITLE)
        conditions = ctx.conditions.conditions(SYSTEM, scene.proposal_id)
        scene.condition_id = conditions[0].id if conditions else 0
    if "scored" in route.needs:
        scored(ctx, world, scene.proposal_id)
    if "session" in route.needs:
        scene.session_id = new_session(ctx, world)
    if "pool" in route.needs:
        scene.pool_id = new_pool(ctx, world)
    if "early_start" in route.needs:
        scene.request_id = ctx.bank.request_early_start(
            world.actor(Role.APPLICANT), scene.proposal_id, {"wanted_from": "2026-08-01", "reason": "Schulbeginn"},
            now=AFTER_CLOSE).id
    return scene


def _version(ctx: Context, proposal_id: int) -> int | None:
    return ctx.proposals.get(SYSTEM, proposal_id, now=AFTER_CLOSE).version if proposal_id else None


@pytest.mark.parametrize("case", [
    pytest.param((name, who, status), id=f"{name}-{who}-{status}")
    for name, route in ROUTES.items() for who, status in zip(WHO, route.statuses, strict=True)
])
def test_authorisation(client: TestClient, api: ApiWorld, ctx: Context, clock: Clock,
                       case: tuple[str, str, int]) -> None:
    name, who, status = case
    route = ROUTES[name]
    scene = _scene(ctx, api.world, route)
    clock.now = AFTER_CLOSE
    before = _version(ctx, scene.proposal_id)
    body = route.body(ctx, scene) if route.body is not None else None
    response = client.request(route.method, scene.fill(route.path), json=body, headers=api.headers(who))
    if status >= 400:
        refused(response, status)
        assert _version(ctx, scene.proposal_id) == before  # a refusal writes nothing
        return
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() is not None


def test_the_matrix_covers_every_new_route() -> None:
    new = {(method.upper(), path) for path, methods in create_app().openapi()["paths"].items()
           for method in methods
           if any(part in path for part in ("scor", "condition", "session", "ranking", "resolution",
                                            "reserve-pools", "bank-record", "early-start"))}
    tested = {(r.method, r.path.replace("{id}", "{proposal_id}").replace("{round}", "{round_id}")
               .replace("{alliance}", "{alliance_id}").replace("{session}", "{session_id}")
               .replace("{pool}", "{pool_id}").replace("{request}", "{request_id}")
               .replace("{condition}", "{condition_id}")) for r in ROUTES.values()}
    assert tested == new
    for route in ROUTES.values():
        assert len(route.statuses) == len(WHO)
