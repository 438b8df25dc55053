"""The API fuzz run (schemathesis, from the published OpenAPI document) against a real `foerderweg serve` process.

tests/api/test_fuzz.py fuzzes the app in-process; this sends the same kind of generated requests over loopback
HTTP to a served process with its clock running, on the test database (PostgreSQL in the PostgreSQL pass): the
schema's examples, boundary values and random ones, valid and invalid, each as an applicant, a manager and an
admin, on a database with a world and proposals in several states. No answer may be a server error, every error
is problem+json, and the server's log shows no unhandled exception.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from tests.conftest import fresh_database_url, make_context
from tests.factories import proposal_in
from tests.reliability.conftest import figure, token_of, wall_world
from tests.reliability.processes import ServerProcess, assert_clean
from workflow.people.roles import Role

ROLES = (Role.APPLICANT, Role.MANAGER, Role.ADMIN)
STATES = ("draft", "submitted", "in_review", "revision_requested", "second_reading", "prioritised",
          "forwarded_to_bank", "approved", "withdrawn")
PROBLEM = "application/problem+json"
pytestmark = pytest.mark.slow


@dataclass
class Served:
    server: ServerProcess
    sessions: dict[str, requests.Session]
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def served(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("fuzz-served")
    url = fresh_database_url(migrated_template, folder)
    ctx = make_context(url)
    try:
        ww = wall_world(ctx)  # rounds on the real clock, one open: drafts can be started and submitted
        factory = dataclasses.replace(ww.world, round_id=ww.factory_round_id)
        for state in STATES:
            proposal_in(ctx, factory, state, title=f"Fuzz-Antrag ({state})")
        tokens = {role.value: token_of(ctx, ww.actor(role)) for role in ROLES}
    finally:
        ctx.close()
    server = ServerProcess(url, folder, "server", scheduler=True)
    sessions = {}
    for role, token in tokens.items():
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        sessions[role] = session
    server.start()
    served = Served(server=server, sessions=sessions)
    try:
        yield served
        # After the fuzzing this process ran (all of it, or under pytest-xdist the part this worker ran): its
        # figures, and what the server's log says. Here and not in a test of its own, which would rely on the
        # others having run before it in the same process: alone, or when they ran in another process, it failed.
        report_figures(served)
    finally:
        server.stop()
        for session in sessions.values():
            session.close()


schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_served_api(case: schemathesis.Case, served: Served) -> None:
    served.operations.add(case.operation.label)
    for role, session in served.sessions.items():
        try:
            response = case.call_and_validate(base_url=served.server.url, session=session,
                                              checks=[not_a_server_error])
            served.statuses[response.status_code] += 1
            if response.status_code >= 400:
                content_type = (response.headers.get("content-type") or [""])[0]
                assert content_type == PROBLEM, f"{response.status_code} with {content_type!r}"
        except BaseException as exc:
            exc.add_note(f"(sent as {role} to {served.server.url})")
            raise


def report_figures(served: Served) -> None:
    statuses = served.statuses
    errors = sum(n for s, n in statuses.items() if s >= 500)
    figure("fuzz", f"schemathesis over HTTP, {len(served.operations)} operations x 3 roles, "
                   f"{sum(statuses.values())} requests, {sum(n for s, n in statuses.items() if s < 400)} x 2xx/3xx, "
                   f"{sum(n for s, n in statuses.items() if 400 <= s < 500)} x 4xx, {errors} x 5xx")
    assert sum(statuses.values()) >= 3 * len(served.operations)
    assert errors == 0
    assert served.server.running
    assert_clean(served.server.log(), "fuzzed server")
