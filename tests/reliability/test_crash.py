"""A server killed with SIGKILL in the middle of a load, and started again on the same database and port.

Four clients work through a bounded load at once: each takes its own proposals from review through the hearing,
the priorisation and the bank's approval into implementation (or withdraws them after the priorisation), and
starts and submits drafts of its own. Every request carries an Idempotency-Key and an X-Request-ID of its own;
a request that dies with the server (no answer, refused connection) is sent again, unchanged, once the server
answers again. The server (with its clock) is killed twice while the load runs.

Afterwards nothing may be half done (one transaction per step: state, version, audit, deadlines, outbox):
- every operation got its 2xx, and the audit has exactly one row with its request id, for the step it asked for;
- each proposal's state is its last audit event's target, its version that event's position;
- deadlines agree with the steps: each row was opened by a step recorded at the same moment, each cancelled one
  by a step recorded at the moment it was closed, open ones only in their states, and each step that opens one
  (hearing, bank decision, proof of use) did;
- each withdrawal that freed budget money wrote its offers to the waiting list's proposal, one per manager.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa

from tests.factories import REASON, complete_plan, procedure_of
from tests.reliability.conftest import (
    OUTBOX,
    WallWorld,
    audit_of,
    deadlines_of,
    doubled_steps,
    figure,
    in_review,
    proposals_of,
    rows,
    state_mismatches,
    wall_world,
)
from tests.reliability.processes import ServerProcess, assert_clean
from workflow.context import Context
from workflow.people.roles import Role
from workflow.persistence.models import IdempotencyRecord
from workflow.timeutil import DEFAULT_ZONE, utcnow

CLIENTS = 4
REVIEWED = 5  # proposals in review per client
DRAFTS = 3  # drafts each client starts and submits
KILL_AT = (0.3, 0.65)  # share of the operations answered when the server is killed
IDEMPOTENCY = IdempotencyRecord.__table__  # type: ignore[attr-defined]
BINDING = ("prioritised", "forwarded_to_bank")  # states a withdrawal frees budget money from


@dataclasses.dataclass
class Operation:
    client: int
    number: int
    method: str
    path: str
    body: dict[str, Any]
    role: str
    transition: str | None  # None: a creation
    proposal_id: int | None = None
    version: int | None = None  # If-Match of a transition
    attempts: int = 0
    interrupted: int = 0
    first_sent: datetime | None = None
    status: int = 0
    answer: Any = None

    @property
    def request_id(self) -> str:
        return f"crash-{self.client}-{self.number}"


class Load:
    """The clients' operations, and the count the killer watches."""

    def __init__(self, url: str, tokens: dict[str, str], total: int) -> None:
        self.url = url
        self.tokens = tokens
        self.total = total
        self.done: list[Operation] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def answered(self) -> int:
        with self.lock:
            return len(self.done)

    def send(self, http: httpx.Client, op: Operation) -> Operation:
        """Send until answered; a dead server's request goes again, unchanged, when it answers again."""
        headers = {"Authorization": f"Bearer {self.tokens[op.role]}", "Idempotency-Key": op.request_id,
                   "X-Request-ID": op.request_id}
        if op.version is not None:
            headers["If-Match"] = f'"{op.version}"'
        give_up = time.monotonic() + 90
        while True:
            op.attempts += 1
            op.first_sent = op.first_sent or utcnow()
            try:
                response = http.request(op.method, op.path, json=op.body, headers=headers)
            except httpx.TransportError:
                op.interrupted += 1
                assert time.monotonic() < give_up, f"{op.request_id}: the server did not come back"
                time.sleep(0.05)  # polling a restarting server
                continue
            op.status, op.answer = response.status_code, response.json()
            with self.lock:
                self.done.append(op)
            return op


