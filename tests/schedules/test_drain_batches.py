"""A drain claims no more than its senders settle within half the claim's lease, even if every message takes its
channel's whole deadline: a larger batch would outlive its lease, and another instance would send its last
messages a second time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schedules.drain import settled_in_time
from schedules.ticks import Ticks
from tests.schedules.conftest import mail_settings
from workflow.context import build_context

LEASE = timedelta(seconds=300)


@pytest.mark.parametrize(("deadlines", "concurrency", "expected"), [
    ({"webhook": 10}, {"webhook": 4}, 60),  # 150 s / 10 s, four senders
    ({"webhook": 10, "email": 30}, {"webhook": 4}, 5),  # one mail sender, 30 s each at worst
    ({"webhook": 10, "email": 0}, {"webhook": 4}, 60),  # e-mail off
    ({"webhook": 1}, {"webhook": 4}, 200),  # never more than the configured batch
    ({"webhook": 400}, {"webhook": 1}, 1),  # never less than one
], ids=["webhooks", "with mail", "mail off", "fast", "slow"])
def test_a_batch_fits_in_half_the_lease(deadlines: dict[str, float], concurrency: dict[str, int],
                                        expected: int) -> None:
    assert settled_in_time(200, LEASE, concurrency, deadlines) == expected


def test_the_clock_sizes_its_batches_from_the_settings(database_url: str) -> None:
    settings = mail_settings(database_url, 2525, scheduler={"lease_seconds": 120, "batch_size": 200})
    settings.delivery.webhook_timeout_seconds, settings.delivery.webhook_concurrency = 3, 2
    ctx = build_context(settings)
    try:
        # mail: 60 s / (3 × 5 s) = 4 per batch; webhooks: 60 s / 3 s × 2 = 40
        assert Ticks(ctx, real_time=False).drainer.batch_size == 4
    finally:
        ctx.close()
