"""Reminders over HTTP, as the people they are for notice them: the in-app inbox, what one mutes, the operator's
outbox and the alliance's webhook. Reminders are made the real way: proposals driven to a state, then swept."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from schedules.ticks import Ticks
from tests.api.conftest import ApiWorld, Clock
from tests.factories import World
from tests.factories import proposal_in as drive_to
from tests.notify.scene import untold_steps
from workflow.context import Context, build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.settings import Settings
from workflow.timeutil import end_of_day, local

PROBLEM = "application/problem+json"
HUGE = "99999999999999999999"
# The factory's revision_requested proposal: revision deadline and hearing both on 15.06.2026 (inputs "2026-06-15").
DUE = end_of_day(date(2026, 6, 15))
REVISION_REMINDED = local(date(2026, 6, 13), time(9))  # "2d" before, 09:00 Berlin
HEARING_REMINDED = local(date(2026, 6, 14), time(9))  # "1d" before
OVERDUE = DUE + timedelta(minutes=5)
REVISION = "Frist für den überarbeiteten Antrag"
HEARING = "Anhörung in der Lenkungsgruppe"
TITLES = ("MINT-Netzwerk Leipzig", "Pflegeausbildung Nordsachsen", "Logistik-Talente Halle-Leipzig")


# --- helpers -----------------------------------------------------------------------------------------------

def proposal_in(ctx: Context, world: World, state: str, *, title: str = TITLES[0]) -> tuple[int, int]:
    """The scene of a reminder: the steps that led to `state` tell nobody (tests/notify/scene.py)."""
    with untold_steps(ctx):
        return drive_to(ctx, world, state, title=title)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]


def deviations(cases: list[tuple[Any, httpx.Response]], allowed: set[int]) -> list[tuple[Any, int, str]]:
    """The cases whose answer is not one of `allowed` as problem+json: all of them reported, not just the first."""
    return [(case, r.status_code, r.headers.get("content-type", "")) for case, r in cases
            if r.status_code not in allowed or r.headers.get("content-type") != PROBLEM]


def person(ctx: Context, api: ApiWorld, key: str, name: str, role: Role, *, email: str | None = None,
           language: str = "de") -> int:
    """One more user in the world's organisation (applicants) or alliance (others), with a token under `key`."""
    world = api.world
    user = ctx.admin.create_user(SYSTEM, name, role, email=email, language=language,
                                 organisation_id=world.organisation_id if role == Role.APPLICANT else None,
                                 alliance_id=None if role == Role.APPLICANT else world.alliance_id)
    assert user.id
    api.tokens[key] = ctx.admin.issue_token(SYSTEM, user.id)
    return user.id


