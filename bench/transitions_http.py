"""Transitions over HTTP under wrk, against a real `foerderweg serve` on loopback.

    python -m bench.transitions_http [--proposals N] [--seconds S] [--connections C]

N proposals are brought to `in_implementation` in-process (setup, not measured). Then wrk keeps C connections
busy for S seconds, each request firing a proposal's next step through `POST /proposals/{id}/transitions`: the
applicant submits the proof of use, the bank returns it for corrections with a reason, and round again. Every
request authenticates its bearer token, checks the role and the version (If-Match), checks the rules, writes the
state, the audit row, the deadlines (the proof-of-use deadline closes and reopens) and the outbox rows (the
applicant is told), and answers with the new representation of the proposal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import BENCH_VERSION, rss_mib_of, settle_the_clock, table
from bench.wrk import Load, run_wrk
from tests.factories import make_world, proposal_in
from tests.serving import serve
from workflow.context import build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.settings import Settings

LUA = Path(__file__).with_name("lua") / "transitions.lua"
# (transition, the role that fires it, its inputs, its reason)
CYCLE: tuple[tuple[str, Role, dict[str, Any], str | None], ...] = (
    ("submit_proof_of_use", Role.APPLICANT, {"document": "Verwendungsnachweis 2026.pdf"}, None),
    ("return_proof_of_use", Role.BANK, {}, "Belege zu den Personalkosten fehlen"),
)
START_STATE = "in_implementation"


@dataclass(frozen=True)
class Prepared:
    url: str
    proposals: list[tuple[int, int]]  # (id, version)
    tokens: dict[Role, str]


def prepare(folder: Path, proposals: int) -> Prepared:
    url = f"sqlite:///{folder / 'bench.db'}"
    ctx = build_context(Settings(database_url=url))
    try:
        migrate.upgrade(ctx.db)
        world = make_world(ctx, budget_eur=60_000 * proposals, procedure_version=BENCH_VERSION)
        ready = [proposal_in(ctx, world, START_STATE, title=f"Bench-Projekt {i}") for i in range(proposals)]
        tokens = {}
        for role in {role for _, role, _, _ in CYCLE}:
            user_id = world.actor(role).user_id
            assert user_id is not None
            tokens[role] = ctx.admin.issue_token(SYSTEM, user_id)
        settle_the_clock(ctx)
    finally:
        ctx.close()
    return Prepared(url=url, proposals=ready, tokens=tokens)


def lua_script(prepared: Prepared, threads: int) -> str:
    def quoted(text: str) -> str:
        return json.dumps(text)  # a JSON string is a valid Lua string literal for this ASCII/UTF-8 text

    steps = []
    for transition, role, inputs, reason in CYCLE:
        body = json.dumps({"transition": transition, "inputs": inputs, "reason": reason}, ensure_ascii=False)
        steps.append(f"{{body = {quoted(body)}, token = {quoted(prepared.tokens[role])}}}")
    proposals = ", ".join(f"{{id = {i}, version = {v}}}" for i, v in prepared.proposals)
    return (LUA.read_text("utf-8").replace("{{PROPOSALS}}", "{" + proposals + "}")
            .replace("{{STEPS}}", "{" + ", ".join(steps) + "}").replace("{{THREADS}}", str(threads)))


@dataclass(frozen=True)
class Figures:
    load: Load
    server_rss_before_mib: float | None
    server_rss_after_mib: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.load.to_dict(), "server_rss_before_mib": self.server_rss_before_mib,
                "server_rss_after_mib": self.server_rss_after_mib}


def measure(folder: Path, *, proposals: int, seconds: float, connections: int, threads: int = 2) -> Figures:
    prepared = prepare(folder, proposals)
    script = folder / "transitions.lua"
    script.write_text(lua_script(prepared, threads), "utf-8")
    with serve(prepared.url, folder, log_level="warning") as (server,):
        assert server.process is not None
        before = rss_mib_of(server.process.pid)
        load = run_wrk(server.url, script=script, duration_s=seconds, connections=connections, threads=threads)
        after = rss_mib_of(server.process.pid)
    return Figures(load=load, server_rss_before_mib=before, server_rss_after_mib=after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="foerderweg-bench-") as folder:
        figures = measure(Path(folder), proposals=args.proposals, seconds=args.seconds,
                          connections=args.connections)
    load = figures.load
    print(table([
        ("transitions over HTTP", f"{load.requests:,} in {load.seconds:.1f} s -> {load.per_second:,.0f}/s"),
        ("latency", f"p50 {load.p50_ms:.1f} ms, p90 {load.p90_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"),
        ("errors", str(load.errors)),
        ("server RSS", f"{figures.server_rss_before_mib} -> {figures.server_rss_after_mib} MiB"),
    ]))
    return 0 if load.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
