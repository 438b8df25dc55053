"""`foerderweg sweep` and `foerderweg scheduler`: the clock by hand, and the clock alone."""

from __future__ import annotations

import logging
from datetime import datetime

import typer

from cli.output import console, fail
from schedules import clock
from schedules.ticks import Ticks
from workflow.context import build_context
from workflow.timeutil import DEFAULT_ZONE, show, utcnow


def _moment(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--now: '{text}' is not an ISO 8601 time (e.g. 2016-05-31T09:00 or 2016-05-31T07:00:00+00:00)")
    # Without an offset, a time is read as people in Saxony write it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=DEFAULT_ZONE)


def sweep(
    now: str = typer.Option(None, "--now", help="sweep as if it were this time (ISO 8601; default: now; "
                                                 "without an offset: Europe/Berlin)"),
    deliver: bool = typer.Option(True, "--deliver/--no-deliver", help="also send what is due in the outbox"),
) -> None:
    """Run one round of the clock and exit: close rounds, sweep due deadlines, deliver the outbox."""
    moment = _moment(now)
    ctx = build_context()
    try:
        ticks = Ticks(ctx, real_time=now is None)
        closed = ticks.close_rounds(moment)
        swept = ticks.sweep(moment)
        drained = ticks.drain(moment) if deliver else None
    finally:
        ctx.close()
    console.print(f"sweep at {show(moment)}")
    console.print(f"  rounds closed: {closed.steps} proposals moved on"
                  + (f", {len(closed.refused_steps)} refused" if closed.refused_steps else ""))
    console.print(f"  deadlines: {swept.deadlines} handled, {swept.notifications} notifications written, "
                  f"{swept.skipped} recorded as skipped, {swept.steps} automatic steps")
    for refused in closed.refused_steps + swept.refused_steps:
        console.print(f"  refused: {refused}", markup=False)
    if drained is not None:
        console.print(f"  outbox: {drained.sent} sent, {drained.retrying} to retry, {drained.failed} failed")


def scheduler() -> None:
    """Run the clock alone, without the HTTP service (stop with Ctrl-C or SIGTERM)."""
    ctx = build_context()
    logging.basicConfig(level=ctx.settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print("foerderweg scheduler: sweeping deadlines, closing rounds, delivering the outbox (Ctrl-C stops)")
    try:
        clock.blocking(ctx).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        ctx.close()
