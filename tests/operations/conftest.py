"""The delivery fixtures (a loopback SMTP server, a context that mails through it, people with addresses)."""

from tests.schedules.conftest import crew, mail_ctx, smtp

__all__ = ["crew", "mail_ctx", "smtp"]
