"""How a notification leaves the building: e-mail over SMTP, a signed webhook POST. In-app needs no channel."""

from __future__ import annotations

from typing import Protocol

from workflow.notify.outbox import Delivery


class DeliveryFailed(Exception):
    """The receiver did not take the message; the outbox retries it later."""


class Channel(Protocol):
    def send(self, delivery: Delivery) -> None: ...
