"""PUT /alliances/{id}/webhook refuses internal addresses (issue 22, finding 5): 422 problem+json naming `url`, and
nothing stored; an operator's allow-list lets its networks through. No request leaves: URLs are only set here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld, Clock
from tests.api.test_notifications import assert_problem, fields
from workflow.context import Context, build_context
from workflow.settings import Settings

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://10.0.0.1/", "http://[::1]:8080/",
    "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1:8000/", "http://[::ffff:127.0.0.1]:8000/",
    "http://localhost:8000/admin", "http://intranet.localhost/", "http://192.168.178.1/", "http://[fd00::1]/",
    "http://0.0.0.0:8000/", "http://224.0.0.251/",
    # written with other characters that IDNA maps to the same address (ideographic and fullwidth digits and dots)
    "http://127。0。0。1:8000/app", "http://１６９.２５４.１６９.２５４/latest/meta-data/", "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
]


@pytest.fixture
def allowing_client(database_url: str, ctx: Context, clock: Clock) -> Iterator[TestClient]:
    """The same database, served by an installation that allows its own network and loopback."""
    allowing = build_context(Settings(database_url=database_url, delivery={
        "webhook_allowed_networks": ["127.0.0.0/8", "10.20.0.0/16"]}))
    with TestClient(create_app(allowing, clock=clock)) as client:
        yield client
    allowing.close()


@pytest.mark.parametrize("url", INTERNAL)
def test_a_webhook_to_an_internal_address_is_422_naming_the_url(ctx: Context, client: TestClient, api: ApiWorld,
                                                                url: str) -> None:
    path = f"/alliances/{api.world.alliance_id}/webhook"
    problem = assert_problem(client.put(path, headers=api.headers("manager"), json={"url": url}), 422)
    assert fields(problem) == ["url"]
    assert "public addresses only" in problem["errors"][0]["problem"]
    alliance, _ = ctx.admin.alliance(api.world.alliance_id)
    assert (alliance.webhook_url, alliance.webhook_secret) == (None, None), "nothing was stored"


def test_a_webhook_url_with_credentials_is_422_and_the_answer_does_not_repeat_them(
        client: TestClient, api: ApiWorld) -> None:
    path = f"/alliances/{api.world.alliance_id}/webhook"
    response = client.put(path, headers=api.headers("admin"),
                          json={"url": "https://fka:pa55word@hooks.fka-leipzig.example/foerderweg"})
    problem = assert_problem(response, 422)
    assert fields(problem) == ["url"] and "user name or password" in problem["errors"][0]["problem"]
    assert "pa55word" not in response.text


def test_an_allowed_network_may_be_named_and_others_still_not(allowing_client: TestClient, api: ApiWorld) -> None:
    path = f"/alliances/{api.world.alliance_id}/webhook"
    for url in ("http://127.0.0.1:8080/hooks", "http://localhost:8080/hooks", "http://10.20.3.4/hooks"):
        response = allowing_client.put(path, headers=api.headers("admin"), json={"url": url})
        assert response.status_code == 200 and response.json()["url"] == url
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]:8080/"):
        response = allowing_client.put(path, headers=api.headers("admin"), json={"url": url})
        assert fields(assert_problem(response, 422)) == ["url"], url
