"""Concurrent writers against real `foerderweg serve` processes on loopback (two, sharing one database).

One version, many deciders: exactly one wins (200), every other one is told the version is stale (409), and the
history gets exactly one event. Many writers on different proposals: SQLite's single write lock makes them wait
(BEGIN IMMEDIATE after their turn on the lock file), it never fails them with 500 / "database is locked".
Idempotent retries that race each other are answered once and recorded once.

The server runs on the wall clock, so the world is built around the real current time: a round that opened a month
ago and closed yesterday, proposals submitted while it was open and put in review after it closed.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.factories import (
    REASON,
    World,
    complete_plan,
    make_world,
    new_draft,
    open_round,
    procedure_of,
    satisfy,
)
from tests.serving import Server, serve
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.timeutil import utcnow

REPO = Path(__file__).resolve().parents[2]
WRITERS = 32
PROBLEM = "application/problem+json"
FORBIDDEN_IN_LOG = ("database is locked", "Traceback", "unhandled error", "Internal error", "OperationalError")


# --- the servers, and what their logs must not say ------------------------------------------------------

def assert_clean_logs(servers: list[Server]) -> None:
    for server in servers:
        log = server.log()
        for needle in FORBIDDEN_IN_LOG:
            assert needle not in log, f"server log contains {needle!r}:\n{log}"
        assert '" 500 ' not in log, f"server answered 500:\n{log}"


# --- firing at once ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Sent:
    index: int
    status: int
    headers: httpx.Headers
    body: Any


def at_once(requests: list[Callable[[httpx.Client], httpx.Response]], timeout: float = 25) -> list[Sent]:
    """Run every request in its own thread with its own connection, all released by one barrier."""
    barrier = threading.Barrier(len(requests))
    results: list[Sent | None] = [None] * len(requests)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int, send: Callable[[httpx.Client], httpx.Response]) -> None:
        try:
            with httpx.Client(timeout=timeout) as client:
                barrier.wait(timeout=timeout)
                response = send(client)
            body = response.json() if response.content else None
            results[index] = Sent(index=index, status=response.status_code, headers=response.headers, body=body)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, r), daemon=True) for i, r in enumerate(requests)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, timeout + 5 - (time.monotonic() - started)))
    assert not any(t.is_alive() for t in threads), "a request did not finish in time"
    assert not errors, f"requests failed at the transport level: {errors!r}"
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


# --- a world on the wall clock -------------------------------------------------------------------------------

@dataclasses.dataclass
class Stage:
    world: World
    admin: Actor
    managers: list[tuple[Actor, str]]  # (actor, token), all managers of the round's alliance


def stage(ctx: Context, managers: int) -> Stage:
    now = utcnow()
    world = make_world(ctx)
    # As in the factory world, the round's scheme asks for the one voting member's score.
    round_id = open_round(ctx, world.alliance_id, "Einreichungstermin (Lasttest)", opens_at=now - timedelta(days=30),
                          closes_at=now - timedelta(days=1))
    ctx.admin.set_budget(SYSTEM, world.alliance_id, now.year, 10_000_000_00)  # the priorisation binds this year's
    world = dataclasses.replace(world, round_id=round_id)
    people = []
    for i in range(managers):
        user = ctx.admin.create_user(SYSTEM, f"Lenkungsgruppe Mitglied {i}", Role.MANAGER,
                                     alliance_id=world.alliance_id)
        assert user.id
        people.append((ctx.admin.actor_for(user.id), ctx.admin.issue_token(SYSTEM, user.id)))
    return Stage(world=world, admin=world.actor(Role.ADMIN), managers=people)


def in_review(ctx: Context, stage_: Stage, title: str) -> tuple[int, int]:
    """A proposal submitted while the round was open, put in review after it closed and scored by the steering
    group's member, so that it may be prioritised; returns (id, version)."""
    now = utcnow()
    year = now.year
    world = stage_.world
    proposal_id = new_draft(ctx, world, title=title, now=now - timedelta(days=20), plan=complete_plan(year))
    ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=1,
                       now=now - timedelta(days=20))
    result = ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, "open_review", expected_version=2,
                                now=now - timedelta(hours=12))
    assert result.to_state == "in_review"
    version = satisfy(ctx, world, proposal_id, procedure_of(ctx, proposal_id).transitions["prioritise"], result.version,
                      now=now - timedelta(hours=6))
    return proposal_id, version


def fire(url: str, token: str, proposal_id: int, transition: str, version: int, *, request_id: str,
         idempotency_key: str | None = None) -> Callable[[httpx.Client], httpx.Response]:
    headers = {"Authorization": f"Bearer {token}", "If-Match": f'"{version}"', "X-Request-ID": request_id}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    body = {"transition": transition, "reason": REASON if transition == "decline" else None}

    def send(client: httpx.Client) -> httpx.Response:
        return client.post(f"{url}/proposals/{proposal_id}/transitions", headers=headers, json=body)
    return send


