"""N proposals through the whole path over HTTP, against a real `foerderweg serve` on loopback.

    python -m bench.http [--proposals N] [--connections C] [--json OUT]

Each proposal is created and walked from draft to closed by the roles that may fire each step, with If-Match
from the previous answer: authentication, authorisation, guards, the version check and the audit row are all in
what is measured. Proposals run concurrently over C connections (bounded: N requests per step, loopback only).
The server uses the wall clock, so submissions happen while the bench's round is open; the round is then closed
by moving its deadline to the present (setup, not measured) and the review steps follow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

from bench._common import BENCH_VERSION, table
from tests.factories import complete_plan, make_world, sample_inputs
from tests.serving import serve
from workflow.context import build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.proposals import store as repo
from workflow.settings import Settings
from workflow.timeutil import utcnow

AFTER_CLOSE = ("open_review", "request_revision", "resubmit", "prioritise", "forward", "approve",
               "start_implementation", "submit_proof_of_use", "accept_proof_of_use")


@dataclass
class Figures:
    proposals: int
    connections: int
    transitions: int
    seconds: float
    transitions_per_second: float
    p50_ms: float
    p99_ms: float
    creations_per_second: float
    non_2xx: int


def prepare(url: str, proposals: int) -> tuple[dict[str, str], int, Any]:
    """A migrated database with a world, a token per role, and an open round; returns tokens, round id, context."""
    ctx = build_context(Settings(database_url=url))
    migrate.upgrade(ctx.db)
    world = make_world(ctx, budget_eur=60_000 * proposals, procedure_version=BENCH_VERSION)
    now = utcnow()
    round_ = ctx.admin.create_round(SYSTEM, world.alliance_id, "Bench", opens_at=now - timedelta(days=1),
                                    closes_at=now + timedelta(days=1), now=now, procedure_version=BENCH_VERSION)
    tokens = {}
    for role in (Role.APPLICANT, Role.MANAGER, Role.BANK):
        actor = world.actor(role)
        assert actor.user_id is not None
        tokens[role.value] = ctx.admin.issue_token(SYSTEM, actor.user_id)
    assert round_.id is not None
    return tokens, round_.id, ctx


async def walk(client: httpx.AsyncClient, gate: asyncio.Semaphore, headers: dict[str, dict[str, str]], *,
               proposal_id: int, version: int, steps: list[tuple[str, str, dict[str, Any]]],
               latencies: list[float], failures: list[str]) -> int:
    for transition, role, inputs in steps:
        async with gate:
            started = time.perf_counter()
            response = await client.post(
                f"/proposals/{proposal_id}/transitions", headers={**headers[role], "If-Match": f'"{version}"'},
                json={"transition": transition, "reason": "Beschluss der Lenkungsgruppe", "inputs": inputs})
            latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            failures.append(f"{transition} on {proposal_id}: {response.status_code} {response.text[:200]}")
            return version
        version = int(response.headers["ETag"].strip('"'))
    return version


async def drive(base: str, tokens: dict[str, str], *, round_id: int, proposals: int, connections: int,
                close_round: Any, procedure: Any) -> Figures:
    headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
    gate = asyncio.Semaphore(connections)
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        async def create(i: int) -> int:
            async with gate:
                response = await client.post("/proposals", headers=headers["applicant"],
                                             json={"round_id": round_id, "title": f"Bench-Projekt {i}",
                                                   "funding_plan": complete_plan()})
            if response.status_code != 201:
                raise SystemExit(f"creating a proposal failed: {response.status_code} {response.text[:300]}")
            return int(response.json()["id"])

        started = time.perf_counter()
        ids = await asyncio.gather(*(create(i) for i in range(proposals)))
        creation_seconds = time.perf_counter() - started

        def steps(names: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any]]]:
            return [(n, procedure.transitions[n].roles[0], sample_inputs(procedure.transitions[n])) for n in names]

        transition_started = time.perf_counter()
        versions = await asyncio.gather(*(walk(client, gate, headers, proposal_id=pid, version=1,
                                               steps=steps(("submit",)), latencies=latencies, failures=failures)
                                          for pid in ids))
        pause = time.perf_counter()
        close_round()  # setup between the phases, not measured
        paused = time.perf_counter() - pause
        await asyncio.gather(*(walk(client, gate, headers, proposal_id=pid, version=v, steps=steps(AFTER_CLOSE),
                                    latencies=latencies, failures=failures)
                               for pid, v in zip(ids, versions, strict=True)))
        seconds = time.perf_counter() - transition_started - paused
    if failures:
        raise SystemExit("some steps failed:\n  " + "\n  ".join(failures[:10]))
    ordered = sorted(latencies)
    return Figures(
        proposals=proposals, connections=connections, transitions=len(latencies), seconds=round(seconds, 2),
        transitions_per_second=round(len(latencies) / seconds, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        creations_per_second=round(proposals / creation_seconds, 1), non_2xx=len(failures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not 1 <= args.proposals <= 100_000 or not 1 <= args.connections <= 256:
        parser.error("--proposals must be 1..100000 and --connections 1..256")

    folder = Path(tempfile.mkdtemp(prefix="foerderweg-bench-http-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    tokens, round_id, ctx = prepare(url, args.proposals)
    procedure = ctx.procedures.get(ctx.settings.default_procedure, BENCH_VERSION)

    def close_round() -> None:
        with ctx.db.write() as session:
            session.execute(sa.update(repo.ROUNDS).where(repo.ROUNDS.c.id == round_id).values(closes_at=utcnow()))

    try:
        with serve(url, folder, log_level="warning") as (server,):
            figures = asyncio.run(drive(server.url, tokens, round_id=round_id, proposals=args.proposals,
                                        connections=args.connections, close_round=close_round, procedure=procedure))
    finally:
        ctx.close()

    print(table([
        ("proposals", f"{figures.proposals:,} over {figures.connections} connections"),
        ("transitions over HTTP", f"{figures.transitions:,} in {figures.seconds} s -> "
                                  f"{figures.transitions_per_second} transitions/s"),
        ("latency per transition", f"p50 {figures.p50_ms} ms, p99 {figures.p99_ms} ms"),
        ("drafts created", f"{figures.creations_per_second}/s"),
    ]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
