"""/metrics reports the outbox backlog from the database and what the clock's deliveries came to."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from schedules.ticks import Ticks
from tests.api.test_metrics import scrape, value
from tests.schedules.conftest import REVISION_REMINDED, Crew, in_revision, outbox
from tests.schedules.loopback import SmtpServer
from workflow.context import Context


def test_the_backlog_is_what_waits_in_the_database_and_deliveries_are_counted_by_outcome(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer
) -> None:
    # An installation reached at an https public_url: the scraper brings the metrics token.
    mail_ctx.settings.metrics_token = SecretStr("scrape-secret-4711-leipzig")
    client = TestClient(create_app(mail_ctx), headers={"Authorization": "Bearer scrape-secret-4711-leipzig"})
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk Leipzig")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    mails = outbox(mail_ctx, channel="email")
    assert len(mails) == 2
    samples = scrape(client)
    assert value(samples, "foerderweg_outbox_depth", channel="email", status="pending") == 2
    assert value(samples, "foerderweg_outbox_failed", channel="email") == 0

    # The mail server is away: both attempts fail and wait for their retry.
    smtp.stop()
    ticks = Ticks(mail_ctx, real_time=False)
    assert ticks.drain(REVISION_REMINDED).retrying == 2
    during = scrape(client)
    assert value(during, "foerderweg_outbox_depth", channel="email", status="pending") == 2
    assert (value(during, "foerderweg_deliveries_total", channel="email", outcome="retrying")
            - value(samples, "foerderweg_deliveries_total", channel="email", outcome="retrying")) == 2

    # Back again: the retries go out, the backlog is empty.
    smtp.start()
    assert ticks.drain(REVISION_REMINDED + timedelta(hours=1)).sent == 2
    after = scrape(client)
    assert value(after, "foerderweg_outbox_depth", channel="email", status="pending") == 0
    assert (value(after, "foerderweg_deliveries_total", channel="email", outcome="sent")
            - value(during, "foerderweg_deliveries_total", channel="email", outcome="sent")) == 2
