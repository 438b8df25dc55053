"""Throughput and memory of the engine: N proposals through the whole happy path of saxony-regional.

    python -m bench.engine [--proposals N] [--database PATH] [--json OUT] [--no-tracemalloc] [--profile OUT]

Every step goes through `ProposalService.fire` with the actor, time, reason and inputs it needs, so role
checks, guards, the version check and the audit row are all part of what is measured. Drafts are created first
(their own figure), then each proposal is driven from draft to closed. The tracemalloc peak comes from a
separate, shorter run on its own database, because tracing every allocation slows the interpreter a lot.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

import sqlalchemy as sa

from bench._common import BENCH_VERSION, MIB, current_rss_mib, peak_rss_mib, table
from tests.factories import (
    REASON,
    WHILE_OPEN,
    World,
    complete_plan,
    make_world,
    moment_for,
    sample_inputs,
    satisfy,
)
from workflow.context import Context, build_context
from workflow.errors import DomainError
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.procedure.definition import Procedure
from workflow.settings import Settings

PROCEDURE_KEY = "saxony-regional"
HAPPY_PATH = (
    "submit", "open_review", "request_revision", "resubmit", "prioritise", "forward", "approve",
    "start_implementation", "submit_proof_of_use", "accept_proof_of_use",
)
FINAL_STATE = "closed"
TRACEMALLOC_PROPOSALS = 1000


class BenchError(Exception):
    """The benchmark could not run as defined, or its result is wrong."""


@dataclass(frozen=True)
class Step:
    transition: str
    actor: Actor
    now: datetime
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Bench:
    ctx: Context
    world: World
    procedure: Procedure
    steps: tuple[Step, ...]


@dataclass
class Figures:
    procedure: str
    proposals: int
    transitions_per_proposal: int
    transitions: int
    drafts_seconds: float
    drafts_per_second: float
    transitions_seconds: float
    transitions_per_second: float
    peak_rss_mib: float
    rss_after_first_tenth_mib: float | None
    rss_end_mib: float | None
    rss_growth_mib: float | None
    tracemalloc_proposals: int | None = None
    tracemalloc_peak_mib: float | None = None
    verified: bool = False
    problems: tuple[str, ...] = ()


# --- setting up -------------------------------------------------------------------------------------------

def happy_path(procedure: Procedure, world: World) -> tuple[Step, ...]:
    """HAPPY_PATH checked against the definition: each name exists and each step can follow the previous."""
    unknown = [name for name in HAPPY_PATH if name not in procedure.transitions]
    if unknown:
        raise BenchError(f"{procedure.ref} has no transition(s) {', '.join(unknown)} "
                         f"(known: {', '.join(procedure.transitions)})")
    state = procedure.initial
    steps = []
    for name in HAPPY_PATH:
        transition = procedure.transitions[name]
        if state not in transition.sources:
            raise BenchError(f"{procedure.ref}: '{name}' cannot fire from '{state}' "
                             f"(from: {', '.join(transition.sources)})")
        steps.append(Step(transition=name, actor=world.actor(Role(transition.roles[0])),
                          now=moment_for(transition), inputs=sample_inputs(transition)))
        state = transition.to
    if state != FINAL_STATE or not procedure.state(state).terminal:
        raise BenchError(f"{procedure.ref}: the path ends in '{state}', "
                         f"expected the terminal state '{FINAL_STATE}'")
    return tuple(steps)


def budget_for(proposals: int) -> int:
    """Whole euros that cover every proposal's grant, so `budget_covers` never refuses a forward."""
    grant = sum(Decimal(year["grant_requested"]) for year in complete_plan())
    return math.ceil(grant * proposals) + 1


@contextmanager
def database_file(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path = path.resolve()
        if path.exists():
            raise BenchError(f"{path} exists; the benchmark needs a fresh database file")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="foerderweg-bench-") as folder:
        yield Path(folder) / "bench.db"


@contextmanager
def bench_on(path: Path | None, proposals: int) -> Iterator[Bench]:
    with database_file(path) as file:
        ctx = build_context(Settings(database_url=f"sqlite:///{file}", default_procedure=PROCEDURE_KEY))
        try:
            migrate.upgrade(ctx.db)
            world = make_world(ctx, budget_eur=budget_for(proposals), procedure_key=PROCEDURE_KEY,
                               procedure_version=BENCH_VERSION)
            procedure = ctx.procedures.get(PROCEDURE_KEY, BENCH_VERSION)
            yield Bench(ctx=ctx, world=world, procedure=procedure, steps=happy_path(procedure, world))
        finally:
            ctx.close()


