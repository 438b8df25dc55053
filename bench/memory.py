"""The server's memory while proposals pass through it, against a real `foerderweg serve` on loopback.

    python -m bench.memory [--proposals N] [--phase-seconds S] [--json OUT]

An applicant writes proposals as drafts (POST /proposals) and submits each once its 201 came back (POST
/proposals/{id}/transitions), 16 connections at a time under wrk (bench/lua/pass_through.lua). No proposal is
touched twice, so anything the server kept per proposal (a cache keyed by id, objects held by a session, a
growing log) would show as resident memory growing with the count. wrk runs in phases; between them the server's
RSS is read with the count of proposals so far, until N have been written. The figure is the growth from the
first tenth to the end: flat means the server keeps nothing per proposal.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import BENCH_VERSION, rss_mib_of, settle_the_clock, table
from bench.wrk import run_wrk
from tests.factories import complete_plan, make_world
from tests.serving import serve
from workflow.context import build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.settings import Settings

LUA = Path(__file__).with_name("lua") / "pass_through.lua"


@dataclass(frozen=True)
class Sample:
    proposals: int
    submitted: int
    rss_mib: float


@dataclass
class MemoryFigures:
    proposals: int
    submitted: int
    requests: int
    errors: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)

    @property
    def growth_mib(self) -> float:
        """RSS at the end minus RSS once a tenth of the proposals had passed (the warm-up is not growth)."""
        tenth = next(s for s in self.samples if s.proposals >= self.proposals / 10)
        return self.samples[-1].rss_mib - tenth.rss_mib

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "growth_mib": self.growth_mib}


@dataclass(frozen=True)
class Prepared:
    path: Path
    url: str
    token: str
    round_id: int


def prepare(folder: Path) -> Prepared:
    path = folder / "memory.db"
    url = f"sqlite:///{path}"
    ctx = build_context(Settings(database_url=url))
    try:
        migrate.upgrade(ctx.db)
        world = make_world(ctx, procedure_version=BENCH_VERSION)
        # The server runs on the wall clock: a round open now, for a long time.
        now = datetime.now(UTC)
        round_ = ctx.admin.create_round(world.actor(Role.MANAGER), world.alliance_id, "Speicher-Runde",
                                        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=90), now=now,
                                        procedure_version=BENCH_VERSION)
        user_id = world.actor(Role.APPLICANT).user_id
        assert user_id is not None and round_.id is not None
        token = ctx.admin.issue_token(SYSTEM, user_id)
        settle_the_clock(ctx)
    finally:
        ctx.close()
    return Prepared(path=path, url=url, token=token, round_id=round_.id)


def lua_script(prepared: Prepared) -> str:
    draft = json.dumps({"round_id": prepared.round_id, "title": "Fachkräftenetzwerk Speicher",
                        "funding_plan": complete_plan()})  # ASCII: a JSON string is then a Lua string literal
    submit = json.dumps({"transition": "submit", "inputs": {}})
    return (LUA.read_text("utf-8").replace("{{TOKEN}}", json.dumps(prepared.token))
            .replace("{{DRAFT}}", json.dumps(draft)).replace("{{SUBMIT}}", json.dumps(submit)))


def counts(path: Path) -> tuple[int, int]:
    """Proposals written so far, and how many of them were submitted (read beside the server; WAL allows it)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        total, submitted = db.execute("SELECT count(*), coalesce(sum(state = 'submitted'), 0) FROM proposals"
                                      ).fetchone()
    return int(total), int(submitted)


def measure(folder: Path, *, proposals: int = 100_000, phase_seconds: float = 30,
            connections: int = 16) -> MemoryFigures:
    prepared = prepare(folder)
    script = folder / "pass_through.lua"
    script.write_text(lua_script(prepared), "utf-8")
    figures = MemoryFigures(proposals=0, submitted=0, requests=0, errors=0, seconds=0.0)
    with serve(prepared.url, folder, log_level="warning") as (server,):
        assert server.process is not None
        figures.samples.append(Sample(0, 0, rss_mib_of(server.process.pid)))
        while figures.proposals < proposals:
            load = run_wrk(server.url, script=script, duration_s=phase_seconds, connections=connections)
            figures.requests += load.requests
            figures.errors += load.errors
            figures.seconds += load.seconds
            figures.proposals, figures.submitted = counts(prepared.path)
            figures.samples.append(Sample(figures.proposals, figures.submitted, rss_mib_of(server.process.pid)))
            if load.requests == 0:
                raise RuntimeError(f"no request got through in a phase; see {server.log_path}")
    return figures


def report(figures: MemoryFigures) -> str:
    rows = [(f"after {s.proposals:,} proposals ({s.submitted:,} submitted)", f"server RSS {s.rss_mib:.1f} MiB")
            for s in figures.samples]
    rows += [("requests", f"{figures.requests:,} in {figures.seconds:.0f} s, {figures.errors} errors"),
             ("RSS growth, first tenth to end", f"{figures.growth_mib:+.1f} MiB")]
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--phase-seconds", type=float, default=30)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        figures = measure(Path(scratch), proposals=args.proposals, phase_seconds=args.phase_seconds)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures.to_dict(), indent=2), "utf-8")
    return 0 if figures.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
