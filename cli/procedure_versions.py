"""`foerderweg procedure versions|diff|migrate|migration`: versions of a procedure, what changed between two,
and moving running proposals from one to another."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.output import Language, console, fail
from workflow.context import Context, build_context
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.timeutil import show, utcnow
from workflow.versioning.catalog import version_rows
from workflow.versioning.diff import diff as diff_of
from workflow.versioning.migrations import MigrationStatus, ProposalMove
from workflow.versioning.plan import PlanRefused
from workflow.versioning.readable import readable

LANG = typer.Option(Language.de, "--lang", help="language of the text")
JSON = typer.Option(False, "--json", help="print JSON instead of text")
# Who the history names for a migration run from the command line: the operator at the machine.
OPERATOR = Actor(user_id=None, name="foerderweg procedure migrate", role=Role.ADMIN)


def versions(key: str) -> None:
    """Every version of a procedure: when it was published here, its rounds and its running proposals."""
    ctx = _context()
    try:
        table = Table("version", "title", "published", "rounds", "running", "finished", "file")
        for row in version_rows(ctx.db, ctx.procedures, key):
            table.add_row(str(row.version), escape(row.title), (row.published_at and show(row.published_at)) or "-",
                          str(row.rounds), str(row.running), str(row.finished), escape(row.source))
        console.print(table)
    finally:
        ctx.close()


def diff(key: str, from_version: int = typer.Argument(..., metavar="V1"),
         to_version: int = typer.Argument(..., metavar="V2"), as_json: bool = JSON, lang: Language = LANG) -> None:
    """What changed from V1 to V2: states and transitions added, removed, renamed; rules, roles, deadlines."""
    ctx = build_context()
    try:
        change = diff_of(ctx.procedures, key, from_version, to_version)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps(asdict(change), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(readable(change, lang.value)))


def migrate(
    plan_file: Path = typer.Option(..., "--plan", exists=True, dir_okay=False, readable=True,
                                   help="the migration plan (TOML; see docs/migrations/)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would happen to each running proposal; "
                                                          "change nothing"),
    as_json: bool = typer.Option(False, "--json", help="with --dry-run: print the list as JSON"),
    batch_size: int = typer.Option(None, "--batch-size", min=1, max=10_000,
                                   help="proposals read per batch (default: scheduler.batch_size)"),
) -> None:
    """Move the running proposals of one procedure version to another by a plan. Each proposal moves in one
    transaction with a `migrated` event in its history; run the same command again to resume an interrupted run."""
    ctx = _context()
    try:
        if batch_size is not None:
            ctx.migrations.batch_size = batch_size
        try:
            plan = ctx.migrations.check(OPERATOR, plan_file.read_bytes(), str(plan_file))
        except PlanRefused as exc:
            fail(f"migration plan {escape(str(plan_file))} refused:\n  "
                 + "\n  ".join(escape(f"{p.field}: {p.problem}") for p in exc.problems))
        if dry_run:
            _dry_run(ctx, plan, as_json)
            return
        status = ctx.migrations.start(OPERATOR, plan, utcnow())
        if status.status == "done":
            console.print(f"migration {status.id} ({escape(plan.id)}) is done already: {status.moved:,} moved, "
                          "nothing left to move", highlight=False)
            return
        verb = "resumed" if status.moved or status.status == "done" else "started"
        console.print(f"migration {status.id} ({escape(plan.id)}) {verb}: {plan.procedure_key} "
                      f"{plan.from_version} → {plan.to_version}, {status.remaining} proposals to move"
                      + (f" ({status.moved} moved before)" if status.moved else ""), highlight=False)
        began, moved_before = time.monotonic(), status.moved

        def progress(now: MigrationStatus) -> None:
            total = now.moved + now.remaining
            rate = (now.moved - moved_before) / max(time.monotonic() - began, 1e-6)
            console.print(f"  {now.moved:,} of {total:,} moved ({100 * now.moved // max(total, 1)} %), "
                          f"{rate:,.0f}/s", highlight=False)

        try:
            final = ctx.migrations.run(status.id, utcnow, progress=progress)
        except KeyboardInterrupt:
            fail(f"interrupted; the proposals moved so far stay moved. Run the same command again to resume "
                 f"(migration {status.id})")
        console.print(f"migration {final.id}: {final.status}, {final.moved:,} moved, {final.remaining:,} left",
                      highlight=False)
    finally:
        ctx.close()


def migration(migration_id: int, as_json: bool = JSON) -> None:
    """How far a migration has come (also one started over the API and run by the scheduler)."""
    ctx = _context()
    try:
        status = ctx.migrations.status(migration_id, utcnow())
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps(asdict(status), default=str, indent=2))
        return
    total = status.moved + status.remaining
    console.print(f"migration {status.id} ({escape(status.plan_id)}): {status.procedure_key} {status.from_version} → "
                  f"{status.to_version}, {status.status}{' (running now)' if status.running_now else ''}\n"
                  f"  {status.moved:,} of {total:,} moved, started {show(status.started_at)} by "
                  f"{escape(status.started_by)}"
                  + (f", finished {show(status.finished_at)}" if status.finished_at else "")
                  + (f"\n  last error: {escape(status.last_error)}" if status.last_error else ""), highlight=False)


def _context() -> Context:
    ctx = build_context()
    ctx.publish_procedures()
    return ctx


def _dry_run(ctx: Context, plan: Any, as_json: bool) -> None:
    summary = ctx.migrations.summary(plan)
    moves = ctx.migrations.preview(plan, utcnow())
    if as_json:
        # Streamed: the list of a large migration is never held in memory as a whole.
        typer.echo(json.dumps({"plan": plan.data, "states": [asdict(s) for s in summary]},
                              ensure_ascii=False)[:-1] + ', "proposals": [', nl=False)
        for index, move in enumerate(moves):
            typer.echo(("," if index else "") + json.dumps(_move_json(move), ensure_ascii=False), nl=False)
        typer.echo("]}")
        return
    console.print(f"dry run of migration plan {escape(plan.id)}: {plan.procedure_key} {plan.from_version} → "
                  f"{plan.to_version}; nothing is changed", highlight=False)
    table = Table(f"state (version {plan.from_version})", f"state (version {plan.to_version})", "because",
                  "deadlines", "running", "changes")
    for s in summary:
        table.add_row(s.source, s.target, s.because, s.deadlines, str(s.proposals), ", ".join(s.notes))
    console.print(table)
    count = 0
    for move in moves:
        count += 1
        typer.echo(f"  #{move.proposal_id} {move.title}: {move.from_state} → {move.to_state}"
                   + _deadline_text(move))
    console.print(f"{count:,} running proposals would move", highlight=False)


def _deadline_text(move: ProposalMove) -> str:
    d = move.deadlines
    parts = ([f"keeps {k.kind} (due {show(k.due_at)})" for k in d.kept]
             + [f"cancels {c.kind}" for c in d.cancelled]
             + [f"opens {c.kind} (due {show(c.due_at)})" for c in d.created]
             + [f"cannot open {name} (its date is given by a step)" for name in d.without_date])
    return f"; {', '.join(parts)}" if parts else ""


def _move_json(move: ProposalMove) -> dict[str, Any]:
    return {"proposal_id": move.proposal_id, "title": move.title, "from_state": move.from_state,
            "to_state": move.to_state, "deadlines": move.as_record()}