def inbox(client: TestClient, api: ApiWorld, who: str, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/me/notifications{query}", headers=api.headers(who))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def outbox(client: TestClient, api: ApiWorld, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/admin/outbox{query}", headers=api.headers("admin"))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def loose(ctx: Context, clock: Clock) -> Iterator[TestClient]:
    """A client that shows a 500 as the answer a real client would get, instead of raising the exception."""
    with TestClient(create_app(ctx, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def reminded(ctx: Context, api: ApiWorld) -> list[int]:
    """Three proposals in revision_requested, swept when the revision and then the hearing reminders are due."""
    proposals = [proposal_in(ctx, api.world, "revision_requested", title=title)[0] for title in TITLES]
    assert ctx.sweeper.sweep(REVISION_REMINDED).notifications == 3
    assert ctx.sweeper.sweep(HEARING_REMINDED).notifications == 6  # applicant and reviewer, each proposal
    return proposals


@pytest.fixture
def mailing(database_url: str, clock: Clock) -> Iterator[tuple[Context, TestClient]]:
    """The same database, as an installation whose mail server is unreachable and that gives up at once."""
    settings = Settings(database_url=database_url, smtp={"host": "127.0.0.1", "port": closed_port(),
                                                         "timeout_seconds": 2}, delivery={"max_attempts": 1})
    context = build_context(settings)
    with TestClient(create_app(context, clock=clock)) as test_client:
        yield context, test_client
    context.close()


# --- the inbox ---------------------------------------------------------------------------------------------

def test_applicant_sees_their_reminders_newest_first_in_german(client: TestClient, api: ApiWorld,
                                                                reminded: list[int]) -> None:
    found = inbox(client, api, "applicant")
    assert [(n["deadline"], n["proposal_id"]) for n in found] == (
        [("hearing", p) for p in reversed(reminded)] + [("revision", p) for p in reversed(reminded)])
    assert [n["id"] for n in found] == sorted((n["id"] for n in found), reverse=True)
    assert all(n["kind"] == "reminder" and n["read_at"] is None for n in found)
    revision = found[-1]
    assert revision["subject"] == f"Erinnerung: {REVISION} am 15.06.2026, 24:00 Uhr – MINT-Netzwerk Leipzig"
    assert revision["body"].startswith("Guten Tag Prof. Wieland,\n")
    assert "Was zu tun ist: Reichen Sie den überarbeiteten Antrag ein" in revision["body"]
    assert f"/proposals/{reminded[0]}" in revision["body"]
    assert at(revision["created_at"]) == REVISION_REMINDED
    assert found[0]["subject"].startswith(f"Erinnerung: {HEARING} am 15.06.2026")


def test_reminders_reach_only_their_recipients(client: TestClient, api: ApiWorld, reminded: list[int]) -> None:
    assert inbox(client, api, "other_applicant") == []
    assert [n["deadline"] for n in inbox(client, api, "reviewer")] == ["hearing"] * 3
    for who in ("manager", "other_manager", "bank", "admin"):
        assert inbox(client, api, who) == [], who


def test_an_english_speaking_applicant_reads_english(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT, language="en")
    proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(REVISION_REMINDED)
    [english] = inbox(client, api, "krause")
    assert english["subject"] == ("Reminder: Deadline for the revised proposal on 15.06.2026, 24:00 (Berlin time)"
                                  " – MINT-Netzwerk Leipzig")
    assert english["body"].startswith("Hello Dr. Krause,\n")
    [german] = inbox(client, api, "applicant")
    assert german["subject"].startswith("Erinnerung: ")


def test_inbox_pages_with_before_and_limit(client: TestClient, api: ApiWorld, reminded: list[int]) -> None:
    everything = [n["id"] for n in inbox(client, api, "applicant")]
    pages, before = [], 0
    while page := inbox(client, api, "applicant", f"?limit=4&before={before}"):
        assert len(page) <= 4
        pages.append([n["id"] for n in page])
        before = page[-1]["id"]
    assert pages == [everything[:4], everything[4:]]
    assert [n["id"] for n in inbox(client, api, "applicant", "?limit=1")] == everything[:1]


def test_unread_filter_and_read_is_idempotent(client: TestClient, api: ApiWorld, clock: Clock,
                                              reminded: list[int]) -> None:
    first, *rest = inbox(client, api, "applicant")
    clock.now = HEARING_REMINDED + timedelta(hours=2)
    read = client.post(f"/me/notifications/{first['id']}/read", headers=api.headers("applicant"))
    assert read.status_code == 200
    assert read.json()["id"] == first["id"] and at(read.json()["read_at"]) == clock.now
    assert [n["id"] for n in inbox(client, api, "applicant", "?unread=true")] == [n["id"] for n in rest]

    clock.now += timedelta(days=1)
    again = client.post(f"/me/notifications/{first['id']}/read", headers=api.headers("applicant"))
    assert again.status_code == 200 and at(again.json()["read_at"]) == HEARING_REMINDED + timedelta(hours=2)
    listed = {n["id"]: n for n in inbox(client, api, "applicant")}
    assert at(listed[first["id"]]["read_at"]) == HEARING_REMINDED + timedelta(hours=2)
    assert all(listed[n["id"]]["read_at"] is None for n in rest)
    assert len(inbox(client, api, "applicant", "?unread=false")) == 6


def test_someone_elses_notification_is_404_and_stays_unread(client: TestClient, api: ApiWorld,
                                                            reminded: list[int]) -> None:
    mine = inbox(client, api, "applicant")
    for who in ("other_applicant", "reviewer", "manager", "admin"):
        for notification in (mine[0], mine[-1]):
            assert_problem(client.post(f"/me/notifications/{notification['id']}/read", headers=api.headers(who)),
                           404)
    assert_problem(client.post("/me/notifications/999999/read", headers=api.headers("applicant")), 404)
    assert all(n["read_at"] is None for n in inbox(client, api, "applicant"))


UNAUTHENTICATED = [
    ("GET", "/me/notifications"), ("POST", "/me/notifications/1/read"), ("GET", "/me/preferences"),
    ("PUT", "/me/preferences"), ("GET", "/me/calendar.ics"), ("GET", "/admin/outbox?status=failed"),
    ("POST", "/admin/outbox/1/retry"), ("PUT", "/alliances/1/webhook"), ("PUT", "/alliances/1/action-concept"),
]


def test_without_a_valid_token_it_is_401(client: TestClient) -> None:
    cases = []
    for method, path in UNAUTHENTICATED:
        for authorization in (None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"):
            headers = {} if authorization is None else {"Authorization": authorization}
            response = client.request(method, path, headers=headers, json={"muted": [], "url": None})
            assert response.headers.get("WWW-Authenticate") == "Bearer", (method, path)
            cases.append(((method, path, authorization), response))
    assert deviations(cases, {401}) == []


def test_inbox_query_out_of_range_is_422(client: TestClient, api: ApiWorld) -> None:
    for query in ("?limit=0", "?limit=1000", "?limit=201", "?before=-1", "?limit=zwei", "?unread=vielleicht",
                  f"?before={HUGE}"):
        problem = assert_problem(client.get(f"/me/notifications{query}", headers=api.headers("applicant")), 422)
        assert fields(problem) == [f"query.{query[1:].partition('=')[0]}"], query


# --- preferences ---------------------------------------------------------------------------------------------

def test_preferences_round_trip_per_person(client: TestClient, api: ApiWorld) -> None:
    assert client.get("/me/preferences", headers=api.headers("applicant")).json() == {"muted": []}
    muted = [{"deadline": "revision", "channel": "inapp"}, {"deadline": "hearing", "channel": "email"},
             {"deadline": "revision", "channel": "inapp"}]
    saved = client.put("/me/preferences", headers=api.headers("applicant"), json={"muted": muted})
    expected = {"muted": [{"deadline": "hearing", "channel": "email"}, {"deadline": "revision", "channel": "inapp"}]}
    assert saved.status_code == 200 and saved.json() == expected
    assert client.get("/me/preferences", headers=api.headers("applicant")).json() == expected
    assert client.get("/me/preferences", headers=api.headers("other_applicant")).json() == {"muted": []}

    replaced = client.put("/me/preferences", headers=api.headers("applicant"),
                          json={"muted": [{"deadline": "action_concept", "channel": "email"}]})
    assert replaced.json() == {"muted": [{"deadline": "action_concept", "channel": "email"}]}
    assert client.put("/me/preferences", headers=api.headers("applicant"), json={}).json() == {"muted": []}
    assert client.get("/me/preferences", headers=api.headers("applicant")).json() == {"muted": []}


def test_unknown_deadline_or_channel_is_422_and_saves_nothing(client: TestClient, api: ApiWorld) -> None:
    before = [{"deadline": "revision", "channel": "email"}]
    client.put("/me/preferences", headers=api.headers("manager"), json={"muted": before})
    for muted, named in [
        ([{"deadline": "hearing", "channel": "email"}, {"deadline": "kaffeepause", "channel": "inapp"}],
         ["muted[1].deadline"]),
        ([{"deadline": "hearing", "channel": "sms"}], ["muted[0].channel"]),
        ([{"deadline": "hearing", "channel": "webhook"}], ["muted[0].channel"]),
        ([{"deadline": "Hearing", "channel": "EMAIL"}], ["muted[0].deadline", "muted[0].channel"]),
    ]:
        response = client.put("/me/preferences", headers=api.headers("manager"), json={"muted": muted})
        assert fields(assert_problem(response, 422)) == named
    assert client.get("/me/preferences", headers=api.headers("manager")).json() == {"muted": before}


def test_a_muted_reminder_is_not_written_but_the_escalation_still_arrives(ctx: Context, client: TestClient,
                                                                          api: ApiWorld) -> None:
    krause = person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT)
    mute = {"muted": [{"deadline": "revision", "channel": "inapp"}]}
    for who in ("applicant", "manager"):
        assert client.put("/me/preferences", headers=api.headers(who), json=mute).status_code == 200
    proposal_id, _ = proposal_in(ctx, api.world, "revision_requested")

    ctx.sweeper.sweep(REVISION_REMINDED)
    assert inbox(client, api, "applicant") == []
    assert [n["deadline"] for n in inbox(client, api, "krause")] == ["revision"]  # the colleague did not mute it
    written = outbox(client, api)
    assert [(m["user_id"], m["deadline"], m["channel"]) for m in written] == [(krause, "revision", "inapp")]

    ctx.sweeper.sweep(HEARING_REMINDED)  # the mute is for one deadline only
    assert [n["deadline"] for n in inbox(client, api, "applicant")] == ["hearing"]

    ctx.sweeper.sweep(OVERDUE)
    [escalation] = inbox(client, api, "manager")
    assert escalation["kind"] == "escalation" and escalation["deadline"] == "revision"
    assert escalation["proposal_id"] == proposal_id
    assert escalation["subject"] == f"Frist überschritten: {REVISION} (15.06.2026, 24:00 Uhr) – MINT-Netzwerk Leipzig"
    assert [n["deadline"] for n in inbox(client, api, "applicant")] == ["hearing"]


# --- the operator's outbox -------------------------------------------------------------------------------------

KRAUSE_MAIL = "krause@zukunftsakademie.example"


def failed_mail(ctx: Context, mail_ctx: Context, api: ApiWorld) -> int:
    """A reminder mail to Dr. Krause that could not be delivered and was parked as failed."""
    krause = person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT, email=KRAUSE_MAIL)
    proposal_in(ctx, api.world, "revision_requested")
    assert mail_ctx.sweeper.sweep(REVISION_REMINDED).notifications == 3  # two in-app, one mail
    report = Ticks(mail_ctx, real_time=False).drain(REVISION_REMINDED)
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    return krause


def test_a_reminder_is_written_in_app_and_by_mail_together(ctx: Context, api: ApiWorld,
                                                           mailing: tuple[Context, TestClient]) -> None:
    mail_ctx, client = mailing
    krause = person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT, email=KRAUSE_MAIL)
    proposal_in(ctx, api.world, "revision_requested")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    # Regression: rows of mixed channels once failed in one INSERT batch, and nothing at all was written.
    assert [n["deadline"] for n in inbox(client, api, "krause")] == ["revision"]
    assert [(m["channel"], m["address"]) for m in outbox(client, api) if m["user_id"] == krause] == [
        ("inapp", None), ("email", KRAUSE_MAIL)]


