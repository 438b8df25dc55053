"""Webhooks reach public addresses only (issue 22, finding 5): internal addresses are refused when the URL is set
and again at every call, for every address a name resolves to; the connection goes to the address checked; no
redirect is followed; errors name no credentials, path or secret.

Every request here goes to 127.0.0.1: a name that "resolves to an internal address" resolves, through a stubbed
resolver, to a loopback receiver that must see nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr

from schedules.channels import DeliveryFailed
from schedules.channels.webhook import WebhookChannel
from schedules.ticks import Ticks
from tests.schedules.conftest import DELIVERY, PUBLIC_URL, REVISION_REMINDED, Crew, in_revision, outbox
from tests.schedules.loopback import WebhookReceiver
from tests.schedules.scripted_http import Scripted
from tests.serving import free_port
from workflow.context import Context, build_context
from workflow.notify.outbox import Delivery
from workflow.notify.webhook_target import IPAddress, TargetRefused, WebhookPolicy, ip_literal
from workflow.people.actors import SYSTEM
from workflow.persistence.models import Alliance
from workflow.persistence.secretbox import SecretBox
from workflow.settings import Settings

LOOPBACK = WebhookPolicy((ipaddress.ip_network("127.0.0.0/8"),))
NAME = "hooks.fka-leipzig.example"

REFUSED = [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:8080/hooks", "http://2130706433/",
    "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/", "http://0x7f000001/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/", "http://[64:ff9b::a00:1]/", "http://[2002:c0a8:101::1]/", "http://localhost:8080/",
    "http://hooks.localhost/", "http://LOCALHOST./", "http://0.0.0.0/", "http://0/", "http://[::]/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://192.168.1.1/",
    "http://172.16.0.1/", "http://100.64.0.1/", "http://240.0.0.1/", "http://255.255.255.255/",
    "https://user:secret@hooks.fka-leipzig.example/", "https://token@hooks.fka-leipzig.example/",
    "ftp://hooks.fka-leipzig.example/", "http://[::1",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_credentials_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        WebhookPolicy().target(url)


@pytest.mark.parametrize("url", ["https://hooks.fka-leipzig.example/x?id=1", "http://93.184.215.14:8080/",
                                 "https://[2606:4700:4700::1111]/hooks"])
def test_public_names_and_addresses_are_accepted(url: str) -> None:
    assert WebhookPolicy().target(url).path.startswith("/")


def test_an_allowed_network_lets_its_addresses_and_localhost_through_and_nothing_else() -> None:
    for url in ("http://127.0.0.1:9/hook", "http://localhost:9/", "http://2130706433/", "http://[::ffff:127.0.0.1]/"):
        LOOPBACK.target(url)
    for url in ("http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(TargetRefused):
            LOOPBACK.target(url)


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.1", "10.1",
                                  "0xa.0.0.1", "012.0.0.1", "1.2.3.4", "0", "08.1", "256.1.1.1", "1.2.3.4.5",
                                  "4294967296", "hooks.example", "1e3"])
def test_a_host_is_read_as_an_address_exactly_when_the_c_library_reads_it_as_one(host: str) -> None:
    # inet_aton parses locally, without a lookup: it is what getaddrinfo makes of a numeric host.
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        expected = None
    assert ip_literal(host) == expected


# --- at send time ---------------------------------------------------------------------------------------------

def box(tmp_path: Path) -> SecretBox:
    return SecretBox(SecretStr(Fernet.generate_key().decode()), tmp_path / "unused.key")


def hook(url: str, stored_secret: str) -> Delivery:
    return Delivery(id=1, key="d1:r2d:p1:a1:webhook", channel="webhook", address=url, subject="reminder revision",
                    body='{"event": "deadline.reminder"}', attempts=1, claim="c", webhook_secret=stored_secret)


class StubResolver:
    """A name server in a box: each lookup answers the next of `answers` (the last one again when they run out)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = [[ipaddress.ip_address(a) for a in answer] for answer in answers]
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append((host, port))
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def test_without_the_allow_list_a_loopback_receiver_is_not_contacted_and_the_delivery_fails(
        mail_ctx: Context, crew: Crew, receiver: WebhookReceiver, database_url: str) -> None:
    """The URL was set while the operator allowed loopback; then the allow-list went away."""
    _, receiver.secret = mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    strict = build_context(Settings(database_url=database_url, public_url=PUBLIC_URL,
                                    delivery={**DELIVERY, "webhook_allowed_networks": []}))
    try:
        for attempt in range(3):
            Ticks(strict, real_time=False).drain(REVISION_REMINDED + attempt * timedelta(hours=1))
    finally:
        strict.close()
    assert receiver.calls == []
    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.status, row.attempts) == ("failed", 3)
    assert "127.0.0.1 is a loopback address" in row.last_error and "webhook_allowed_networks" in row.last_error


