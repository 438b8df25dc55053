"""What is done on time. Each tick takes `now`, so `foerderweg sweep --now ...` and tests run them at any moment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from schedules.channels import Channel
from schedules.channels.email import SmtpChannel
from schedules.channels.webhook import WebhookChannel
from schedules.drain import Drainer, DrainReport
from schedules.metrics import TICK_SECONDS
from workflow.context import Context
from workflow.deadlines.sweep import SweepReport
from workflow.timeutil import utcnow

log = logging.getLogger("foerderweg.ticks")


def channels(ctx: Context) -> dict[str, Channel]:
    timeout = ctx.settings.delivery.webhook_timeout_seconds
    found: dict[str, Channel] = {"webhook": WebhookChannel(timeout_seconds=timeout)}
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
        self.drainer = Drainer(ctx.outbox, channels(ctx), batch_size=ctx.settings.scheduler.batch_size,
                               clock=utcnow if real_time else None)

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

    def once(self, now: datetime) -> TickReport:
        """Everything, in the order that lets one run finish the job: close rounds, sweep, then deliver."""
        return TickReport(closed=self.close_rounds(now), swept=self.sweep(now), drained=self.drain(now))
