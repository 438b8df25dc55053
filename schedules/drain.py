"""Drain the outbox: claim due messages, hand each to its channel, record what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from schedules.channels import Channel, DeliveryFailed
from schedules.metrics import DELIVERIES
from workflow.notify.outbox import OutboxService

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class Drainer:
    def __init__(self, outbox: OutboxService, channels: Mapping[str, Channel], *, batch_size: int,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.outbox = outbox
        self.channels = channels
        self.batch_size = batch_size
        # Settling uses the real time of each delivery when there is a clock; a fixed `now` otherwise (tests).
        self.clock = clock

    def drain(self, now: datetime) -> DrainReport:
        report = DrainReport()
        while batch := self.outbox.claim(now, limit=self.batch_size):
            for delivery in batch:
                moment = self.clock() if self.clock else now
                channel = self.channels.get(delivery.channel)
                try:
                    if channel is None:
                        raise DeliveryFailed(f"channel '{delivery.channel}' is switched off in this installation")
                    channel.send(delivery)
                except Exception as exc:  # whatever a channel raises, this one message failed, not the whole run
                    reason = str(exc) if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {exc}"
                    outcome = self.outbox.undelivered(delivery, reason, moment)
                    log.warning("delivery %s (%s) failed: %s; now %s", delivery.id, delivery.channel, exc, outcome)
                    DELIVERIES.labels(channel=delivery.channel, outcome="failed" if outcome == "failed"
                                      else "retrying").inc()
                    if outcome == "failed":
                        report.failed += 1
                    else:
                        report.retrying += 1
                else:
                    self.outbox.delivered(delivery, moment)
                    DELIVERIES.labels(channel=delivery.channel, outcome="sent").inc()
                    report.sent += 1
        return report
