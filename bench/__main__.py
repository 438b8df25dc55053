"""All benchmarks in one run: the floors, the peer and foerderweg, side by side, as ratios.

    python -m bench [--quick] [--out bench/results]

Measures, in this order and on this machine: the floors (sqlite3 and SQLModel in process; raw sqlite3, SQLModel
and SQLModel with a Machine per request over HTTP), the peer (SpiffWorkflow, a persisted step per transaction),
then foerderweg (persisted steps in process, transitions over HTTP, GET on a database of 100,000 proposals and
1,000,000 audit rows, the server's memory while 100,000 proposals are written and submitted, the deadline sweep
at two table sizes and two due counts). Prints the goals of the
performance issue as ratios, and writes `bench.json` and `bench.png` into --out. `--quick` runs every part at a
toy size, to check that the benchmark works (its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench import engine, memory, read_large, sql_share, sweep, transitions_http
from bench._common import table
from bench.chart import draw
from bench.floors.measure import LABELS, measure_floors
from bench.goals import budgets_of, goals_of
from bench.peer.spiff import persisted_steps

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    http_seconds: float
    sqlite3_steps: int
    sqlmodel_steps: int
    peer_proposals: int
    engine_proposals: int
    http_proposals: int
    large_proposals: int
    large_audit_rows: int
    sweep_due: int
    sweep_fewer_due: int
    sweep_small_total: int
    sweep_large_total: int
    memory_proposals: int
    memory_phase_seconds: float
    share_proposals: int
    share_rounds: int
    share_engine_proposals: int


FULL = Sizes(http_seconds=15, sqlite3_steps=50_000, sqlmodel_steps=5_000, peer_proposals=500,
             engine_proposals=1_000, http_proposals=256, large_proposals=100_000, large_audit_rows=1_000_000,
             sweep_due=10_000, sweep_fewer_due=1_000, sweep_small_total=100_000, sweep_large_total=1_000_000,
             memory_proposals=100_000, memory_phase_seconds=30, share_proposals=200, share_rounds=4,
             share_engine_proposals=300)
QUICK = Sizes(http_seconds=1, sqlite3_steps=500, sqlmodel_steps=100, peer_proposals=3, engine_proposals=5,
              http_proposals=64, large_proposals=300, large_audit_rows=3_000, sweep_due=50, sweep_fewer_due=5,
              sweep_small_total=500, sweep_large_total=5_000, memory_proposals=300, memory_phase_seconds=1,
              share_proposals=10, share_rounds=2, share_engine_proposals=3)


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def step(label: str, work: Callable[[], T]) -> T:
    progress(label)
    return work()


def run(folder: Path, sizes: Sizes) -> dict[str, Any]:
    def fresh(name: str) -> Path:
        path = folder / name
        path.mkdir()
        return path

    floors = step("floors: sqlite3, SQLModel, and over HTTP the raw sqlite3, SQLModel and SQLModel+Machine apps",
                  lambda: measure_floors(fresh("floors"), duration_s=sizes.http_seconds,
                                         sqlite3_steps=sizes.sqlite3_steps, sqlmodel_steps=sizes.sqlmodel_steps))
    shipped = step("peer: SpiffWorkflow, serializer as shipped",
                   lambda: persisted_steps(fresh("peer"), proposals=sizes.peer_proposals))
    spec_once = step("peer: SpiffWorkflow, spec stored once",
                     lambda: persisted_steps(fresh("peer-spec-once"), proposals=sizes.peer_proposals,
                                             spec_once=True))
    engine_figures = step(f"foerderweg in process: {sizes.engine_proposals:,} proposals along the happy path",
                          lambda: engine.main_run(sizes.engine_proposals, None, None))
    if engine_figures.problems:
        raise SystemExit("the engine benchmark's check failed: " + "; ".join(engine_figures.problems))
    http = step("foerderweg over HTTP: transitions under wrk",
                lambda: transitions_http.measure(fresh("http"), proposals=sizes.http_proposals,
                                                 seconds=sizes.http_seconds, connections=16))
    large = step(f"foerderweg over HTTP: GET on {sizes.large_proposals:,} proposals, "
                 f"{sizes.large_audit_rows:,} audit rows",
                 lambda: read_large.measure(fresh("large"), proposals=sizes.large_proposals,
                                            audit_rows=sizes.large_audit_rows, seconds=sizes.http_seconds,
                                            connections=16))
    passed = step(f"foerderweg over HTTP: server memory while {sizes.memory_proposals:,} proposals are written and "
                  "submitted", lambda: memory.measure(fresh("memory"), proposals=sizes.memory_proposals,
                                                      phase_seconds=sizes.memory_phase_seconds))
    shares = step("foerderweg's own statements replayed on sqlite3: the SQL in a request and in a step",
                  lambda: sql_share.measure(fresh("sql-share"), proposals=sizes.share_proposals,
                                            rounds=sizes.share_rounds,
                                            engine_proposals=sizes.share_engine_proposals))
    if not all(share.verified for share in shares.values()):
        raise SystemExit("the replay of foerderweg's statements did not leave the same data")
    sweeps = {}
    for name, total, due in (("small", sizes.sweep_small_total, sizes.sweep_due),
                             ("large", sizes.sweep_large_total, sizes.sweep_due),
                             ("fewer_due", sizes.sweep_large_total, sizes.sweep_fewer_due)):
        progress(f"sweep: {due:,} due among {total:,} deadline rows")
        sweeps[name] = sweep.measure(fresh(f"sweep-{name}"), total=total, due=due)
    return {
        "machine": {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "platform": platform.platform()},
        "sizes": asdict(sizes),
        "floors": {name: floor.to_dict() for name, floor in floors.items()},
        "peer": {"shipped": shipped, "spec_once": spec_once},
        "project": {
            "engine": asdict(engine_figures),
            "http_transitions": http.to_dict(),
            "read_large": large.to_dict(),
            "memory": passed.to_dict(),
            "sweep": {name: asdict(result) for name, result in sweeps.items()},
            "sql_share": {name: share.to_dict() for name, share in shares.items()},
        },
    }


def report(results: dict[str, Any], floors_text: list[tuple[str, str]]) -> str:
    goals = goals_of(results)
    project, peer = results["project"], results["peer"]
    http, large, sweeps = project["http_transitions"], project["read_large"], project["sweep"]
    rows = [("FLOORS", ""), *floors_text, ("PEER", ""),
            ("SpiffWorkflow, as shipped", f"{peer['shipped']['per_second']:,.0f} steps/s "
                                          f"({peer['shipped']['per_step_us']:,.0f} µs per persisted step)"),
            ("SpiffWorkflow, spec once", f"{peer['spec_once']['per_second']:,.0f} steps/s "
                                         f"({peer['spec_once']['per_step_us']:,.0f} µs per persisted step)"),
            ("FOERDERWEG", ""),
            ("persisted steps in process", f"{project['engine']['transitions_per_second']:,.0f}/s"),
            ("transitions over HTTP", f"{http['per_second']:,.0f}/s, p50 {http['p50_ms']:.1f} ms, "
                                      f"p99 {http['p99_ms']:.1f} ms, errors {http['errors']}"),
            ("GET, large database", f"{large['load']['per_second']:,.0f}/s, p99 {large['load']['p99_ms']:.1f} ms, "
                                    f"errors {large['load']['errors']}"),
            ("GET, large database, one connection", f"{large['one_at_a_time']['per_second']:,.0f}/s, p99 "
                                                    f"{large['one_at_a_time']['p99_ms']:.1f} ms (not the goal's "
                                                    "measure)"),
            ("server memory, proposals passing", f"{memory_text(project['memory'])}"),
            *[(f"sweep: {s['due_rows']:,} due of {s['total_rows']:,}", f"{s['sweep_seconds']:.2f} s "
               f"(claim {s['claim_seconds'] * 1000:.1f} ms)") for s in sweeps.values()],
            *[(f"SQL share: {s['what']}", f"{s['python_and_sql_us']:,.0f} µs in all, {s['sql_us']:,.0f} µs "
               f"({s['sql_fraction']:.0%}) its {s['statements_per_operation']:.1f} statements on sqlite3")
              for s in project["sql_share"].values()],
            ("GOALS", ""),
            *[(("met    " if g.met else "MISSED ") + g.what, g.shown()) for g in goals],
            ("WHAT THE RATIO GOALS LEAVE FOR PYTHON (per operation)", ""),
            *[(b.what, f"allowed {b.allowed_us:,.0f} µs, its SQL alone {b.sql_us:,.0f} µs, left "
                       f"{b.left_for_python_us:,.0f} µs; takes {b.taken_us:,.0f} µs now") for b in budgets_of(results)]]
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes: checks the benchmark runs, no figures")
    parser.add_argument("--out", type=Path, default=Path("bench/results"),
                        help="folder for bench.json and bench.png (default bench/results)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="foerderweg-bench-") as folder:
        results = run(Path(folder), QUICK if args.quick else FULL)
    results["quick"] = args.quick
    goals = goals_of(results)
    results["goals"] = [g.to_dict() for g in goals]
    results["budgets"] = [b.to_dict() for b in budgets_of(results)]
    floors_text = [(LABELS[name], describe_dict(value)) for name, value in results["floors"].items()]
    print(report(results, floors_text))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    draw(results, goals, args.out / "bench.png")
    progress(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


def memory_text(figures: dict[str, Any]) -> str:
    first, last = figures["samples"][0], figures["samples"][-1]
    return (f"{figures['proposals']:,} written, {figures['submitted']:,} submitted; RSS {first['rss_mib']:.0f} -> "
            f"{last['rss_mib']:.0f} MiB, {figures['growth_mib']:+.1f} MiB from the first tenth; "
            f"errors {figures['errors']}")


def describe_dict(value: dict[str, Any]) -> str:
    if "per_op_us" in value:
        return f"{value['per_second']:,.0f}/s ({value['per_op_us']:.1f} µs per step)"
    return (f"{value['per_second']:,.0f} req/s, p50 {value['p50_ms']:.1f} ms, p99 {value['p99_ms']:.1f} ms, "
            f"errors {value['errors']}")


if __name__ == "__main__":
    sys.exit(main())