def test_a_failed_mail_is_listed_for_admins_and_sent_again(ctx: Context, api: ApiWorld, clock: Clock,
                                                           mailing: tuple[Context, TestClient]) -> None:
    mail_ctx, client = mailing
    krause = failed_mail(ctx, mail_ctx, api)
    [failed] = outbox(client, api, "?status=failed")
    assert failed["channel"] == "email" and failed["address"] == KRAUSE_MAIL
    assert failed["user_id"] == krause and failed["deadline"] == "revision" and failed["kind"] == "reminder"
    assert failed["attempts"] == 1 and failed["sent_at"] is None
    assert failed["last_error"].startswith(f"SMTP 127.0.0.1:{mail_ctx.settings.smtp.port}")

    clock.now = REVISION_REMINDED + timedelta(hours=3)
    retried = client.post(f"/admin/outbox/{failed['id']}/retry", headers=api.headers("admin"))
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["id"] == failed["id"] and body["status"] == "pending" and body["attempts"] == 0
    assert at(body["next_attempt_at"]) == clock.now
    assert outbox(client, api, "?status=failed") == []
    assert [m["id"] for m in outbox(client, api, "?status=pending")] == [failed["id"]]
    # Pending now: sending it "again" once more is refused.
    assert fields(assert_problem(client.post(f"/admin/outbox/{failed['id']}/retry",
                                             headers=api.headers("admin")), 422)) == ["id"]


