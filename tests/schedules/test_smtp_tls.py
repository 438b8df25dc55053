"""The SMTP password never crosses the network in clear (issue 22, finding 9): a login without TLS is refused when
the settings load; implicit TLS (port 465) and STARTTLS deliver to a loopback server whose certificate the test
makes, trusted through smtp.ca_file; without it the certificate is not trusted and nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import ValidationError

from schedules.channels import DeliveryFailed
from schedules.channels.email import SmtpChannel
from tests.serving import free_port
from workflow.notify.outbox import Delivery
from workflow.settings import Settings, SmtpSettings

PASSWORD = "mail-pa55word"


@dataclass
class Certificates:
    ca: Path
    chain: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA of the test's own and a server certificate for 127.0.0.1 and localhost signed by it."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("foerderweg test CA")).issuer_name(_name("foerderweg test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = Certificates(ca=folder / "ca.pem", chain=folder / "server.pem", key=folder / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.chain.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    return paths


class Mailbox:
    """Takes messages, and logins with the one right password."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[bytes] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd)
        with self.lock:
            self.messages.append(bytes(envelope.original_content or b""))
        return "250 Message accepted for delivery"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
        if ok:
            with self.lock:
                self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@dataclass
class MailServer:
    port: int
    mailbox: Mailbox


def _serve(certificates: Certificates, *, implicit: bool) -> Iterator[MailServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.chain, certificates.key)
    mailbox, port = Mailbox(), free_port()
    tls: dict[str, Any] = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    # Implicit TLS is TLS from the first byte, which aiosmtpd's AUTH check (made for STARTTLS) does not see.
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10,
                            authenticator=mailbox.authenticate, auth_require_tls=not implicit, **tls)
    controller.start()
    try:
        yield MailServer(port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def implicit_tls(certificates: Certificates) -> Iterator[MailServer]:
    yield from _serve(certificates, implicit=True)


@pytest.fixture
def starttls(certificates: Certificates) -> Iterator[MailServer]:
    yield from _serve(certificates, implicit=False)


def mail(to: str = "anna@zukunftsakademie.example") -> Delivery:
    return Delivery(id=1, key="d1:r2d:p1:u1:email", channel="email", address=to, subject="Erinnerung",
                    body="Guten Tag", attempts=1, claim="c", webhook_secret=None)


def smtp_settings(port: int, **changes: Any) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, username="foerderweg", password=PASSWORD, timeout_seconds=5,
                        **changes)


def test_a_login_without_tls_is_refused_when_the_settings_load() -> None:
    for smtp in ({"host": "mail.example", "username": "foerderweg", "password": PASSWORD},
                 {"host": "mail.example", "username": "foerderweg", "password": PASSWORD, "tls": "none"},
                 {"host": "mail.example", "username": "foerderweg", "starttls": False}):
        with pytest.raises(ValidationError) as refused:
            Settings(smtp=smtp)
        message = str(refused.value)
        assert "smtp.username" in message and 'smtp.tls is "none"' in message and "smtp.starttls" in message
        assert PASSWORD not in message
    with pytest.raises(ValidationError, match=r'smtp\.starttls = true contradicts smtp\.tls = "implicit"'):
        Settings(smtp={"host": "mail.example", "starttls": True, "tls": "implicit"})
    # Allowed: TLS of either kind with a login; no login without TLS (a relay on the same machine).
    assert Settings(smtp={"host": "mail.example", "username": "u", "starttls": True}).smtp.security == "starttls"
    assert Settings(smtp={"host": "mail.example", "username": "u", "tls": "implicit"}).smtp.security == "implicit"
    assert Settings(smtp={"host": "mail.example"}).smtp.security == "none"


def test_implicit_tls_delivers_with_a_login_to_a_server_whose_ca_is_named(
        implicit_tls: MailServer, certificates: Certificates) -> None:
    SmtpChannel(smtp_settings(implicit_tls.port, tls="implicit", ca_file=certificates.ca)).send(mail())
    [message] = implicit_tls.mailbox.messages
    assert b"Subject: Erinnerung" in message and implicit_tls.mailbox.logins == ["foerderweg"]


def test_the_servers_certificate_is_checked_unless_its_ca_is_named(implicit_tls: MailServer) -> None:
    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpChannel(smtp_settings(implicit_tls.port, tls="implicit")).send(mail())
    assert implicit_tls.mailbox.messages == [] and implicit_tls.mailbox.logins == []


def test_the_older_key_starttls_still_upgrades_the_connection_before_the_login(
        starttls: MailServer, certificates: Certificates) -> None:
    SmtpChannel(smtp_settings(starttls.port, starttls=True, ca_file=certificates.ca)).send(mail())
    assert len(starttls.mailbox.messages) == 1 and starttls.mailbox.logins == ["foerderweg"]
