"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis, in-process over ASGI).

Every operation of /openapi.json gets generated requests (the schema's examples, boundary values and random
ones, valid and invalid), each sent as an applicant, a manager and an admin, on a database with a world and
proposals in several states. No answer may be a server error, every documented response body must match its
schema, and every error must be RFC 9457 problem+json. A request the schema admits is not refused for its form
(400, 422, 428): only for what no schema can say (BEYOND_THE_SCHEMA: whether a named thing exists, its state,
rules across fields), so that the document and the code agree on what is valid (issue 22).

Below it, regressions for what the fuzzer once found: ids beyond the database's integer range answered 500
(now 422 at the door), and a 500 was logged without its exception.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    is_unexpected_http_status_case,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from api.schemas import Problem
from tests.api.conftest import ApiWorld, Clock
from tests.conftest import PG_URL, fresh_database_url, make_context
from tests.factories import make_world, proposal_in
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

PROBLEM = "application/problem+json"
ROLES = (Role.APPLICANT, Role.MANAGER, Role.ADMIN)
STATES = ("draft", "submitted", "in_review", "revision_requested", "second_reading", "prioritised",
          "forwarded_to_bank", "approved", "withdrawn")
# The largest id the database's integer columns hold: INTEGER is 4 bytes on PostgreSQL, 8 bytes on SQLite.
DB_INT_MAX = 2**31 - 1 if PG_URL else 2**63 - 1
API_ID_MAX = 2**53  # what the API accepts for ids in paths and queries (Path/Query le=2**53)


@dataclass
class Fuzzed:
    app: FastAPI
    tokens: dict[str, str]
    proposals: dict[str, int]