def test_a_skipped_reminder_can_be_sent_again(ctx: Context, api: ApiWorld,
                                              mailing: tuple[Context, TestClient]) -> None:
    mail_ctx, client = mailing
    person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT, email=KRAUSE_MAIL)
    proposal_in(ctx, api.world, "revision_requested")
    mail_ctx.sweeper.sweep(OVERDUE)  # the reminders' moments passed unseen: recorded, not sent
    skipped = [m for m in outbox(client, api, "?status=skipped") if m["channel"] == "email"]
    assert sorted(m["deadline"] for m in skipped) == ["hearing", "revision"]
    assert all("superseded" in m["last_error"] for m in skipped)
    [revision] = [m for m in skipped if m["deadline"] == "revision"]
    retried = client.post(f"/admin/outbox/{revision['id']}/retry", headers=api.headers("admin"))
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert [m["id"] for m in outbox(client, api, "?status=pending") if m["channel"] == "email"] == [revision["id"]]


def test_outbox_is_for_admins_only(ctx: Context, api: ApiWorld, mailing: tuple[Context, TestClient]) -> None:
    mail_ctx, client = mailing
    failed_mail(ctx, mail_ctx, api)
    [failed] = outbox(client, api, "?status=failed")
    for who in ("manager", "applicant", "reviewer", "bank"):
        assert_problem(client.get("/admin/outbox?status=failed", headers=api.headers(who)), 403)
        assert_problem(client.post(f"/admin/outbox/{failed['id']}/retry", headers=api.headers(who)), 403)
    assert_problem(client.get("/admin/outbox?status=failed"), 401)
    assert [m["status"] for m in outbox(client, api, "?status=failed")] == ["failed"]


