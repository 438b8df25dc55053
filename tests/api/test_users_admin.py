"""/admin/users (security review, finding 7): administrators list accounts, disable and enable them and issue
tokens that may expire; a disabled account's token is refused with 401 and its browsers' cookies no longer sign
in; a new token signs the browsers out; an expired token is refused on the app's clock while a fresh one works."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld, Clock
from tests.web.conftest import Browser, field_error
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

PROBLEM = "application/problem+json"
NOT_ADMINS = ("applicant", "reviewer", "manager", "bank", "other_applicant", "other_manager")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def user_id(api: ApiWorld, role: Role) -> int:
    found = api.world.actor(role).user_id
    assert found is not None
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admins_list_the_accounts_without_any_secret(client: TestClient, api: ApiWorld) -> None:
    response = client.get("/admin/users", headers=api.headers("admin"))
    assert response.status_code == 200, response.text
    users = response.json()
    applicant = user_id(api, Role.APPLICANT)
    [row] = [u for u in users if u["id"] == applicant]
    assert row["role"] == "applicant" and row["active"] is True and row["has_token"] is True
    assert row["token_expires_at"] is None and row["token_expired"] is False and row["disabled_at"] is None
    assert not any(token in response.text for token in api.tokens.values())
    assert "hash" not in response.text
    page = client.get(f"/admin/users?after={users[0]['id']}&limit=1", headers=api.headers("admin")).json()
    assert [u["id"] for u in page] == [users[1]["id"]]
    single = client.get(f"/admin/users/{applicant}", headers=api.headers("admin"))
    assert single.status_code == 200 and single.json() == row
    problem(client.get("/admin/users/999999", headers=api.headers("admin")), 404)


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_everyone_else_is_refused_and_nothing_changes(client: TestClient, api: ApiWorld, who: str) -> None:
    target = user_id(api, Role.APPLICANT)
    before = client.get("/admin/users", headers=api.headers("admin")).json()
    for method, path, body in (("GET", "/admin/users", None), ("GET", f"/admin/users/{target}", None),
                               ("POST", f"/admin/users/{target}/disable", None),
                               ("POST", f"/admin/users/{target}/enable", None),
                               ("POST", f"/admin/users/{target}/token", {"days": 5})):
        refused = problem(client.request(method, path, json=body, headers=api.headers(who)), 403)
        assert refused["type"] == "/problems/forbidden"
        problem(client.request(method, path, json=body), 401)
    assert client.get("/admin/users", headers=api.headers("admin")).json() == before
    assert client.get("/alliances", headers=api.headers("applicant")).status_code == 200  # the token still works


def test_a_disabled_users_token_gets_401_and_their_cookie_is_refused_until_enabled(
        client: TestClient, api: ApiWorld) -> None:
    browser = Browser(client)
    assert browser.sign_in_with_token(api.tokens["manager"]).status_code == 303
    assert browser.get("/app/rounds").status_code == 200
    manager = user_id(api, Role.MANAGER)

    disabled = client.post(f"/admin/users/{manager}/disable", headers=api.headers("admin"))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False and disabled.json()["signed_in_browsers"] == 0
    refused = problem(client.get("/rounds", headers=api.headers("manager")), 401)
    assert "disabled" in refused["detail"] and refused["type"] == "/problems/unauthenticated"
    assert client.get("/rounds", headers=api.headers("manager")).headers["www-authenticate"] == "Bearer"
    problem(client.post("/rounds", json={}, headers=api.headers("manager")), 401)  # before the body is read
    gone = browser.get("/app/rounds", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/app/sign-in")
    # Signing in again is refused with the words a wrong token gets: the form tells nothing of the account.
    again = browser.sign_in_with_token(api.tokens["manager"])
    wrong = Browser(client).sign_in_with_token("fw_kein-gueltiges-token")
    assert again.status_code == wrong.status_code == 422
    assert field_error(again, "token") == field_error(wrong, "token") != ""

    enabled = client.post(f"/admin/users/{manager}/enable", headers=api.headers("admin"))
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert client.get("/rounds", headers=api.headers("manager")).status_code == 200


def test_an_admin_may_not_disable_themselves(client: TestClient, api: ApiWorld) -> None:
    admin = user_id(api, Role.ADMIN)
    refused = problem(client.post(f"/admin/users/{admin}/disable", headers=api.headers("admin")), 403)
    assert "your own account" in refused["detail"]
    assert client.get("/admin/users", headers=api.headers("admin")).status_code == 200
    problem(client.post("/admin/users/999999/disable", headers=api.headers("admin")), 404)


def test_a_new_token_replaces_the_old_one_and_signs_the_browsers_out(
        client: TestClient, api: ApiWorld, ctx: Context) -> None:
    browser = Browser(client)
    assert browser.sign_in_with_token(api.tokens["applicant"]).status_code == 303
    applicant = user_id(api, Role.APPLICANT)
    issued = client.post(f"/admin/users/{applicant}/token", json={}, headers=api.headers("admin"))
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token"].startswith("fw_") and body["expires_at"] is None and body["user"]["id"] == applicant
    problem(client.get("/proposals", headers=api.headers("applicant")), 401)
    assert client.get("/proposals", headers=bearer(body["token"])).status_code == 200
    assert browser.get("/app/proposals", follow_redirects=False).status_code == 303  # signed out


def test_an_expired_token_gets_401_while_a_fresh_one_works(client: TestClient, api: ApiWorld, clock: Clock) -> None:
    reviewer = user_id(api, Role.REVIEWER)
    issued = client.post(f"/admin/users/{reviewer}/token", json={"days": 30}, headers=api.headers("admin"))
    assert issued.status_code == 200, issued.text
    expires = clock.now + timedelta(days=30)
    token = issued.json()["token"]
    assert issued.json()["expires_at"] == issued.json()["user"]["token_expires_at"]
    assert issued.json()["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M:%S"))
    clock.now = expires - timedelta(minutes=1)
    assert client.get("/rounds", headers=bearer(token)).status_code == 200
    clock.now = expires
    refused = problem(client.get("/rounds", headers=bearer(token)), 401)
    assert "expired" in refused["detail"]
    listed = client.get(f"/admin/users/{reviewer}", headers=api.headers("admin")).json()
    assert listed["token_expired"] is True
    fresh = client.post(f"/admin/users/{reviewer}/token", json={"days": 1}, headers=api.headers("admin")).json()
    assert client.get("/rounds", headers=bearer(fresh["token"])).status_code == 200
    for days in (0, 3651, "viele"):
        invalid = problem(client.post(f"/admin/users/{reviewer}/token", json={"days": days},
                                      headers=api.headers("admin")), 422)
        assert invalid["errors"][0]["field"] == "body.days"


def test_the_command_lines_tokens_are_checked_the_same_way(client: TestClient, api: ApiWorld, ctx: Context,
                                                           clock: Clock) -> None:
    """A token from `foerderweg user token --days` (the service) expires on the app's clock like the API's."""
    bank = user_id(api, Role.BANK)
    token = ctx.accounts.issue_token(SYSTEM, bank, now=clock.now, days=2).token
    assert client.get("/alliances", headers=bearer(token)).status_code == 200
    clock.now += timedelta(days=2)
    assert "expired" in problem(client.get("/alliances", headers=bearer(token)), 401)["detail"]
