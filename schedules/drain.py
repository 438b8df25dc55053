"""Drain the outbox: claim due messages, hand each to its channel, record what happened.

Each channel sends from threads of its own, so that a slow one (a webhook receiver taking its whole deadline)
holds up none of the others: while it waits, the mail of the same batch goes out. A channel has one sender unless
`concurrency` gives it more (webhooks: delivery.webhook_concurrency, each receiver being someone else's server).
The next batch is claimed when the whole batch is settled. A batch is never larger than what its senders settle
within half the claim's lease even if every message takes its channel's whole deadline (`deadlines`): otherwise
another instance could take over messages still waiting here and send them a second time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schedules.channels import Channel, DeliveryFailed
from schedules.metrics import DELIVERIES
from workflow.notify.outbox import Delivery, OutboxService

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class Drainer:
    def __init__(self, outbox: OutboxService, channels: Mapping[str, Channel], *, batch_size: int,
                 clock: Callable[[], datetime] | None = None, concurrency: Mapping[str, int] | None = None,
                 deadlines: Mapping[str, float] | None = None) -> None:
        self.outbox = outbox
        self.channels = channels
        # Settling uses the real time of each delivery when there is a clock; a fixed `now` otherwise (tests).
        self.clock = clock
        self.concurrency = dict(concurrency or {})
        self.batch_size = settled_in_time(batch_size, outbox.lease, self.concurrency, deadlines or {})

    def drain(self, now: datetime) -> DrainReport:
        report = DrainReport()
        while batch := self.outbox.claim(now, limit=self.batch_size):
            queues: dict[str, list[Delivery]] = {}
            for delivery in batch:
                queues.setdefault(delivery.channel, []).append(delivery)
            run = _Run(now, report)
            senders = [threading.Thread(target=self._send_all, args=(waiting, run), name=f"drain-{channel}-{n}",
                                        daemon=True)
                       for channel, waiting in queues.items()
                       for n in range(min(max(self.concurrency.get(channel, 1), 1), len(waiting)))]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            if run.failures:
                raise run.failures[0]  # the outbox itself failed (not a delivery): as if sent in this thread
        return report

    def _send_all(self, waiting: list[Delivery], run: _Run) -> None:
        """One sender of a channel: take the channel's next waiting message until none is left."""
        try:
            while True:
                with run.lock:
                    if not waiting:
                        return
                    delivery = waiting.pop(0)
                self._send(delivery, run)
        except BaseException as exc:
            with run.lock:
                run.failures.append(exc)

    def _send(self, delivery: Delivery, run: _Run) -> None:
        moment = self.clock() if self.clock else run.now
        channel = self.channels.get(delivery.channel)
        try:
            if channel is None:
                raise DeliveryFailed(f"channel '{delivery.channel}' is switched off in this installation")
            channel.send(delivery)
        except Exception as exc:  # whatever a channel raises, this one message failed, not the whole run
            reason = str(exc) if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {exc}"
            outcome = self.outbox.undelivered(delivery, reason, moment)
            log.warning("delivery %s (%s) failed: %s; now %s", delivery.id, delivery.channel, reason, outcome)
            DELIVERIES.labels(channel=delivery.channel, outcome="failed" if outcome == "failed"
                              else "retrying").inc()
            with run.lock:
                if outcome == "failed":
                    run.report.failed += 1
                else:
                    run.report.retrying += 1
        else:
            self.outbox.delivered(delivery, moment)
            DELIVERIES.labels(channel=delivery.channel, outcome="sent").inc()
            with run.lock:
                run.report.sent += 1


def settled_in_time(batch_size: int, lease: timedelta, concurrency: Mapping[str, int],
                    deadlines: Mapping[str, float]) -> int:
    """The largest batch whose messages of any one channel, each taking that channel's whole deadline (seconds),
    its senders settle within half the lease; at least one, at most `batch_size`."""
    fitting = [int(lease.total_seconds() / 2 // seconds) * max(concurrency.get(channel, 1), 1)
               for channel, seconds in deadlines.items() if seconds > 0]
    return max(1, min([batch_size, *fitting]))


@dataclass
class _Run:
    """What the senders of one batch share."""

    now: datetime
    report: DrainReport
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[BaseException] = field(default_factory=list)
