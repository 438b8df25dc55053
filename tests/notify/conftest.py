"""The notification tests share the delivery fixtures: a real SMTP server and webhook receiver on 127.0.0.1, a
context that mails through them, and people with e-mail addresses in both languages."""

from tests.schedules.conftest import crew, mail_ctx, receiver, smtp

__all__ = ["crew", "mail_ctx", "receiver", "smtp"]