def client_run(load: Load, client: int, ww: WallWorld, reviewed: list[tuple[int, int]], today: date) -> None:
    number = 0

    def step(proposal_id: int, version: int, transition: str, role: str, **body: Any) -> int:
        nonlocal number
        number += 1
        op = Operation(client=client, number=number, method="POST", path=f"/proposals/{proposal_id}/transitions",
                       body={"transition": transition, **body}, role=role,
                       transition=transition, proposal_id=proposal_id, version=version)
        load.send(http, op)
        assert op.status == 200, (op.request_id, op.status, op.answer)
        return int(op.answer["version"])

    try:
        with httpx.Client(base_url=load.url, timeout=30) as http:
            for i, (pid, first) in enumerate(reviewed):
                version = step(pid, first, "schedule_hearing", "manager",
                               inputs={"next_session": (today + timedelta(days=14 + i)).isoformat()})
                version = step(pid, version, "prioritise", "manager")
                if i % 2 == 0:
                    version = step(pid, version, "forward", "manager", inputs={"documents": ["Antrag", "Beschluss"]})
                    version = step(pid, version, "approve", "bank", inputs={"bank_reference": f"SAB-FKR-{pid:04d}"})
                    step(pid, version, "start_implementation", "applicant", inputs={"start_date": today.isoformat()})
                else:
                    step(pid, version, "withdraw", "applicant", reason=REASON)
            for j in range(DRAFTS):
                number += 1
                create = Operation(client=client, number=number, method="POST", path="/proposals", role="applicant",
                                   transition=None, body={
                                       "round_id": ww.open_round_id, "title": f"Entwurf {client}-{j} im Absturztest",
                                       "funding_plan": complete_plan(today.year)})
                load.send(http, create)
                assert create.status == 201, (create.request_id, create.status, create.answer)
                pid = int(create.answer["id"])
                create.proposal_id = pid
                version = step(pid, int(create.answer["version"]), "submit", "applicant")
                if j == 0:
                    step(pid, version, "withdraw", "applicant", reason=REASON)
    except BaseException as exc:
        load.errors.append(f"client {client}: {type(exc).__name__}: {exc}")


def operations_per_client() -> int:
    evens, odds = (REVIEWED + 1) // 2, REVIEWED // 2
    return evens * 5 + odds * 3 + DRAFTS * 2 + 1


def watch(load: Load, server: ServerProcess, kills: list[datetime], threads: list[threading.Thread]) -> None:
    """Kill the server when the given shares of the load are answered; start it again at once."""
    for share in KILL_AT:
        until = time.monotonic() + 60
        while load.answered() < share * load.total and any(t.is_alive() for t in threads):
            assert time.monotonic() < until, "the load did not progress"
            time.sleep(0.01)  # polling the load's progress
        if not any(t.is_alive() for t in threads):
            return
        server.kill()
        kills.append(utcnow())
        server.start()


@pytest.mark.slow
def test_a_server_killed_twice_mid_load_leaves_no_half_done_step(ctx: Context, database_url: str,
                                                                  tmp_path: Path) -> None:
    ww = wall_world(ctx)
    now = utcnow()
    today = now.astimezone(DEFAULT_ZONE).date()
    waiting, _ = in_review(ctx, ww, "Antrag auf der Warteliste")
    ctx.priorisation.resolve(ww.actor(Role.MANAGER), ww.closed_round_id,
                             {"decided_on": today.isoformat(), "waiting_list": [waiting]}, now=now)
    reviewed = [[in_review(ctx, ww, f"Antrag {c}-{i} im Absturztest") for i in range(REVIEWED)]
                for c in range(CLIENTS)]
    procedure = procedure_of(ctx, waiting)

    server = ServerProcess(database_url, tmp_path, "server", scheduler=True)
    load = Load(server.url, ww.tokens, CLIENTS * operations_per_client())
    kills: list[datetime] = []
    server.start()
    try:
        began = time.monotonic()
        threads = [threading.Thread(target=client_run, args=(load, c, ww, reviewed[c], today), daemon=True)
                   for c in range(CLIENTS)]
        for t in threads:
            t.start()
        watch(load, server, kills, threads)
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - began
        assert not any(t.is_alive() for t in threads), "a client did not finish"
    finally:
        server.stop()
    assert not load.errors, load.errors
    assert_clean(server.log_since_last_start(), "restarted server")

    ops = load.done
    touched = sorted({op.proposal_id for op in ops if op.proposal_id is not None} | {waiting})
    events = audit_of(ctx, touched)
    by_request = {e.request_id: e for history in events.values() for e in history}
    recorded = Counter(e.request_id for history in events.values() for e in history)
    missing = [op.request_id for op in ops if recorded[op.request_id] == 0]
    doubled = [op.request_id for op in ops if recorded[op.request_id] > 1] + doubled_steps(ctx)
    mismatches = state_mismatches(ctx, touched)
    half_done = deadline_problems(ctx, procedure, touched, events) + offer_problems(ctx, events, ww, waiting)
    interrupted = [op for op in ops if op.interrupted]
    # Interrupted after its step committed: the killed server had recorded it, the answer was lost on the way.
    replayed = [op for op in interrupted if any(op.first_sent is not None and op.first_sent <= by_request[
        op.request_id].at < k for k in kills)]
    statuses = Counter(op.status for op in ops)
    figure("crash", f"{CLIENTS} clients, {len(ops)} operations, "
                    f"{sum(op.attempts for op in ops)} attempts (with those to a dead server), "
                    f"{len(kills)} x SIGKILL, {len(interrupted)} operations interrupted and sent again "
                    f"({len(replayed)} of them had committed before), "
                    f"{sum(n for s, n in statuses.items() if 200 <= s < 300)} x 2xx, "
                    f"{sum(n for s, n in statuses.items() if s >= 500)} x 5xx, "
                    f"missing in audit {len(missing)}, applied twice {len(doubled)}, "
                    f"state != last audit {len(mismatches)}, half-done {len(half_done)}, {elapsed:.1f} s")

    assert len(kills) == len(KILL_AT) and server.starts == len(KILL_AT) + 1
    assert len(ops) == load.total and all(op.status in (200, 201) for op in ops), statuses
    assert interrupted, "no request met a dead server: the kills came too late"
    assert missing == [] and doubled == [] and mismatches == [] and half_done == []
    for op in ops:
        event = by_request[op.request_id]
        assert event.proposal_id == op.proposal_id
        assert (event.kind, event.transition) == (("transition", op.transition) if op.transition
                                                 else ("created", None))
        assert (event.to_state, event.seq) == (op.answer["state"], op.answer["version"])
    keys = rows(ctx, sa.select(IDEMPOTENCY.c.key).where(IDEMPOTENCY.c.key.like("crash-%")))
    assert sorted(k.key for k in keys) == sorted(op.request_id for op in ops)  # one stored answer per operation
    final = proposals_of(ctx, touched)
    assert Counter(final[op.proposal_id].state for op in ops
                   if op.transition is None and op.proposal_id is not None) == {
        "withdrawn": CLIENTS, "submitted": CLIENTS * (DRAFTS - 1)}


