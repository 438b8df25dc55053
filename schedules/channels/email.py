"""E-mail over SMTP, one message per delivery: TLS as smtp.tls says ("starttls", "implicit" on port 465, or
"none", which the settings refuse together with a login), the certificate always verified (against smtp.ca_file
if set, else the system's CAs).

The Message-ID is derived from the outbox key: if a crash makes us send a message twice, the receiving side
sees the same id and mail clients and archives can fold the two into one.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from schedules.channels import DeliveryFailed
from workflow.notify.outbox import Delivery
from workflow.settings import SmtpSettings


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@foerderweg>"


class SmtpChannel:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def compose(self, delivery: Delivery) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = delivery.address or ""
        message["Subject"] = delivery.subject
        message["Message-ID"] = message_id(delivery.key)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(delivery.body)
        return message

    def send(self, delivery: Delivery) -> None:
        if not delivery.address:
            raise DeliveryFailed("no e-mail address")
        settings = self.settings
        try:
            with self._connect() as smtp:
                if settings.username:
                    password = settings.password.get_secret_value() if settings.password else ""
                    smtp.login(settings.username, password)
                smtp.send_message(self.compose(delivery))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {settings.host}:{settings.port}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security == "implicit":
            return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                    context=self._tls())
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=self._tls())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        return ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
