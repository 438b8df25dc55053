"""A long migration through the command line: its progress, its time, and its memory at two sizes.

    python -m bench.migration [--proposals 2000 10000] [--json OUT]

For each size a fresh SQLite database gets that many running proposals on saxony-regional version 1 (drafts,
proposals in review, at the bank with an open deadline, in implementation with an open deadline), then
`foerderweg procedure migrate --plan docs/migrations/saxony-regional-1-to-2.toml` runs as an operator would run it,
in its own process. Its resident memory is read from /proc every 50 ms. Memory is bounded when the peak does not grow
with the number of proposals: the runner holds one batch of ids at a time, never the list of all.
Afterwards every proposal must be on version 2 with exactly one `migrated` event.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench._common import table
from workflow.context import build_context
from workflow.people.actors import SYSTEM
from workflow.persistence import migrate
from workflow.proposals import store as repo
from workflow.settings import Settings
from workflow.timeutil import local

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "migrations" / "saxony-regional-1-to-2.toml"
PROCEDURE = ("saxony-regional", 1)
# state, share of the proposals, the deadline open in it (or None)
MIX = (("draft", 4, None), ("in_review", 2, None), ("forwarded_to_bank", 2, "bank_decision"),
       ("in_implementation", 2, "proof_of_use"))
CHUNK = 20_000


@dataclass
class Run:
    proposals: int
    seconds: float
    per_proposal_ms: float
    peak_rss_mib: float
    first_rss_mib: float  # when the first progress line appeared (one batch done)
    progress_lines: int
    moved_once: int


def fill(url: str, proposals: int) -> None:
    ctx = build_context(Settings(database_url=url))
    try:
        migrate.upgrade(ctx.db)
        ctx.publish_procedures()
        org = ctx.admin.create_organisation(SYSTEM, "Zukunftsakademie Leipzig e.V.")
        alliance = ctx.admin.create_alliance(SYSTEM, "Fachkräfteallianz Leipzig", now=local(date(2026, 4, 1)))
        round_ = ctx.admin.create_round(SYSTEM, alliance.id or 0, "Bench", opens_at=local(date(2026, 4, 1)),
                                        closes_at=local(date(2026, 7, 31)), now=local(date(2026, 4, 1)),
                                        procedure_key=PROCEDURE[0], procedure_version=PROCEDURE[1])
        created = local(date(2026, 5, 1))
        states = [(state, kind) for state, share, kind in MIX for _ in range(share)]
        with ctx.db.write() as session:
            for start in range(0, proposals, CHUNK):
                numbers = range(start, min(start + CHUNK, proposals))
                session.execute(sa.insert(repo.PROPOSALS), [{
                    "round_id": round_.id, "alliance_id": alliance.id, "organisation_id": org.id,
                    "title": f"Antrag {i}", "summary": "", "target_group": "", "goals": "", "partners": [],
                    "state": states[i % len(states)][0], "version": 1, "procedure_key": PROCEDURE[0],
                    "procedure_version": PROCEDURE[1], "created_at": created, "updated_at": created,
                    "reached_alliance_at": None if i % len(states) < 4 else created, "binds_budget": False,
                } for i in numbers])
            ids = list(session.execute(sa.select(repo.PROPOSALS.c.id, repo.PROPOSALS.c.state)
                                       .order_by(repo.PROPOSALS.c.id)))
            kinds = dict(states)
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                session.execute(sa.insert(repo.AUDIT), [{
                    "proposal_id": pid, "seq": 1, "at": created, "kind": "created", "actor_id": None,
                    "actor_name": "bench", "actor_role": "applicant", "to_state": state, "inputs": {},
                    "procedure_key": PROCEDURE[0], "procedure_version": PROCEDURE[1]} for pid, state in chunk])
                rows = [{"proposal_id": pid, "kind": kinds[state], "procedure_key": PROCEDURE[0],
                         "procedure_version": PROCEDURE[1], "state": state,
                         "due_at": created + timedelta(days=300), "status": "open", "stage": 0,
                         "next_fire_at": created + timedelta(days=300), "created_at": created}
                        for pid, state in chunk if kinds[state] is not None]
                if rows:
                    session.execute(sa.insert(repo.DEADLINES), rows)
    finally:
        ctx.close()


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(folder: Path, proposals: int, batch_size: int = 200) -> Run:
    url = f"sqlite:///{folder / f'migration-{proposals}.db'}"
    fill(url, proposals)
    env = {**os.environ, "FOERDERWEG_DATABASE_URL": url, "FOERDERWEG_LOG_FORMAT": "text", "COLUMNS": "200"}
    command = [sys.executable, "-m", "cli", "procedure", "migrate", "--plan", str(PLAN),
               "--batch-size", str(batch_size)]
    log = folder / f"migration-{proposals}.log"
    started = time.perf_counter()
    with log.open("w") as sink, subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink,
                                                 stderr=subprocess.STDOUT) as child:
        peak = first = 0.0
        while child.poll() is None:
            now = rss_mib(child.pid) or 0.0
            peak = max(peak, now)
            if not first and " moved (" in log.read_text(encoding="utf-8"):
                first = now
            time.sleep(0.05)
    elapsed = time.perf_counter() - started
    output = log.read_text(encoding="utf-8")
    if child.returncode != 0:
        raise SystemExit(f"the migration failed:\n{output}")
    lines = sum(1 for line in output.splitlines() if " moved (" in line)
    ctx = build_context(Settings(database_url=url))
    try:
        with ctx.db.read() as session:
            left = session.execute(sa.select(sa.func.count()).where(
                repo.PROPOSALS.c.procedure_version == 1)).scalar_one()
            once = session.execute(sa.select(sa.func.count(sa.distinct(repo.AUDIT.c.proposal_id))).where(
                repo.AUDIT.c.kind == "migrated")).scalar_one()
            events = session.execute(sa.select(sa.func.count()).where(repo.AUDIT.c.kind == "migrated")).scalar_one()
    finally:
        ctx.close()
    if left or once != proposals or events != proposals:
        raise SystemExit(f"expected {proposals} proposals moved once each: {left} left on version 1, "
                         f"{once} with a migrated event, {events} events")
    return Run(proposals=proposals, seconds=elapsed, per_proposal_ms=elapsed / proposals * 1000,
               peak_rss_mib=peak, first_rss_mib=first, progress_lines=lines, moved_once=once)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, nargs="+", default=[2_000, 10_000])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="foerderweg-migration-") as folder:
        for proposals in args.proposals:
            print(f"  migrating {proposals:,} proposals ...", file=sys.stderr, flush=True)
            runs.append(measure(Path(folder), proposals))
    print("Migration saxony-regional 1 -> 2 through `foerderweg procedure migrate` (SQLite, own process):")
    print(table([(f"{r.proposals:>7,} proposals",
                  f"{r.seconds:6.1f} s ({r.per_proposal_ms:.2f} ms each), {r.progress_lines} progress lines, "
                  f"RSS after the first batch {r.first_rss_mib:.0f} MiB, peak {r.peak_rss_mib:.0f} MiB, "
                  f"{r.moved_once:,} moved exactly once") for r in runs]))
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        print(f"peak memory at {large.proposals:,} vs {small.proposals:,} proposals: "
              f"{large.peak_rss_mib - small.peak_rss_mib:+.1f} MiB")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
