"""What is done on time. Each tick takes `now`, so `foerderweg sweep --now ...` and tests run them at any moment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from schedules.channels import Channel
from schedules.channels.email import SmtpChannel
from schedules.channels.webhook import WebhookChannel
from schedules.drain import Drainer, DrainReport
from schedules.metrics import TICK_SECONDS
from workflow.context import Context
from workflow.deadlines.sweep import SweepReport
from workflow.timeutil import utcnow
from workflow.versioning.migrations import MigrationStatus

log = logging.getLogger("foerderweg.ticks")


def channels(ctx: Context) -> dict[str, Channel]:
    timeout = ctx.settings.delivery.webhook_timeout_seconds
    found: dict[str, Channel] = {"webhook": WebhookChannel(timeout_seconds=timeout, secrets=ctx.admin.secrets,
                                                           policy=ctx.admin.webhooks)}
    if ctx.settings.smtp.enabled:
        found["email"] = SmtpChannel(ctx.settings.smtp)
    return found


@dataclass
class TickReport:
    closed: SweepReport
    swept: SweepReport
    drained: DrainReport


class Ticks:
    def __init__(self, ctx: Context, *, real_time: bool = True) -> None:
        self.ctx = ctx
        self.real_time = real_time
        self.clock = utcnow
        settings = ctx.settings
        self.drainer = Drainer(ctx.outbox, channels(ctx), batch_size=settings.scheduler.batch_size,
                               clock=utcnow if real_time else None,
                               concurrency={"webhook": settings.delivery.webhook_concurrency},
                               # The longest one message may take: a webhook's deadline is for the whole call; the
                               # mail server's timeout is per step (connect, hand over, quit: three that may stall).
                               deadlines={"webhook": settings.delivery.webhook_timeout_seconds,
                                          "email": 3 * settings.smtp.timeout_seconds if settings.smtp.enabled
                                          else 0})

    def close_rounds(self, now: datetime) -> SweepReport:
        with TICK_SECONDS.labels(tick="close-rounds").time():
            report = self.ctx.sweeper.close_rounds(now)
        if report.steps or report.refused_steps:
            log.info("rounds closed: %d proposals moved on, %d refused", report.steps, len(report.refused_steps))
        return report

    def sweep(self, now: datetime) -> SweepReport:
        with TICK_SECONDS.labels(tick="sweep-deadlines").time():
            report = self.ctx.sweeper.sweep(now)
        if report.deadlines:
            log.info("swept %d deadlines: %d notifications, %d skipped, %d steps", report.deadlines,
                     report.notifications, report.skipped, report.steps)
        return report

    def drain(self, now: datetime) -> DrainReport:
        with TICK_SECONDS.labels(tick="drain-outbox").time():
            report = self.drainer.drain(now)
        if report.sent or report.retrying or report.failed:
            log.info("outbox: %d sent, %d to retry, %d failed", report.sent, report.retrying, report.failed)
        return report

    def migrate(self, now: datetime) -> list[MigrationStatus]:
        """Carry on with migrations started over the API (each proposal moves in its own transaction)."""
        budget = timedelta(seconds=self.ctx.settings.scheduler.migrate_budget_seconds)
        with TICK_SECONDS.labels(tick="migrate-proposals").time():
            runs = self.ctx.migrations.run_pending(self.clock if self.real_time else lambda: now, budget)
        for run in runs:
            log.info("migration %d (%s): %d moved, %d left, %s", run.id, run.plan_id, run.moved, run.remaining,
                     run.status)
        return runs

    def once(self, now: datetime) -> TickReport:
        """Everything, in the order that lets one run finish the job: close rounds, sweep, then deliver."""
        return TickReport(closed=self.close_rounds(now), swept=self.sweep(now), drained=self.drain(now))