# --- the measured work ------------------------------------------------------------------------------------

def create_drafts(bench: Bench, count: int) -> list[int]:
    applicant = bench.world.actor(Role.APPLICANT)
    data = {"round_id": bench.world.round_id, "title": "MINT-Netzwerk Leipzig",
            "summary": "Vernetzung schulischer und außerschulischer MINT-Bildung",
            "partners": ["HTWK Leipzig"], "funding_plan": complete_plan()}
    return [bench.ctx.proposals.create_draft(applicant, data, now=WHILE_OPEN).id for _ in range(count)]


def drive_one(bench: Bench, proposal_id: int) -> float:
    """Drive one proposal along the path; returns the seconds spent in `fire` alone.

    What a step's rules wait for (the scorers' scores, the applicant's answer to a condition, the manager's
    judgement) is done before the step by `satisfy`, outside the measured time: those are writes of their own,
    not transitions.
    """
    service, version, spent = bench.ctx.proposals, 1, 0.0
    for step in bench.steps:
        version = satisfy(bench.ctx, bench.world, proposal_id, bench.procedure.transitions[step.transition],
                          version, now=step.now)
        started = perf_counter()
        try:
            version = service.fire(step.actor, proposal_id, step.transition, expected_version=version,
                                   now=step.now, reason=REASON, inputs=step.inputs).version
        except DomainError as exc:
            raise BenchError(f"proposal {proposal_id}, '{step.transition}' refused: {exc}") from exc
        spent += perf_counter() - started
    return spent


def drive_all(bench: Bench, proposal_ids: Sequence[int]) -> tuple[float, float | None]:
    """Seconds spent in transitions, and the RSS after the first tenth of the proposals."""
    tenth = max(1, len(proposal_ids) // 10)
    rss_after_tenth = None
    spent = 0.0
    for done, proposal_id in enumerate(proposal_ids, start=1):
        spent += drive_one(bench, proposal_id)
        if done == tenth:
            rss_after_tenth = current_rss_mib()
    return spent, rss_after_tenth


def timed_drafts(bench: Bench, count: int) -> tuple[list[int], float]:
    started = perf_counter()
    ids = create_drafts(bench, count)
    return ids, perf_counter() - started


# --- checking ---------------------------------------------------------------------------------------------

VERIFY_SQL = sa.text("""
    SELECT
      (SELECT count(*) FROM proposals) AS proposals,
      (SELECT count(*) FROM proposals WHERE state <> :final) AS not_final,
      (SELECT count(*) FROM audit_events WHERE kind = 'transition') AS audit_rows,
      (SELECT count(*) FROM proposals p
         JOIN audit_events a ON a.proposal_id = p.id
          AND a.seq = (SELECT max(seq) FROM audit_events WHERE proposal_id = p.id)
        WHERE a.to_state = p.state) AS last_audit_matches
""")


def verify(bench: Bench, proposals: int) -> list[str]:
    expected_audit = proposals * len(bench.steps)
    with bench.ctx.db.read() as session:
        row = session.execute(VERIFY_SQL, {"final": FINAL_STATE}).one()
    problems = []
    if row.proposals != proposals:
        problems.append(f"{row.proposals} proposals in the database, expected {proposals}")
    if row.not_final:
        problems.append(f"{row.not_final} proposals are not in state '{FINAL_STATE}'")
    if row.audit_rows != expected_audit:
        problems.append(f"{row.audit_rows} transition audit rows, expected {expected_audit} "
                        f"({proposals} x {len(bench.steps)} transitions)")
    if row.last_audit_matches != row.proposals:
        problems.append(f"{row.proposals - row.last_audit_matches} proposals whose last audit row's to_state "
                        "differs from their state")
    return problems


# --- runs -------------------------------------------------------------------------------------------------

@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    with profiler:
        yield
    profiler.dump_stats(path)


def main_run(proposals: int, database: Path | None, profile: Path | None) -> Figures:
    with bench_on(database, proposals) as bench:
        progress(f"{bench.procedure.ref}: creating {proposals} drafts")
        ids, drafts_seconds = timed_drafts(bench, proposals)
        progress(f"driving {proposals} proposals through {len(bench.steps)} transitions each")
        with profiled(profile):
            transitions_seconds, rss_after_tenth = drive_all(bench, ids)
        rss_end = current_rss_mib()
        peak = peak_rss_mib()
        problems = verify(bench, proposals)
    transitions = proposals * len(bench.steps)
    return Figures(
        procedure=bench.procedure.ref, proposals=proposals, transitions_per_proposal=len(bench.steps),
        transitions=transitions, drafts_seconds=drafts_seconds, drafts_per_second=proposals / drafts_seconds,
        transitions_seconds=transitions_seconds, transitions_per_second=transitions / transitions_seconds,
        peak_rss_mib=peak, rss_after_first_tenth_mib=rss_after_tenth, rss_end_mib=rss_end,
        rss_growth_mib=None if rss_end is None or rss_after_tenth is None else rss_end - rss_after_tenth,
        verified=not problems, problems=tuple(problems),
    )


def tracemalloc_run(proposals: int) -> float:
    """Peak traced allocation (MiB) while driving `proposals` drafts, on a database of their own."""
    with bench_on(None, proposals) as bench:
        ids = create_drafts(bench, proposals)
        tracemalloc.start()
        try:
            drive_all(bench, ids)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        problems = verify(bench, proposals)
    if problems:
        raise BenchError("tracemalloc run: " + "; ".join(problems))
    return peak / MIB


# --- reporting --------------------------------------------------------------------------------------------

def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} MiB"


