"""The mail server goes away, twice, while reminders and escalations fall due; two drainers keep draining.

Time is a parameter: two sweepers and two drainers (each with its own connection pool, as two instances) run at
once at each moment of the run, and the loopback SMTP server is stopped (nothing listens on its port) and started
again between moments:

    13.06. 09:00   revision reminders, mail server up         -> delivered at once
    14.06. 09:00   hearing reminders, mail server down        -> refused; tried again after 60 s (down), 180 s (up)
    16.06. 00:00   revision escalations, mail server down     -> refused three times, parked as failed
    17.06.         mail server up, the operator retries what was parked -> delivered

In the end every mail written has arrived exactly once (Message-IDs counted at the server), none twice, none
lost, and the drainers' reports add up to what happened.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest

from schedules.channels.email import message_id
from schedules.drain import DrainReport
from schedules.ticks import Ticks
from tests.reliability.conftest import figure
from tests.schedules.conftest import (
    HEARING_REMINDED,
    REVISION_OVERDUE,
    REVISION_REMINDED,
    Crew,
    duplicate_keys,
    in_revision,
    mail_settings,
    make_crew,
    outbox,
)
from tests.schedules.loopback import SmtpServer
from workflow.context import Context, build_context

PROPOSALS = 40
INSTANCES = 2
T = TypeVar("T")


@pytest.fixture
def instances(database_url: str, smtp: SmtpServer) -> Iterator[list[Context]]:
    """Two instances' contexts on the same database and mail server, with small batches so that they alternate."""
    contexts = [build_context(mail_settings(database_url, smtp.port, scheduler={"batch_size": 7}))
                for _ in range(INSTANCES)]
    yield contexts
    for context in contexts:
        context.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def together(contexts: list[Context], work: Callable[[Context], T]) -> list[T]:
    """Run `work` once per instance, all at the same time."""
    results: list[Any] = [None] * len(contexts)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(contexts), timeout=30)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(contexts[i])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contexts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


class Run:
    def __init__(self, contexts: list[Context]) -> None:
        self.contexts = contexts
        self.ticks = [Ticks(c, real_time=False) for c in contexts]
        self.total = DrainReport()

    def sweep(self, now: datetime) -> int:
        return sum(r.notifications for r in together(self.contexts, lambda c: c.sweeper.sweep(now)))

    def drain(self, now: datetime) -> tuple[int, int, int]:
        reports = together(self.contexts, lambda c: self.ticks[self.contexts.index(c)].drain(now))
        summed = (sum(r.sent for r in reports), sum(r.retrying for r in reports), sum(r.failed for r in reports))
        self.total.sent += summed[0]
        self.total.retrying += summed[1]
        self.total.failed += summed[2]
        return summed


@pytest.mark.slow
def test_mail_outages_delay_delivery_but_lose_and_double_nothing(ctx: Context, instances: list[Context],
                                                                   smtp: SmtpServer) -> None:
    crew: Crew = make_crew(ctx)
    for n in range(PROPOSALS):
        in_revision(ctx, crew.world, title=f"Projekt {n + 1} im Ausfalltest")
    run = Run(instances)
    minute = timedelta(seconds=60)
    applicants = 2 * PROPOSALS  # Anna and Ben have addresses; the factory world's people have none

    # Wave 1, mail server up.
    run.sweep(REVISION_REMINDED)
    assert run.drain(REVISION_REMINDED) == (applicants, 0, 0)

    # Wave 2 falls due while it is down: refused, tried again after 60 s (still down), after 180 s (up again).
    smtp.stop()
    run.sweep(HEARING_REMINDED)
    assert run.drain(HEARING_REMINDED) == (0, applicants, 0)
    assert run.drain(HEARING_REMINDED + minute / 2) == (0, 0, 0)  # not before its time
    assert run.drain(HEARING_REMINDED + minute) == (0, applicants, 0)
    smtp.start()
    assert run.drain(HEARING_REMINDED + 3 * minute - timedelta(seconds=1)) == (0, 0, 0)
    assert run.drain(HEARING_REMINDED + 3 * minute) == (applicants, 0, 0)

    # Wave 3, the escalations to the managing member, while it is down for longer than three attempts: parked.
    smtp.stop()
    run.sweep(REVISION_OVERDUE)
    assert run.drain(REVISION_OVERDUE) == (0, PROPOSALS, 0)
    assert run.drain(REVISION_OVERDUE + minute) == (0, PROPOSALS, 0)
    assert run.drain(REVISION_OVERDUE + 3 * minute) == (0, 0, PROPOSALS)
    smtp.start()
    next_day = REVISION_OVERDUE + timedelta(days=1)
    assert run.drain(next_day) == (0, 0, 0)  # parked messages wait for the operator
    parked = ctx.outbox.messages(crew.admin, status="failed")
    assert len(parked) == PROPOSALS and {m.channel for m in parked} == {"email"}
    for message in parked:
        ctx.outbox.retry(crew.admin, message.id, next_day)
    assert run.drain(next_day) == (PROPOSALS, 0, 0)

    # Nothing is left, and nothing more is written or sent later.
    assert run.drain(next_day + timedelta(days=7)) == (0, 0, 0)
    assert run.sweep(next_day + timedelta(minutes=5)) == 0

    rows = outbox(ctx, channel="email")
    received = smtp.message_ids()
    written = {message_id(r.key) for r in rows}
    duplicates = sum(n - 1 for n in received.values())
    lost = len(written - set(received))
    figure("outage", f"{INSTANCES} drainers, {len(rows)} mails written in 3 waves, SMTP down for 2 of them, "
                     f"{run.total.retrying} refused attempts retried, {run.total.failed} parked and retried by the "
                     f"operator, {sum(received.values())} deliveries, {duplicates} duplicates, {lost} lost")

    expected = 2 * applicants + PROPOSALS
    assert len(rows) == expected and all(r.status == "sent" for r in rows)
    assert duplicates == 0 and lost == 0 and set(received) == written and sum(received.values()) == expected
    assert duplicate_keys(ctx) == []
    assert run.total.sent == expected and run.total.retrying == 2 * applicants + 2 * PROPOSALS
    # Attempts as the waves had them: once; three times (two refused); once after the operator's fresh start.
    assert Counter((r.topic, r.kind, r.attempts) for r in rows) == {
        ("revision", "reminder", 1): applicants, ("hearing", "reminder", 3): applicants,
        ("revision", "escalation", 1): PROPOSALS}
    addressed = Counter(a for m in smtp.mails for a in m.recipients)
    assert addressed == {crew.anna.email: 2 * PROPOSALS, crew.ben.email: 2 * PROPOSALS, crew.maria.email: PROPOSALS}