# --- the scenarios -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_32_deciders_on_one_version_one_wins_the_rest_get_409(ctx: Context, database_url: str,
                                                             tmp_path: Path) -> None:
    stage_ = stage(ctx, WRITERS)
    proposal_id, version = in_review(ctx, stage_, "Ein Antrag, 32 Entscheidungen")
    before = ctx.proposals.history(stage_.admin, proposal_id)
    transitions = ["prioritise" if i % 2 == 0 else "decline" for i in range(WRITERS)]

    with serve(database_url, tmp_path, processes=2) as servers:
        started = time.monotonic()
        sent = at_once([fire(servers[i % len(servers)].url, token, proposal_id, transitions[i], version,
                             request_id=f"race-{i}") for i, (_, token) in enumerate(stage_.managers)])
        elapsed = time.monotonic() - started
        final = httpx.get(f"{servers[0].url}/proposals/{proposal_id}", timeout=10,
                          headers={"Authorization": f"Bearer {stage_.managers[0][1]}"})
    assert_clean_logs(servers)
    assert elapsed < 30

    statuses = sorted(s.status for s in sent)
    assert statuses == [200] + [409] * (WRITERS - 1), statuses
    (winner,) = [s for s in sent if s.status == 200]
    won = transitions[winner.index]
    target = "prioritised" if won == "prioritise" else "not_prioritised"
    assert (winner.body["state"], winner.body["version"]) == (target, version + 1)
    assert winner.headers["ETag"] == f'"{version + 1}"'
    for loser in (s for s in sent if s.status == 409):
        assert loser.headers["content-type"] == PROBLEM
        assert loser.body["status"] == 409 and loser.body["type"] == "/problems/staleversion", loser.body
        assert loser.body["current_version"] == version + 1

    history = ctx.proposals.history(stage_.admin, proposal_id)
    assert history[:len(before)] == before
    new = history[len(before):]
    assert len(new) == 1, new  # exactly one audit event, however many tried
    (event,) = new
    winner_actor = stage_.managers[winner.index][0]
    assert (event.seq, event.transition, event.from_state, event.to_state) == (version + 1, won, "in_review", target)
    assert (event.actor_id, event.request_id) == (winner_actor.user_id, f"race-{winner.index}")
    assert final.status_code == 200
    assert (final.json()["state"], final.json()["version"]) == (target, version + 1)
    view = ctx.proposals.get(stage_.admin, proposal_id, now=utcnow())
    assert (view.state, view.version) == (target, version + 1)


@pytest.mark.slow
def test_32_writers_on_32_proposals_all_succeed(ctx: Context, database_url: str, tmp_path: Path) -> None:
    """Different proposals do not conflict: every writer waits its turn for the write lock and succeeds."""
    stage_ = stage(ctx, WRITERS)
    proposals = [in_review(ctx, stage_, f"Antrag {i} im Lasttest") for i in range(WRITERS)]
    transitions = ["prioritise" if i % 2 == 0 else "decline" for i in range(WRITERS)]

    with serve(database_url, tmp_path, processes=2) as servers:
        started = time.monotonic()
        sent = at_once([fire(servers[i % len(servers)].url, token, proposals[i][0], transitions[i], proposals[i][1],
                             request_id=f"many-{i}") for i, (_, token) in enumerate(stage_.managers)])
        elapsed = time.monotonic() - started
    assert_clean_logs(servers)
    assert elapsed < 30

    assert [s.status for s in sent] == [200] * WRITERS, [(s.status, s.body) for s in sent if s.status != 200]
    events = 0
    for i, (proposal_id, version) in enumerate(proposals):
        target = "prioritised" if transitions[i] == "prioritise" else "not_prioritised"
        assert (sent[i].body["id"], sent[i].body["state"], sent[i].body["version"]) == (
            proposal_id, target, version + 1)
        history = ctx.proposals.history(stage_.admin, proposal_id)
        assert [h.seq for h in history] == list(range(1, version + 2))
        last = history[-1]
        assert (last.transition, last.to_state, last.request_id) == (transitions[i], target, f"many-{i}")
        assert last.actor_id == stage_.managers[i][0].user_id
        events += sum(1 for h in history if h.request_id and h.request_id.startswith("many-"))
    assert events == WRITERS


@pytest.mark.slow
def test_8_concurrent_retries_with_one_idempotency_key_are_answered_once(ctx: Context, database_url: str,
                                                                          tmp_path: Path) -> None:
    stage_ = stage(ctx, 1)
    proposal_id, version = in_review(ctx, stage_, "Ein Antrag, achtmal gesendet")
    before = ctx.proposals.history(stage_.admin, proposal_id)
    _, token = stage_.managers[0]
    retries = 8
    key = "entscheidung-2026-11-prioritise"

    with serve(database_url, tmp_path, processes=2) as servers:
        sent = at_once([fire(servers[i % len(servers)].url, token, proposal_id, "prioritise", version,
                             request_id=f"retry-{i}", idempotency_key=key) for i in range(retries)])
        with httpx.Client(timeout=10) as client:
            replay = fire(servers[-1].url, token, proposal_id, "prioritise", version, request_id="retry-late",
                          idempotency_key=key)(client)
    assert_clean_logs(servers)

    assert [s.status for s in sent] == [200] * retries, [(s.status, s.body) for s in sent]
    first = sent[0]
    assert (first.body["state"], first.body["version"]) == ("prioritised", version + 1)
    for s in sent[1:]:
        assert s.body == first.body
        assert s.headers["ETag"] == first.headers["ETag"] == f'"{version + 1}"'
    assert (replay.status_code, replay.json()) == (200, first.body)  # a late retry, too, gets the first answer

    history = ctx.proposals.history(stage_.admin, proposal_id)
    new = history[len(before):]
    assert len(new) == 1, new
    assert (new[0].transition, new[0].to_state, new[0].seq) == ("prioritise", "prioritised", version + 1)
    assert new[0].request_id in {f"retry-{i}" for i in range(retries)}