def report(figures: Figures) -> str:
    rows = [
        ("procedure", f"{figures.procedure}, {figures.transitions_per_proposal} transitions per proposal"),
        ("proposals", f"{figures.proposals:,}"),
        ("drafts", f"{figures.drafts_seconds:,.2f} s  ->  {figures.drafts_per_second:,.0f} drafts/s"),
        ("transitions (fire)", f"{figures.transitions:,} in {figures.transitions_seconds:,.2f} s  ->  "
                               f"{figures.transitions_per_second:,.0f} transitions/s"),
        ("peak RSS (ru_maxrss)", mib(figures.peak_rss_mib)),
        ("RSS after first 10 %", mib(figures.rss_after_first_tenth_mib)),
        ("RSS at end", mib(figures.rss_end_mib)),
        ("RSS growth", mib(figures.rss_growth_mib)),
    ]
    if figures.tracemalloc_proposals is not None:
        rows.append(("tracemalloc peak", f"{mib(figures.tracemalloc_peak_mib)} (transition phase of a "
                                         f"separate run of {figures.tracemalloc_proposals:,} proposals)"))
    else:
        rows.append(("tracemalloc peak", "not measured (--no-tracemalloc)"))
    rows.append(("verified", "yes" if figures.verified else "NO"))
    return table(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description="Drive N proposals through the whole happy path; report throughput and memory.")
    parser.add_argument("--proposals", type=int, default=10_000, help="proposals to drive (default 10000)")
    parser.add_argument("--database", type=Path,
                        help="fresh SQLite file to create and keep (default: a temp dir, removed)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help=f"skip the tracemalloc run of min(N, {TRACEMALLOC_PROPOSALS}) proposals")
    parser.add_argument("--profile", type=Path, help="cProfile the transition phase into this stats file")
    args = parser.parse_args(argv)
    if args.proposals < 1:
        parser.error("--proposals must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        figures = main_run(args.proposals, args.database, args.profile)
        if not args.no_tracemalloc and figures.verified:
            figures.tracemalloc_proposals = min(args.proposals, TRACEMALLOC_PROPOSALS)
            progress(f"separate tracemalloc run of {figures.tracemalloc_proposals} proposals")
            figures.tracemalloc_peak_mib = tracemalloc_run(figures.tracemalloc_proposals)
    except BenchError as exc:
        print(f"bench.engine failed: {exc}", file=sys.stderr)
        return 1
    print(report(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n", encoding="utf-8")
    if figures.problems:
        print("bench.engine: verification failed:\n  " + "\n  ".join(figures.problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
