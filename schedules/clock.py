"""APScheduler runs the ticks: code-defined jobs with explicit ids in an in-memory store.

No job is ever pickled into the database: deadlines are rows, and each tick asks the database what is due.
`coalesce` folds runs missed while a tick was busy or the machine slept into one; `max_instances=1` keeps a
slow tick from overlapping itself; every job runs once right at start, so what fell due while the service was
down goes out at once (within the catch-up limit). Several clocks on one database are safe: work is claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from schedules.ticks import Ticks
from workflow.context import Context
from workflow.timeutil import utcnow

log = logging.getLogger("foerderweg.clock")

JOB_IDS = ("close-rounds", "sweep-deadlines", "drain-outbox", "migrate-proposals")


def _guarded(name: str, tick: Callable[[datetime], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            tick(utcnow())
        except Exception:
            # A tick that fails (database away for a moment) tries again at its next run; the clock keeps going.
            log.exception("tick %s failed", name)
    return run


def configure(scheduler: BaseScheduler, ctx: Context, ticks: Ticks | None = None) -> BaseScheduler:
    ticks = ticks or Ticks(ctx)
    every = ctx.settings.scheduler
    start = datetime.now(UTC)
    for job_id, tick, seconds in (
        ("close-rounds", ticks.close_rounds, every.close_rounds_every_seconds),
        ("sweep-deadlines", ticks.sweep, every.sweep_every_seconds),
        ("drain-outbox", ticks.drain, every.drain_every_seconds),
        ("migrate-proposals", ticks.migrate, every.migrate_every_seconds),
    ):
        scheduler.add_job(_guarded(job_id, tick), "interval", seconds=seconds, id=job_id, name=job_id,
                          next_run_time=start, replace_existing=True)
    return scheduler


def _options() -> dict[str, object]:
    return {
        "jobstores": {"default": MemoryJobStore()},
        "executors": {"default": ThreadPoolExecutor(max_workers=len(JOB_IDS))},
        "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        "timezone": UTC,
    }


def background(ctx: Context) -> BackgroundScheduler:
    """The clock inside `foerderweg serve`: runs beside the HTTP service in the same process."""
    scheduler = BackgroundScheduler(**_options())
    configure(scheduler, ctx)
    return scheduler