def test_a_url_stored_before_the_checks_is_refused_at_send_time(
        mail_ctx: Context, crew: Crew, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    """localhost with credentials and a token in its path, written before set_webhook checked anything."""
    _, receiver.secret = mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    port = urlsplit(receiver.url).port
    stored = f"http://hook-user:pa55word@localhost:{port}/hooks/T0KEN"
    with mail_ctx.db.write() as session:
        session.execute(sa.update(Alliance).where(Alliance.id == crew.world.alliance_id)  # type: ignore[arg-type]
                        .values(webhook_url=stored))
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    with caplog.at_level(logging.WARNING):
        assert Ticks(mail_ctx, real_time=False).drain(REVISION_REMINDED).retrying == 1
    assert receiver.calls == []
    [row] = outbox(mail_ctx, channel="webhook")
    assert "user name or password" in row.last_error
    for shown in (row.last_error, caplog.text):
        assert "pa55word" not in shown and "T0KEN" not in shown and str(receiver.secret) not in shown


def test_a_name_that_resolves_to_an_internal_address_is_refused_before_connecting(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    secrets = box(tmp_path)
    port = urlsplit(receiver.url).port
    url = f"http://{NAME}:{port}/hooks/foerderweg"
    to_loopback = StubResolver(["127.0.0.1"])
    with pytest.raises(DeliveryFailed, match=rf"{NAME} resolves to 127\.0\.0\.1; 127\.0\.0\.1 is a loopback address"):
        WebhookChannel(timeout_seconds=5, secrets=secrets, resolver=to_loopback).send(hook(url, secrets.seal("s")))
    # Allowed is only 127.0.0.1; the name also leads to 127.0.0.2: every address must pass, so none is tried.
    mixed = StubResolver(["127.0.0.1", "127.0.0.2"])
    only_one = WebhookPolicy((ipaddress.ip_network("127.0.0.1/32"),))
    with pytest.raises(DeliveryFailed, match=r"127\.0\.0\.2 is a loopback address"):
        WebhookChannel(timeout_seconds=5, secrets=secrets, policy=only_one, resolver=mixed).send(
            hook(url, secrets.seal("s")))
    assert receiver.calls == []


def test_the_name_is_looked_up_once_and_the_checked_address_is_called_with_the_names_host(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    """DNS rebinding: a second lookup would answer 127.0.0.2, which nobody checked; there is none."""
    secrets = box(tmp_path)
    receiver.secret = "the alliance's secret"
    port = urlsplit(receiver.url).port
    rebinding = StubResolver(["127.0.0.1"], ["127.0.0.2"])
    WebhookChannel(timeout_seconds=5, secrets=secrets, policy=LOOPBACK, resolver=rebinding).send(
        hook(f"http://{NAME}:{port}/hooks/foerderweg?alliance=7", secrets.seal(receiver.secret)))
    assert rebinding.asked == [(NAME, port)]
    [call] = receiver.calls
    assert call.headers["host"] == f"{NAME}:{port}" and call.path == "/hooks/foerderweg?alliance=7"
    assert call.signature_valid and call.answered == 200


def test_a_redirect_is_not_followed_and_is_a_failure(tmp_path: Path) -> None:
    secrets = box(tmp_path)
    with Scripted(200) as elsewhere, Scripted(302, {"Location": elsewhere.url("/internal")}) as redirecting:
        channel = WebhookChannel(timeout_seconds=5, secrets=secrets, policy=LOOPBACK)
        with pytest.raises(DeliveryFailed, match=r"HTTP 302 \(redirects are not followed\)"):
            channel.send(hook(redirecting.url("/hooks/T0KEN"), secrets.seal("s")))
        assert [(s.method, s.path) for s in redirecting.seen] == [("POST", "/hooks/T0KEN")]
        assert elsewhere.seen == []


def test_an_error_names_scheme_host_and_port_but_not_the_path(tmp_path: Path) -> None:
    secrets = box(tmp_path)
    closed = free_port()
    channel = WebhookChannel(timeout_seconds=5, secrets=secrets, policy=LOOPBACK)
    with pytest.raises(DeliveryFailed) as failed:
        channel.send(hook(f"http://127.0.0.1:{closed}/hooks/T0KEN", secrets.seal("s")))
    assert str(failed.value).startswith(f"webhook http://127.0.0.1:{closed}: ") and "T0KEN" not in str(failed.value)
