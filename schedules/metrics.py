"""What the clock did, for /metrics: how long each tick took and how deliveries ended."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TICK_SECONDS = Histogram("foerderweg_tick_duration_seconds", "Duration of one tick of the clock, by tick",
                         ["tick"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
DELIVERIES = Counter("foerderweg_deliveries", "Delivery attempts of outbox messages, by channel and outcome "
                     "(sent, retrying, failed)", ["channel", "outcome"])