@pytest.fixture(scope="module")
def fuzzed(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """One database for the whole module (hypothesis runs many examples per test; a fresh one each would not)."""
    ctx = make_context(fresh_database_url(migrated_template, tmp_path_factory.mktemp("fuzz")))
    world = make_world(ctx)
    proposals = {state: proposal_in(ctx, world, state, title=f"Fuzz-Antrag ({state})")[0] for state in STATES}
    tokens = {}
    for role in ROLES:
        user_id = world.actor(role).user_id
        assert user_id is not None
        tokens[role.value] = ctx.admin.issue_token(SYSTEM, user_id)
    # The round of make_world is open on the default Clock: drafts can be created and submitted.
    yield Fuzzed(app=create_app(ctx, clock=Clock()), tokens=tokens, proposals=proposals)
    ctx.close()


# The schema as the app publishes it; the app that answers (with its database) comes from the fixture.
schema = schemathesis.openapi.from_dict(create_app().openapi())


def assert_well_formed(response: schemathesis.Response, role: str) -> None:
    """What the OpenAPI document cannot say for every operation: errors are problem+json, ETags match."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400:
        assert content_type == PROBLEM, f"as {role}: {response.status_code} with {content_type!r}"
        body = Problem.model_validate(response.json())
        assert body.status == response.status_code
        assert body.title and body.detail
        if response.status_code == 401:
            assert response.headers.get("www-authenticate") == ["Bearer"]
    elif response.status_code in (200, 201) and content_type == "application/json":
        body = response.json()
        if isinstance(body, dict) and "allowed_transitions" in body:  # a proposal: its ETag is its version
            assert response.headers.get("etag") == [f'"{body["version"]}"'], f"as {role}"


# What a request valid by the schema may still be refused for, by operation and field: facts of the database (a
# named alliance, pool, session or procedure exists, a proposal is in a state, a version is current), rules across
# fields or items, and an installation's own lists. Any other refusal of a schema-valid request is a disagreement
# between the OpenAPI document and the code, and fails the test.
# ("inputs.*": that field and all below it; "rules": a rule of the procedure refused the step.)
BEYOND_THE_SCHEMA: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    # an open round of that id; each year of the funding plan once (unique by a property); a key used before
    "POST /proposals": {"round_id", "funding_plan", "Idempotency-Key"},
    "PATCH /proposals/{proposal_id}": {"funding_plan"},
    # the inputs the procedure declares for that step, its rules; a key used before
    "POST /proposals/{proposal_id}/transitions": {"inputs.*", "rules", "reason", "session_id", "Idempotency-Key"},
    "POST /procedures/{key}/migrations": {"*"},  # the plan: a TOML document (or the same as JSON) for the engine
    "POST /rounds": {"closes_at", "procedure_key"},  # after opens_at; a procedure the installation has
    "PUT /alliances/{alliance_id}/action-concept": {"adopted_on"},  # not before the current one
    "PUT /alliances/{alliance_id}/webhook": {"url"},  # a public address: where it points, not how it is written
    "PUT /me/preferences": {"muted.deadline"},  # a deadline of an installed procedure
    "POST /admin/outbox/{message_id}/retry": {"id"},  # a message that can be sent again (not an in-app one)
    "PUT /rounds/{round_id}/scoring-scheme": {"", "fixed"},  # criterion keys once each; only procedures fix one
    # proposals of the round, each in one list, in a state the step is possible from; pools and sessions that exist
    "POST /rounds/{round_id}/resolutions": {"proposals", "reserve_draws.pool_id", "rules", "session_id"},
    "POST /reserve-pools": {"alliance_ids"},
    # an alliance the pool is open to, what is left in it, its year, a round of the alliance
    "POST /reserve-pools/{pool_id}/draws": {"alliance_id", "amount", "year", "pool_id", "round_id"},
}.items()}
REFUSALS = frozenset({400, 412, 422, 428})


def _beyond(label: str, field: str) -> bool:
    allowed = BEYOND_THE_SCHEMA.get(label, frozenset())
    return "*" in allowed or field in allowed or any(
        a.endswith(".*") and (field == a[:-2] or field.startswith(a[:-1])) for a in allowed)


def _field(name: str) -> str:
    """body.muted.0.deadline, muted[0].deadline -> muted.deadline"""
    name = re.sub(r"\[\d+\]", "", name)
    return ".".join(p for p in name.split(".") if p not in ("body", "query", "path", "header") and not p.isdigit())


@schemathesis.check
def schema_valid_requests_are_taken(ctx: CheckContext, response: schemathesis.Response,
                                    case: schemathesis.Case) -> bool | None:
    meta = case.meta
    if (meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case)
            or response.status_code not in REFUSALS):
        return None
    body = response.json()
    label = f"{case.method.upper()} {case.operation.path}"
    refused = {_field(e["field"]) for e in body.get("errors") or []} or {"rules" if body.get("failed_rules") else ""}
    unexplained = {f for f in refused if not _beyond(label, f)}
    assert not unexplained, (f"{label}: a request valid by the schema was refused ({response.status_code}) for "
                             f"{sorted(unexplained)}: {body.get('detail')}")
    return None


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    for role, token in fuzzed.tokens.items():
        try:
            response = case.call_and_validate(app=fuzzed.app, headers={"Authorization": f"Bearer {token}"},
                                              checks=[not_a_server_error, response_schema_conformance,
                                                      status_code_conformance, unsupported_method,
                                                      schema_valid_requests_are_taken])
            assert_well_formed(response, role)
        except BaseException as exc:
            exc.add_note(f"(sent as {role})")
            raise


# --- the product bugs the fuzzer found -----------------------------------------------------------------------

PATH_ID = min(API_ID_MAX, DB_INT_MAX + 1)  # PostgreSQL: 2**31 (500 today); SQLite: 2**53, which it holds
BODY_ID = DB_INT_MAX + 1  # body ids have no upper bound in the API: 2**31 on PostgreSQL, 2**63 on SQLite
CURSOR_ID = min(10**16 - 1, DB_INT_MAX + 1)  # the cursor takes up to 16 digits
CURSOR = base64.urlsafe_b64encode(f"after:{CURSOR_ID}".encode()).decode().rstrip("=")
LOOKUP = frozenset({404, 422})
LISTING = frozenset({200, 422})


@dataclass(frozen=True)
class Probe:
    role: str
    method: str
    path: str
    expected: frozenset[int]
    json: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()


def _probe(label: str, probe: Probe) -> Any:
    return pytest.param(probe, id=label)


IF_MATCH = (("If-Match", '"1"'),)
BIG_IDS = [
    _probe("GET /rounds/{id}", Probe("admin", "GET", f"/rounds/{PATH_ID}", LOOKUP)),
    _probe("GET /rounds?alliance=", Probe("admin", "GET", f"/rounds?alliance={PATH_ID}", LISTING)),
    _probe("GET /alliances/{id}", Probe("admin", "GET", f"/alliances/{PATH_ID}", LOOKUP)),
    _probe("PUT /alliances/{id}/budgets/2026",
           Probe("admin", "PUT", f"/alliances/{PATH_ID}/budgets/2026", LOOKUP, json={"amount": "1000.00"})),
    _probe("GET /proposals/{id}", Probe("admin", "GET", f"/proposals/{PATH_ID}", LOOKUP)),
    _probe("GET /proposals/{id}/history", Probe("admin", "GET", f"/proposals/{PATH_ID}/history", LOOKUP)),
    _probe("PATCH /proposals/{id}",
           Probe("applicant", "PATCH", f"/proposals/{PATH_ID}", LOOKUP, json={"title": "Neuer Titel"},
                 headers=IF_MATCH)),
    _probe("POST /proposals/{id}/transitions",
           Probe("manager", "POST", f"/proposals/{PATH_ID}/transitions", LOOKUP, json={"transition": "prioritise"},
                 headers=IF_MATCH)),
    _probe("GET /proposals?round=", Probe("admin", "GET", f"/proposals?round={PATH_ID}", LISTING)),
    _probe("GET /proposals?alliance=", Probe("admin", "GET", f"/proposals?alliance={PATH_ID}", LISTING)),
    _probe("GET /proposals?cursor=", Probe("admin", "GET", f"/proposals?cursor={CURSOR}", LISTING)),
    _probe("POST /rounds alliance_id", Probe("admin", "POST", "/rounds", LOOKUP, json={
        "alliance_id": BODY_ID, "name": "Runde", "opens_at": "2026-05-01T00:00:00+02:00",
        "closes_at": "2026-06-01T00:00:00+02:00"})),
    _probe("POST /proposals round_id", Probe("applicant", "POST", "/proposals", LOOKUP, json={
        "round_id": BODY_ID, "title": "MINT-Netzwerk Leipzig"})),
]


@pytest.fixture
def plain_client(ctx: Context, clock: Clock) -> Iterator[TestClient]:
    """Like the `client` fixture, but a server error comes back as the 500 a real server sends."""
    with TestClient(create_app(ctx, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("probe", BIG_IDS)
def test_ids_the_database_cannot_hold_are_not_500(plain_client: TestClient, api: ApiWorld, probe: Probe) -> None:
    """The largest id the API accepts (or, for body ids, one past what the database holds): 404/422, never 500."""
    response = plain_client.request(probe.method, probe.path, json=probe.json,
                                    headers=api.headers(probe.role, **dict(probe.headers)))
    assert response.status_code in probe.expected, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM


def test_a_500_is_logged_with_its_exception(ctx: Context, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(ctx, clock=Clock())

    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("kaputt: a failure the handlers do not know")

    with TestClient(app, raise_server_exceptions=False) as test_client, \
            caplog.at_level(logging.ERROR, logger="foerderweg.api"):
        response = test_client.get("/explode")
    assert response.status_code == 500 and response.headers["content-type"] == PROBLEM
    assert "kaputt" not in response.text  # no internals reach the client
    (record,) = [r for r in caplog.records if r.name == "foerderweg.api"]
    assert record.getMessage() == "unhandled error on GET /explode"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
