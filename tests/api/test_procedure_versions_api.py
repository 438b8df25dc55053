"""GET /procedures/{key}/versions and /diff; POST and GET /procedures/{key}/migrations (admin)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schedules.ticks import Ticks
from tests.api.conftest import ApiWorld, Clock
from tests.factories import complete_plan, open_round
from workflow.context import Context
from workflow.people.roles import Role
from workflow.versioning.plan import parse_plan

PLAN = (Path(__file__).parents[2] / "docs" / "migrations" / "saxony-regional-1-to-2.toml").read_text(
    encoding="utf-8")
BASE = "/procedures/saxony-regional"


@pytest.fixture
def old_drafts(ctx: Context, api: ApiWorld) -> list[int]:
    """Three drafts in a round that still runs on version 1 (the world's own round runs on the newest)."""
    round_id = open_round(ctx, api.world.alliance_id, "Alte Runde", procedure_version=1)
    return [ctx.proposals.create_draft(api.world.actor(Role.APPLICANT), {
        "round_id": round_id, "title": f"Entwurf {n}", "funding_plan": complete_plan()}, now=Clock().now).id
        for n in range(3)]


def test_versions_lists_each_version_with_what_runs_on_it(client: TestClient, api: ApiWorld,
                                                          old_drafts: list[int]) -> None:
    answer = client.get(f"{BASE}/versions", headers=api.headers("reviewer"))
    assert answer.status_code == 200
    rows = {r["version"]: r for r in answer.json()}
    assert set(rows) == {1, 2}
    assert (rows[1]["running"], rows[1]["rounds"], rows[1]["latest"]) == (3, 1, False)
    assert (rows[2]["rounds"], rows[2]["latest"], rows[2]["source"]) == (1, True, "saxony-regional.v2.toml")
    assert len(rows[2]["fingerprint"]) == 64
    assert client.get("/procedures/no-such/versions", headers=api.headers("reviewer")).status_code == 404


def test_diff_answers_changes_as_data_and_as_text(client: TestClient, api: ApiWorld) -> None:
    answer = client.get(f"{BASE}/diff?from=1&to=2&lang=en", headers=api.headers("manager"))
    assert answer.status_code == 200
    body = answer.json()
    renamed = [s for s in body["states"] if s["kind"] == "renamed"]
    assert [(s["old_name"], s["name"]) for s in renamed] == [("proof_of_use_submitted", "proof_of_use_in_review")]
    assert "  + proof_of_use_revision (Proof of use being revised): added" in body["text"]
    assert body["state_names"]["proof_of_use_submitted"] == "proof_of_use_in_review"


@pytest.mark.parametrize(("query", "status"), [("from=1", 422), ("from=1&to=0", 422), ("from=1&to=9", 404),
                                               ("from=x&to=2", 422)])
def test_diff_refuses_missing_or_unknown_versions_clearly(client: TestClient, api: ApiWorld, query: str,
                                                          status: int) -> None:
    answer = client.get(f"{BASE}/diff?{query}", headers=api.headers("manager"))
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_migration_is_a_dry_run_unless_asked_and_then_moves_through_the_scheduler(
        ctx: Context, client: TestClient, api: ApiWorld, old_drafts: list[int], clock: Clock) -> None:
    admin = api.headers("admin")
    dry = client.post(f"{BASE}/migrations", json={"plan": PLAN}, headers=admin)
    assert dry.status_code == 200
    body = dry.json()
    assert body["dry_run"] is True and body["proposals_total"] == 3
    assert [(p["proposal_id"], p["from_state"], p["to_state"]) for p in body["proposals"]] == [
        (i, "draft", "draft") for i in old_drafts]
    assert client.get(f"{BASE}/migrations", headers=admin).json() == []

    started = client.post(f"{BASE}/migrations", json={"plan": PLAN, "dry_run": False}, headers=admin)
    assert started.status_code == 202
    status = started.json()
    assert started.headers["location"] == f"{BASE}/migrations/{status['id']}"
    assert (status["status"], status["moved"], status["remaining"], status["progress"]) == ("running", 0, 3, 0.0)

    Ticks(ctx, real_time=False).migrate(clock.now)
    done = client.get(started.headers["location"], headers=admin).json()
    assert (done["status"], done["moved"], done["remaining"], done["progress"]) == ("done", 3, 0, 1.0)
    for proposal_id in old_drafts:
        assert client.get(f"/proposals/{proposal_id}", headers=api.headers("applicant")).json()[
            "procedure_version"] == 2


def test_the_plan_may_also_be_sent_as_json(client: TestClient, api: ApiWorld, old_drafts: list[int]) -> None:
    as_json = parse_plan(PLAN).model_dump(by_alias=True)
    answer = client.post(f"{BASE}/migrations", json={"plan": as_json}, headers=api.headers("admin"))
    assert answer.status_code == 200 and answer.json()["proposals_total"] == 3


@pytest.mark.parametrize("who", ["applicant", "reviewer", "manager", "bank"])
def test_only_an_administrator_checks_starts_or_follows_migrations(client: TestClient, api: ApiWorld,
                                                                   who: str) -> None:
    assert client.post(f"{BASE}/migrations", json={"plan": PLAN}, headers=api.headers(who)).status_code == 403
    assert client.get(f"{BASE}/migrations", headers=api.headers(who)).status_code == 403
    assert client.get(f"{BASE}/migrations/1", headers=api.headers(who)).status_code == 403


def test_a_refused_plan_lists_every_fault_and_starts_nothing(client: TestClient, api: ApiWorld,
                                                             old_drafts: list[int]) -> None:
    broken = PLAN.replace("[states]", '[states]\ndraft = "rejected"\nnowhere = "draft"')
    answer = client.post(f"{BASE}/migrations", json={"plan": broken, "dry_run": False},
                         headers=api.headers("admin"))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["title"] == "Migration plan refused"
    assert [e["field"] for e in problem["errors"]] == ["states.nowhere", "states.draft"]
    assert client.get(f"{BASE}/migrations", headers=api.headers("admin")).json() == []


@pytest.mark.parametrize(("body", "status"), [
    ({"plan": "[migration"}, 422),
    ({"plan": 42}, 422),
    ({}, 422),
    ({"plan": PLAN, "dry_run": "perhaps"}, 422),
    ({"plan": PLAN, "unknown": 1}, 422),
    ({"plan": PLAN.replace('procedure = "saxony-regional"', 'procedure = "lower-saxony-regional"')}, 422),
])
def test_a_malformed_request_is_a_clear_422(client: TestClient, api: ApiWorld, body: dict[str, object],
                                            status: int) -> None:
    answer = client.post(f"{BASE}/migrations", json=body, headers=api.headers("admin"))
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_migration_is_not_found(client: TestClient, api: ApiWorld) -> None:
    assert client.get(f"{BASE}/migrations/999", headers=api.headers("admin")).status_code == 404
    assert client.get("/procedures/no-such/migrations", headers=api.headers("admin")).status_code == 404
