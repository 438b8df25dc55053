"""`foerderweg sweep` and `foerderweg scheduler`: the clock by hand, and the clock alone."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

import typer
from prometheus_client import start_http_server

from api.metrics import counters_registry
from cli.logs import configure
from cli.output import console, fail
from schedules import clock
from schedules.ticks import Ticks
from workflow.context import build_context
from workflow.settings import load_settings
from workflow.timeutil import DEFAULT_ZONE, show, utcnow

log = logging.getLogger("foerderweg.scheduler")


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


def scheduler(
    metrics_port: int = typer.Option(None, min=1, max=65535,
                                     help="serve this process's counters (ticks, deliveries) for Prometheus on "
                                          "127.0.0.1:PORT/metrics"),
) -> None:
    """Run the clock alone, without the HTTP service. SIGTERM or Ctrl-C lets a running tick finish, then stops."""
    settings = load_settings()
    configure(settings.log_level, settings.log_format)
    ctx = build_context(settings)
    ctx.publish_procedures()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if metrics_port is not None:
        start_http_server(metrics_port, addr="127.0.0.1", registry=counters_registry())
    ticking = clock.background(ctx)
    ticking.start()
    log.info("scheduler started: sweeping deadlines, closing rounds, delivering the outbox")
    try:
        stop.wait()
        log.info("scheduler stopping: letting a running tick finish")
        ticking.shutdown(wait=True)
        log.info("scheduler stopped")
    finally:
        ctx.close()
