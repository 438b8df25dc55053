"""GET /metrics: what a Prometheus server scrapes, read back with prometheus_client's own parser.

Counters are per process and other tests in this process move them too, so each test compares a scrape before
with a scrape after what it did. The outbox backlog is read from the database, so it is compared absolutely.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from api.app import create_app
from schedules.ticks import Ticks
from tests.api.conftest import ApiWorld
from tests.api.test_contract import create, fire
from tests.factories import ROUND_CLOSES
from workflow.context import Context


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_committed_step_counts_once_and_a_refused_one_not_at_all(client: TestClient, api: ApiWorld) -> None:
    proposal = create(client, api, "applicant").json()
    submit = {"procedure": "saxony-regional", "transition": "submit"}
    before = scrape(client)

    assert fire(client, api, "applicant", proposal["id"], "submit", if_match=proposal["version"]).status_code == 200
    # The same step on the old version is refused (409): nothing was committed, nothing is counted.
    assert fire(client, api, "applicant", proposal["id"], "submit", if_match=proposal["version"]).status_code == 409
    after = scrape(client)

    assert value(after, "foerderweg_transitions_total", **submit) - value(before, "foerderweg_transitions_total",
                                                                          **submit) == 1


def test_requests_are_counted_by_route_template_method_and_status(client: TestClient, api: ApiWorld) -> None:
    proposal = create(client, api, "applicant").json()
    route = {"method": "GET", "route": "/proposals/{proposal_id}"}
    before = scrape(client)
    for _ in range(3):
        assert client.get(f"/proposals/{proposal['id']}", headers=api.headers("applicant")).status_code == 200
    assert client.get("/proposals/999999", headers=api.headers("applicant")).status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("foerderweg_http_requests_total", **route, status="200") == 3
    assert delta("foerderweg_http_requests_total", **route, status="404") == 1
    assert delta("foerderweg_http_request_duration_seconds_count", **route) == 4
    # One series per route, not per id: a scrape's size does not grow with the number of proposals.
    assert not any(name == "foerderweg_http_requests_total" and str(proposal["id"]) in dict(labels)["route"]
                   for name, labels in after)


def test_ticks_and_deliveries_are_timed_and_counted(ctx: Context, client: TestClient) -> None:
    before = scrape(client)
    Ticks(ctx, real_time=False).once(ROUND_CLOSES)
    after = scrape(client)
    for tick in ("close-rounds", "sweep-deadlines", "drain-outbox"):
        assert (value(after, "foerderweg_tick_duration_seconds_count", tick=tick)
                - value(before, "foerderweg_tick_duration_seconds_count", tick=tick)) == 1


def test_a_metrics_token_keeps_other_scrapers_out(client: TestClient, ctx: Context) -> None:
    ctx.settings.metrics_token = SecretStr("scrape-secret-4711")
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "foerderweg_http_requests_total" in client.get(
        "/metrics", headers={"Authorization": "Bearer scrape-secret-4711"}).text


def test_metrics_is_not_mistaken_for_a_protected_me_route(client: TestClient) -> None:
    # /me needs a token; /metrics only shares its first letters.
    assert client.get("/metrics").status_code == 200
    assert client.get("/me").status_code == 401


@pytest.mark.parametrize(("address", "headers"), [
    ("203.0.113.7", {}),  # a public bind reached from elsewhere
    ("10.1.2.3", {}),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}),  # published through a proxy on this machine
    ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}),
    ("::1", {"X-Real-IP": "203.0.113.7"}),
], ids=["public client", "private client", "x-forwarded-for", "forwarded", "x-real-ip"])
def test_without_a_token_metrics_answers_only_this_machine(ctx: Context, address: str,
                                                          headers: dict[str, str]) -> None:
    with TestClient(create_app(ctx), client=(address, 40000)) as elsewhere:
        refused = elsewhere.get("/metrics", headers=headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert "FOERDERWEG_METRICS_TOKEN" in refused.json()["detail"]
    assert "foerderweg_" not in refused.text


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1"])
def test_without_a_token_a_scrape_on_this_machine_is_answered(ctx: Context, address: str) -> None:
    with TestClient(create_app(ctx), client=(address, 40000)) as local:
        assert local.get("/metrics").status_code == 200


def test_with_a_token_a_scrape_from_elsewhere_is_answered(ctx: Context) -> None:
    ctx.settings.metrics_token = SecretStr("scrape-secret-4711")
    with TestClient(create_app(ctx), client=("203.0.113.7", 40000)) as elsewhere:
        assert elsewhere.get("/metrics", headers={"Authorization": "Bearer scrape-secret-4711"}).status_code == 200


@pytest.mark.parametrize("public_url", ["https://foerderweg.fka-leipzig.example", "http://192.0.2.10:8000"])
def test_without_a_token_an_installation_reached_from_elsewhere_shows_no_metrics(ctx: Context,
                                                                                 public_url: str) -> None:
    """Behind a proxy on this machine that adds no forwarding header, a scrape looks local: the public_url says
    that people reach the service from elsewhere, so the token is needed."""
    ctx.settings.public_url = public_url
    with TestClient(create_app(ctx), client=("127.0.0.1", 40000)) as local:
        refused = local.get("/metrics")
    assert refused.status_code == 403 and "FOERDERWEG_METRICS_TOKEN" in refused.json()["detail"]