def test_outbox_pages_in_id_order(client: TestClient, api: ApiWorld, reminded: list[int]) -> None:
    everything = [m["id"] for m in outbox(client, api)]
    assert len(everything) == 9 and everything == sorted(everything)
    first = [m["id"] for m in outbox(client, api, "?limit=5")]
    rest = [m["id"] for m in outbox(client, api, f"?limit=5&after={first[-1]}")]
    assert first + rest == everything


def test_outbox_query_out_of_range_is_422(client: TestClient, api: ApiWorld) -> None:
    for query in ("?status=lost", "?status=FAILED", "?status=", "?limit=0", "?limit=1000", "?after=-1",
                  f"?after={HUGE}"):
        problem = assert_problem(client.get(f"/admin/outbox{query}", headers=api.headers("admin")), 422)
        assert fields(problem) == [f"query.{query[1:].partition('=')[0]}"], query


def test_retry_of_an_unknown_or_in_app_message_is_refused(client: TestClient, api: ApiWorld,
                                                          reminded: list[int]) -> None:
    assert_problem(client.post("/admin/outbox/999999/retry", headers=api.headers("admin")), 404)
    in_app = outbox(client, api)[0]
    assert in_app["channel"] == "inapp" and in_app["status"] == "sent"
    assert fields(assert_problem(client.post(f"/admin/outbox/{in_app['id']}/retry",
                                             headers=api.headers("admin")), 422)) == ["id"]
    assert outbox(client, api)[0] == in_app


# --- the alliance's webhook ------------------------------------------------------------------------------------

HOOK = "https://fka-leipzig.example/hooks/foerderweg"


