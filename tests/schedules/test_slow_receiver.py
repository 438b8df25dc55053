"""A slow webhook receiver holds nobody up (issue 22, finding 6): delivery.webhook_timeout_seconds is the deadline of
the whole call, however the receiver spreads its bytes, and mail goes out beside webhooks, not behind them.

The receiver here sends a status line and then one header line every 0.3 s for 10 s: a timeout per socket read
(1 s) never fires, so only a deadline for the whole call ends it. Elapsed times are bounded generously.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from schedules.drain import DrainReport
from schedules.ticks import Ticks
from tests.schedules.conftest import (
    DELIVERY,
    HEARING_REMINDED,
    PUBLIC_URL,
    REVISION_REMINDED,
    in_revision,
    make_crew,
    outbox,
)
from tests.schedules.loopback import SmtpServer
from tests.schedules.scripted_http import Trickle
from workflow.context import Context, build_context
from workflow.people.actors import SYSTEM
from workflow.settings import Settings

DEADLINE = 1.0


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    with Trickle(every=0.3, lasting=10) as server:
        yield server


@pytest.fixture
def hasty_ctx(database_url: str, smtp: SmtpServer) -> Iterator[Context]:
    context = build_context(Settings(
        database_url=database_url, public_url=PUBLIC_URL,
        smtp={"host": "127.0.0.1", "port": smtp.port, "timeout_seconds": 5},
        delivery={**DELIVERY, "webhook_timeout_seconds": DEADLINE}))
    yield context
    context.close()


def test_a_trickling_receiver_is_cut_off_at_the_deadline_and_mail_does_not_wait_for_it(
        hasty_ctx: Context, smtp: SmtpServer, trickle: Trickle) -> None:
    crew = make_crew(hasty_ctx)
    hasty_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, trickle.url)
    in_revision(hasty_ctx, crew.world, title="MINT-Netzwerk")
    # Two firings: in the outbox the hearing's mails come after the revision's webhook call.
    hasty_ctx.sweeper.sweep(REVISION_REMINDED)
    hasty_ctx.sweeper.sweep(HEARING_REMINDED)
    assert [r.channel for r in outbox(hasty_ctx) if r.channel != "inapp"] == ["email", "email", "webhook"] * 2

    reports: list[DrainReport] = []
    started = time.monotonic()
    draining = threading.Thread(target=lambda: reports.append(Ticks(hasty_ctx, real_time=False).drain(
        HEARING_REMINDED)), daemon=True)
    draining.start()
    mails = smtp.wait_for(lambda mails: len(mails) == 4, seconds=5)
    hooks_meanwhile = [r.status for r in outbox(hasty_ctx, channel="webhook")]
    draining.join(timeout=30)
    elapsed = time.monotonic() - started

    # All four mails were out while both webhook calls were still under way (neither had been settled).
    assert len(mails) == 4 and hooks_meanwhile == ["sending", "sending"], hooks_meanwhile
    assert not draining.is_alive() and elapsed < 3 * DEADLINE, f"the drain took {elapsed:.1f} s"
    assert trickle.requests == 2 and trickle.finished == 0
    [report] = reports
    assert (report.sent, report.retrying, report.failed) == (4, 2, 0)
    hooks = outbox(hasty_ctx, channel="webhook")
    assert all(r.status == "pending" and "no answer within the 1 s deadline" in r.last_error for r in hooks)