OPENED_BY = {"schedule_hearing": "hearing", "forward": "bank_decision", "approve": "proof_of_use"}


def deadline_problems(ctx: Context, procedure: Any, proposal_ids: list[int],
                      events: dict[int, list[Any]]) -> list[str]:
    """Deadlines that no recorded step explains, or steps whose deadlines are missing."""
    problems = []
    final = proposals_of(ctx, proposal_ids)
    for pid, deadlines in deadlines_of(ctx, proposal_ids).items():
        steps = {e.at: e for e in events[pid]}
        for d in deadlines:
            opened = steps.get(d.created_at)
            if opened is None or opened.to_state != d.state:
                problems.append(f"deadline {d.id} ({d.kind}) of proposal {pid}: no step at {d.created_at}")
            if d.status == "open" and final[pid].state not in procedure.deadlines[d.kind].states:
                problems.append(f"deadline {d.id} ({d.kind}) open in state {final[pid].state}")
            if d.status == "cancelled" and d.closed_at not in steps:
                problems.append(f"deadline {d.id} ({d.kind}) cancelled at {d.closed_at}, no step then")
        for e in events[pid]:
            kind = OPENED_BY.get(e.transition or "")
            if kind is not None and not any(d.kind == kind and d.created_at == e.at for d in deadlines):
                problems.append(f"proposal {pid}: step {e.seq} ({e.transition}) opened no {kind} deadline")
        if final[pid].state == "in_implementation":
            kinds = sorted(d.kind for d in deadlines if d.status == "open")
            if kinds != ["proof_of_use"]:
                problems.append(f"proposal {pid} in implementation with open deadlines {kinds}")
    return problems


def offer_problems(ctx: Context, events: dict[int, list[Any]], ww: WallWorld, waiting: int) -> list[str]:
    """Each withdrawal from a budget-binding state offers the freed money to the waiting proposal's managers."""
    manager = ww.actor(Role.MANAGER).user_id
    expected = {f"offer:p{waiting}:after:p{pid}:v{e.seq - 1}:u{manager}:inapp"
                for pid, history in events.items() for e in history
                if e.transition == "withdraw" and e.from_state in BINDING}
    found = {r.key for r in rows(ctx, sa.select(OUTBOX.c.key).where(OUTBOX.c.kind == "offer"))}
    problems = [f"missing offer {k}" for k in sorted(expected - found)]
    problems += [f"offer without its step: {k}" for k in sorted(found - expected)]
    if not expected:
        problems.append("no withdrawal freed money: the offers were not exercised")
    return problems