def test_webhook_is_set_with_a_secret_shown_once(client: TestClient, api: ApiWorld) -> None:
    alliance = api.world.alliance_id
    first = client.put(f"/alliances/{alliance}/webhook", headers=api.headers("admin"), json={"url": HOOK})
    assert first.status_code == 200
    assert first.json()["alliance_id"] == alliance and first.json()["url"] == HOOK
    secret = first.json()["secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    second = client.put(f"/alliances/{alliance}/webhook", headers=api.headers("manager"), json={"url": HOOK})
    assert second.status_code == 200 and second.json()["secret"] not in (None, secret)
    shown = client.get(f"/alliances/{alliance}", headers=api.headers("manager")).text
    assert secret not in shown and second.json()["secret"] not in shown


def test_webhook_of_another_alliance_is_403(client: TestClient, api: ApiWorld) -> None:
    for who in ("other_manager", "applicant", "reviewer", "bank"):
        assert_problem(client.put(f"/alliances/{api.world.alliance_id}/webhook", headers=api.headers(who),
                                  json={"url": HOOK}), 403)
    assert_problem(client.put("/alliances/999999/webhook", headers=api.headers("admin"), json={"url": HOOK}), 404)


def test_webhook_that_is_not_an_http_address_is_422(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    path = f"/alliances/{api.world.alliance_id}/webhook"
    assert client.put(path, headers=api.headers("admin"), json={"url": HOOK}).status_code == 200
    for url in ("ftp://fka-leipzig.example/hook", "javascript:alert(1)", "fka-leipzig.example/x", "http://", "",
                "   ", "https://fka\x00.example/"):
        response = client.put(path, headers=api.headers("admin"), json={"url": url})
        assert fields(assert_problem(response, 422)) == ["url"], url
    # What was set before stays: the next reminder still goes to it.
    proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(REVISION_REMINDED)
    assert [m["address"] for m in outbox(client, api) if m["channel"] == "webhook"] == [HOOK]


def test_webhook_null_switches_it_off(ctx: Context, client: TestClient, api: ApiWorld) -> None:
    path = f"/alliances/{api.world.alliance_id}/webhook"
    assert client.put(path, headers=api.headers("manager"), json={"url": HOOK}).status_code == 200
    proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(REVISION_REMINDED)
    hooks = [m for m in outbox(client, api) if m["channel"] == "webhook"]
    assert [(m["deadline"], m["address"], m["status"]) for m in hooks] == [("revision", HOOK, "pending")]

    off = client.put(path, headers=api.headers("manager"), json={"url": None})
    assert off.status_code == 200 and off.json() == {"alliance_id": api.world.alliance_id, "url": None,
                                                     "secret": None}
    ctx.sweeper.sweep(HEARING_REMINDED)
    assert [m["id"] for m in outbox(client, api) if m["channel"] == "webhook"] == [hooks[0]["id"]]
    assert [n["deadline"] for n in inbox(client, api, "applicant")] == ["hearing", "revision"]


def test_with_a_webhook_the_in_app_reminder_is_still_written(ctx: Context, client: TestClient,
                                                             api: ApiWorld) -> None:
    client.put(f"/alliances/{api.world.alliance_id}/webhook", headers=api.headers("admin"), json={"url": HOOK})
    proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(REVISION_REMINDED)
    assert [n["deadline"] for n in inbox(client, api, "applicant")] == ["revision"]
    assert sorted(m["channel"] for m in outbox(client, api)) == ["inapp", "webhook"]


# --- nothing answers 500 -----------------------------------------------------------------------------------

# Wrong types, missing and extra fields: each a 422 naming the field, none a 500.
BODIES: list[tuple[str, str, Any]] = [
    ("PUT", "/me/preferences", {"muted": "hearing"}),
    ("PUT", "/me/preferences", {"muted": [{"deadline": "hearing"}]}),
    ("PUT", "/me/preferences", {"muted": [{"deadline": 7, "channel": "email"}]}),
    ("PUT", "/me/preferences", {"muted": [{"deadline": "hearing", "channel": "email", "until": "2026-12-31"}]}),
    ("PUT", "/me/preferences", {"muted": [], "language": "en"}),
    ("PUT", "/me/preferences", {"muted": [{"deadline": "", "channel": "email"}]}),
    ("PUT", "/alliances/{a}/webhook", {}),
    ("PUT", "/alliances/{a}/webhook", {"url": 42}),
    ("PUT", "/alliances/{a}/webhook", {"url": ["https://example.org"]}),
    ("PUT", "/alliances/{a}/webhook", {"url": "https://example.org/" + "x" * 600}),
    ("PUT", "/alliances/{a}/webhook", {"url": "https://example.org", "secret": "mine"}),
    ("PUT", "/alliances/{a}/action-concept", {}),
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": "12.05.2026"}),
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": "2026-13-01"}),
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": 20260512.5}),
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": "2026-05-12", "by": "Lenkungsgruppe"}),
]


def test_wrong_bodies_are_422_never_500(loose: TestClient, api: ApiWorld) -> None:
    cases = [((method, path, body), loose.request(method, path.format(a=api.world.alliance_id), json=body,
                                                  headers=api.headers("admin"))) for method, path, body in BODIES]
    assert deviations(cases, {422}) == []
    assert all(r.json()["errors"] for _, r in cases)


def test_a_broken_ipv6_webhook_address_is_422(loose: TestClient, api: ApiWorld) -> None:
    response = loose.put(f"/alliances/{api.world.alliance_id}/webhook", headers=api.headers("admin"),
                         json={"url": "http://[::1"})
    assert fields(assert_problem(response, 422)) == ["url"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": "9999-12-31"}),
    ("PUT", "/alliances/{a}/action-concept", {"adopted_on": "9998-06-30"}),
    ("POST", "/alliances", {"name": "Fachkräfteallianz Zukunft", "action_concept_adopted_on": "9999-12-31"}),
], ids=["renewed-9999", "renewed-9998", "new-alliance-9999"])
def test_an_action_concept_in_the_far_future_is_422(loose: TestClient, api: ApiWorld, method: str, path: str,
                                                    body: dict[str, Any]) -> None:
    response = loose.request(method, path.format(a=api.world.alliance_id), json=body, headers=api.headers("admin"))
    assert_problem(response, 422)


def test_a_body_that_is_not_a_json_object_is_422(loose: TestClient, api: ApiWorld) -> None:
    cases = []
    for path in ("/me/preferences", "/alliances/{a}/webhook", "/alliances/{a}/action-concept"):
        for content in (b"{not json", b"", b"null", b"[]", b'"text"', b"\xff\xfe", b"[" * 50_000):
            cases.append(((path, content[:20]), loose.put(
                path.format(a=api.world.alliance_id), content=content,
                headers=api.headers("admin", **{"Content-Type": "application/json"}))))
    assert deviations(cases, {400, 422}) == []


def test_odd_ids_in_paths_are_404_or_422(loose: TestClient, api: ApiWorld) -> None:
    cases = []
    for method, path in [("POST", "/me/notifications/{n}/read"), ("POST", "/admin/outbox/{n}/retry"),
                         ("PUT", "/alliances/{n}/webhook"), ("PUT", "/alliances/{n}/action-concept")]:
        body = {"url": HOOK} if "webhook" in path else {"adopted_on": "2026-05-12"} if method == "PUT" else None
        for number in (HUGE, "2147483648", "-1", "0", "1e3", "abc", "٣"):
            cases.append(((method, path, number), loose.request(method, path.format(n=number), json=body,
                                                                headers=api.headers("admin"))))
    assert deviations(cases, {404, 422}) == []


def test_a_year_one_action_concept_is_not_a_500(loose: TestClient, api: ApiWorld) -> None:
    response = loose.put(f"/alliances/{api.world.alliance_id}/action-concept", headers=api.headers("admin"),
                         json={"adopted_on": "0001-01-01"})
    assert response.status_code in {200, 422}, response.text
