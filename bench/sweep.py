"""How long a sweep takes to find and handle the due deadlines among very many that are not due.

    python -m bench.sweep [--due N] [--rows N ...] [--database-dir DIR] [--json OUT]

For each total (default 100,000 and 1,000,000 deadline rows) a fresh SQLite database gets N proposals with a
due revision reminder (default 10,000) and the rest of the rows open but due later, then one sweep runs at the
reminders' moment. Every due row becomes an in-app notification for the proposal's applicant, written in the
claimed batch's transaction, as in production. The claim query walks the (status, next_fire_at) index, so the time
should follow the due rows and hardly the total: the table shows both, plus the claim alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa

from bench._common import table
from workflow.context import Context, build_context
from workflow.deadlines.schedule import firing
from workflow.notify import store
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.proposals import store as repo
from workflow.settings import Settings
from workflow.timeutil import end_of_day, local

PROCEDURE = ("saxony-regional", 1)
DUE_DAY = date(2026, 6, 15)
CHUNK = 50_000


@dataclass
class Run:
    total_rows: int
    due_rows: int
    sweep_seconds: float
    claim_seconds: float
    notifications: int

    @property
    def per_due_ms(self) -> float:
        return self.sweep_seconds / self.due_rows * 1000 if self.due_rows else 0.0


def _fill(url: str, *, total: int, due: int) -> tuple[Context, datetime]:
    ctx = build_context(Settings(database_url=url))
    migrate.upgrade(ctx.db)
    org = ctx.admin.create_organisation(SYSTEM, "Zukunftsakademie Leipzig e.V.")
    alliance = ctx.admin.create_alliance(SYSTEM, "Fachkräfteallianz Leipzig", now=local(date(2026, 4, 1)))
    round_ = ctx.admin.create_round(SYSTEM, alliance.id or 0, "Bench", opens_at=local(date(2026, 4, 1)),
                                    closes_at=local(date(2026, 7, 31)), now=local(date(2026, 4, 1)))
    ctx.admin.create_user(SYSTEM, "Antragstellerin", Role.APPLICANT, organisation_id=org.id)
    definition = ctx.procedures.get(*PROCEDURE).deadlines["revision"]
    due_at = end_of_day(DUE_DAY)
    first = firing(definition, due_at, 0)
    assert first is not None
    created = local(date(2026, 5, 1))
    with ctx.db.write() as session:
        for start in range(0, due, CHUNK):
            session.execute(sa.insert(repo.PROPOSALS), [{
                "round_id": round_.id, "alliance_id": alliance.id, "organisation_id": org.id,
                "title": f"Antrag {i}", "summary": "", "target_group": "", "goals": "", "partners": [],
                "state": "revision_requested", "version": 1, "procedure_key": PROCEDURE[0],
                "procedure_version": PROCEDURE[1], "created_at": created, "updated_at": created,
                "reached_alliance_at": created, "binds_budget": False,
            } for i in range(start, min(start + CHUNK, due))])
        ids = [int(i) for i in session.execute(sa.select(repo.PROPOSALS.c.id).order_by(repo.PROPOSALS.c.id)).scalars()]
        later = first.at + timedelta(days=365)
        for start in range(0, total, CHUNK):
            session.execute(sa.insert(repo.DEADLINES), [{
                "proposal_id": ids[i % len(ids)], "kind": "revision", "procedure_key": PROCEDURE[0],
                "procedure_version": PROCEDURE[1], "state": "revision_requested", "due_at": due_at,
                "status": "open", "stage": 0, "next_fire_at": first.at if i < due else later, "created_at": created,
            } for i in range(start, min(start + CHUNK, total))])
    return ctx, first.at


class _GiveBack(Exception):
    """Ends the probe's write without keeping its claim."""


def measure(folder: Path, *, total: int, due: int) -> Run:
    url = f"sqlite:///{folder / f'sweep-{total}-{due}.db'}"
    ctx, moment = _fill(url, total=total, due=due)
    try:
        # The claim alone (then given back), to show what finding the due rows costs among all rows.
        started = perf_counter()
        claimed: list[int] = []
        with suppress(_GiveBack), ctx.db.write() as session:
            claimed = store.claim_due_deadlines(session, moment, limit=200, token="probe",
                                                lease=timedelta(minutes=5))
            raise _GiveBack  # a write rolls back when its block raises
        claim = perf_counter() - started
        assert len(claimed) == min(200, due)
        started = perf_counter()
        report = ctx.sweeper.sweep(moment)
        elapsed = perf_counter() - started
        assert report.deadlines == due, report
        return Run(total_rows=total, due_rows=due, sweep_seconds=elapsed, claim_seconds=claim,
                   notifications=report.notifications)
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.database_dir or Path(scratch)
        for total in args.rows:
            for due in sorted({args.due // 10, args.due}):
                print(f"  {due:,} due among {total:,} rows ...", file=sys.stderr, flush=True)
                runs.append(measure(folder, total=total, due=due))
    print("Sweep (SQLite, a claimed batch per transaction, in-app notification each):")
    print(table([(f"{r.due_rows:>7,} due among {r.total_rows:>9,} rows",
                  f"sweep {r.sweep_seconds:6.2f} s ({r.per_due_ms:.3f} ms per due row), "
                  f"first claim {r.claim_seconds * 1000:6.1f} ms, {r.notifications:,} notifications")
                 for r in runs]))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"per_due_ms": r.per_due_ms} for r in runs], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
