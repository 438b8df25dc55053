"""32 clients fire conflicting transitions at the same proposals through 2 API processes on one database.

Round after round every client reads a proposal (GET: state and version), waits for the others, and fires a
transition from the version it read. Eight clients meet on each proposal per round: exactly one of those whose
transition is possible from the state they read wins (200), every other one gets 409 (stale version, or not
possible from the state), never a 5xx or a dropped connection. Most rounds reschedule the hearing (in_review ->
in_review, a new hearing deadline each time); in the last rounds the clients on a proposal fire different decisions
(prioritise, waiting list, decline), after which most of them are no longer possible.

Afterwards the database must tell the same story as the answers: each proposal's state is its last audit event's
target and its version that event's position, no step is recorded twice, the 200s are exactly the audit events
added (by request id), and each proposal has exactly one open hearing deadline, for the date of its last
rescheduling, while it is in a hearing state, and none after the decision.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.factories import REASON, procedure_of
from tests.reliability.conftest import (
    audit_of,
    deadlines_of,
    doubled_steps,
    figure,
    in_review,
    proposals_of,
    state_mismatches,
    wall_world,
)
from tests.reliability.processes import ServerProcess, assert_clean, running
from workflow.context import Context
from workflow.timeutil import DEFAULT_ZONE, end_of_day, utcnow

CLIENTS = 32
SERVERS = 2
PROPOSALS = 4
ROUNDS = 20
DECIDING = 4  # the last rounds decide
# Each decision possible from in_review, so the first deciding round decides; from the waiting list only two are.
DECISIONS = ("prioritise", "put_on_waiting_list", "decline", "prioritise")
PROBLEM = "application/problem+json"


@dataclasses.dataclass
class Shot:
    client: int
    round: int
    proposal_id: int
    transition: str
    state: str  # as read before firing
    version: int
    request_id: str
    status: int = 0
    body: Any = None
    error: str | None = None


def aim(client: int, round_: int, today: date) -> tuple[str, dict[str, Any]]:
    """What a client fires in a round: a new hearing date, or in the last rounds a decision."""
    # The clients meeting on a proposal in a round share client % PROPOSALS: they differ in client // PROPOSALS.
    transition = "schedule_hearing" if round_ < ROUNDS - DECIDING else DECISIONS[
        (client // PROPOSALS) % len(DECISIONS)]
    if transition == "schedule_hearing":
        session = today + timedelta(days=10 + (client * ROUNDS + round_) % 60)
        return transition, {"inputs": {"next_session": session.isoformat()}}
    return transition, {"reason": REASON} if transition == "decline" else {}


def client_run(client: int, url: str, token: str, *, proposals: list[int], today: date, start: threading.Barrier,
               fired: threading.Barrier, shots: list[Shot], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
            for round_ in range(ROUNDS):
                proposal_id = proposals[(client + round_) % len(proposals)]
                seen = http.get(f"/proposals/{proposal_id}")
                assert seen.status_code == 200, seen.text
                transition, body = aim(client, round_, today)
                shot = Shot(client=client, round=round_, proposal_id=proposal_id, transition=transition,
                            state=seen.json()["state"], version=seen.json()["version"],
                            request_id=f"race-{client}-{round_}")
                start.wait()  # everybody has read: now all fire from what they read
                try:
                    answer = http.post(f"/proposals/{proposal_id}/transitions",
                                       json={"transition": transition, **body},
                                       headers={"If-Match": f'"{shot.version}"', "X-Request-ID": shot.request_id})
                    shot.status, shot.body = answer.status_code, answer.json()
                    if answer.status_code >= 400:
                        assert answer.headers["content-type"] == PROBLEM, answer.headers
                except httpx.TransportError as exc:
                    shot.error = f"{type(exc).__name__}: {exc}"
                shots.append(shot)
                fired.wait()  # nobody reads the next round before everybody fired in this one
    except BaseException as exc:
        errors.append(f"client {client}: {type(exc).__name__}: {exc}")
        start.abort()
        fired.abort()


@pytest.mark.slow
def test_32_clients_fire_conflicting_transitions_through_2_servers(ctx: Context, database_url: str,
                                                                   tmp_path: Path) -> None:
    ww = wall_world(ctx, managers=CLIENTS)
    proposals = [in_review(ctx, ww, f"Umstrittener Antrag {n + 1}")[0] for n in range(PROPOSALS)]
    before = {pid: len(events) for pid, events in audit_of(ctx, proposals).items()}
    procedure = procedure_of(ctx, proposals[0])
    today = utcnow().astimezone(DEFAULT_ZONE).date()

    servers = [ServerProcess(database_url, tmp_path, f"server-{n}", scheduler=n == 0) for n in range(SERVERS)]
    shots: list[Shot] = []
    errors: list[str] = []
    start, fired = threading.Barrier(CLIENTS, timeout=60), threading.Barrier(CLIENTS, timeout=60)
    with running(*servers):
        began = time.monotonic()
        threads = [threading.Thread(target=client_run, daemon=True,
                                    args=(c, servers[c % SERVERS].url, ww.managers[c][1]),
                                    kwargs={"proposals": proposals, "today": today, "start": start, "fired": fired,
                                            "shots": shots, "errors": errors})
                   for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - began
        assert not any(t.is_alive() for t in threads), "a client did not finish"
    for server in servers:
        assert_clean(server.log(), server.log_path.name)
    assert not errors, errors

    statuses = Counter(s.status for s in shots)
    kinds = Counter(s.body.get("type") for s in shots if s.status == 409)
    transport = [s for s in shots if s.error]
    winners = [s for s in shots if s.status == 200]
    events = audit_of(ctx, proposals)
    added = {e.request_id: e for pid in proposals for e in events[pid][before[pid]:]}

    # Per round and proposal: one winner if any of the transitions fired was possible from the state read.
    lost, doubled_wins = [], []
    for round_ in range(ROUNDS):
        for pid in proposals:
            group = [s for s in shots if s.round == round_ and s.proposal_id == pid]
            assert len({(s.state, s.version) for s in group}) == 1, group  # all read the same
            possible = any(s.state in procedure.transitions[s.transition].sources for s in group)
            won = [s for s in group if s.status == 200]
            if possible and not won:
                lost.append((round_, pid))
            if len(won) > 1:
                doubled_wins.append((round_, pid, [s.request_id for s in won]))
    mismatches = state_mismatches(ctx, proposals)
    doubled = doubled_steps(ctx)
    figure("race", f"{CLIENTS} clients on {SERVERS} servers, {PROPOSALS} proposals x {ROUNDS} rounds, "
                   f"{len(shots)} requests, {statuses[200]} x 200, {statuses[409]} x 409 "
                   f"({kinds['/problems/staleversion']} stale, {kinds['/problems/invalidtransition']} not possible), "
                   f"{sum(n for s, n in statuses.items() if s >= 500)} x 5xx, {len(transport)} transport errors, "
                   f"applied twice {len(doubled) + len(doubled_wins)}, state != last audit {len(mismatches)}, "
                   f"audit events added {len(added)}, rounds without a winner {len(lost)}, {elapsed:.1f} s")

    assert len(shots) == CLIENTS * ROUNDS
    assert not transport, transport[:3]
    assert set(statuses) <= {200, 409}, statuses
    assert set(kinds) <= {"/problems/staleversion", "/problems/invalidtransition"}, kinds
    assert not lost and not doubled_wins, (lost, doubled_wins)
    assert mismatches == [] and doubled == []

    # The 200s are the audit events added, one for one, each the step its answer reported.
    assert sorted(added) == sorted(s.request_id for s in winners)
    for s in winners:
        event = added[s.request_id]
        assert (event.proposal_id, event.transition, event.from_state, event.seq) == (
            s.proposal_id, s.transition, s.state, s.version + 1)
        assert (s.body["state"], s.body["version"]) == (event.to_state, event.seq)
    final = proposals_of(ctx, proposals)
    assert all(final[pid].state != "in_review" for pid in proposals)  # the last rounds decided every one

    # Deadlines follow the steps: one hearing row per rescheduling; the last one open while a hearing is ahead.
    hearing = procedure.deadlines["hearing"]
    for pid, deadlines in deadlines_of(ctx, proposals).items():
        rescheduled = [e for e in events[pid] if e.transition == "schedule_hearing"]
        rows = [d for d in deadlines if d.kind == "hearing"]
        assert len(rows) == len(rescheduled) >= 1, (pid, rows, rescheduled)
        open_rows = [d for d in rows if d.status == "open"]
        if final[pid].state in hearing.states:
            last = date.fromisoformat(rescheduled[-1].inputs["next_session"])
            assert [d.due_at for d in open_rows] == [end_of_day(last)], (pid, open_rows)
        else:
            assert open_rows == [], (pid, final[pid].state, open_rows)
