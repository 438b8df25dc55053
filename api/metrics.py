"""GET /metrics in the Prometheus text format: requests, steps, ticks and deliveries counted by the processes,
and the outbox backlog read from the database at scrape time (so any replica reports the whole installation's).

Under `foerderweg serve --workers N` (PROMETHEUS_MULTIPROC_DIR set), the counters of every worker and of the
clock process are summed from their shared files; otherwise this process's own registry is read.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.errors import problem
from workflow.context import Context

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("foerderweg_http_requests", "HTTP requests answered, by method, route and status",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram("foerderweg_http_request_duration_seconds", "Time to answer an HTTP request, by route",
                            ["method", "route"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

router = APIRouter(include_in_schema=False)


class OutboxBacklog(Collector):
    """Undelivered messages by status and channel, and the parked failures, asked of the database per scrape."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterable[Metric]:
        counts = self.ctx.outbox.depth()
        depth = GaugeMetricFamily("foerderweg_outbox_depth", "Messages waiting to be delivered (pending or being "
                                  "sent), by channel", labels=["channel", "status"])
        failed = GaugeMetricFamily("foerderweg_outbox_failed", "Messages parked as failed after their last "
                                   "attempt, waiting for an operator", labels=["channel"])
        for (status, channel), count in sorted(counts.items()):
            if status == "failed":
                failed.add_metric([channel], count)
            else:
                depth.add_metric([channel, status], count)
        yield depth
        yield failed


def counters_registry() -> CollectorRegistry:
    """The counters of this process, or of all processes sharing PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get(MULTIPROC_ENV):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)
        return shared
    return REGISTRY


def exposition(ctx: Context) -> bytes:
    counted = counters_registry()
    backlog = CollectorRegistry()
    backlog.register(OutboxBacklog(ctx))
    return generate_latest(counted) + generate_latest(backlog)


FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


def served_locally(public_url: str) -> bool:
    """An installation whose people reach it on this machine only (trying it out, developing): its public_url is
    on loopback. Any other is reached through a proxy, which may pass requests on without a forwarding header."""
    host = urlsplit(public_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def from_this_machine(request: Request) -> bool:
    """A scrape from a loopback address that no proxy passed on: the only one /metrics answers without a token, so
    that a service bound to a public address, or published through a proxy, shows no figures to the internet."""
    client = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(client).is_loopback
    except ValueError:
        loopback = False
    return loopback and not any(name in request.headers for name in FORWARDED)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    ctx: Context = request.app.state.ctx
    token = ctx.settings.metrics_token
    if token is not None:
        offered = request.headers.get("authorization", "")
        if not secrets.compare_digest(offered.encode(), f"Bearer {token.get_secret_value()}".encode()):
            return problem(401, "Unauthenticated", "/metrics needs 'Authorization: Bearer <metrics_token>'")
    elif not (served_locally(ctx.settings.public_url) and from_this_machine(request)):
        return problem(403, "Forbidden", "/metrics without FOERDERWEG_METRICS_TOKEN answers only an installation "
                                         "on this machine (public_url on loopback), asked from loopback and not "
                                         "through a proxy: set the token to scrape it")
    try:
        body = exposition(ctx)
    except Exception:  # the database away for a moment: the scrape fails visibly, the service does not
        return problem(503, "Metrics unavailable", "the database did not answer; try the next scrape")
    return Response(body, media_type=CONTENT_TYPE_LATEST)
