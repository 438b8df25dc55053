"""Webhooks: the notification as JSON, POSTed to the alliance's URL and signed with its secret.

Headers a receiver checks:
    X-Foerderweg-Timestamp   seconds since the epoch when it was signed
    X-Foerderweg-Signature   sha256=HEX: HMAC-SHA256 with the alliance's secret over "{timestamp}.{body}"
    X-Foerderweg-Delivery    the same value for every attempt of one notification: drop repeats by it
A 2xx answer is delivery; anything else (or no answer) is retried later.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request

from schedules.channels import DeliveryFailed
from workflow.notify.outbox import Delivery

SIGNATURE = "X-Foerderweg-Signature"
TIMESTAMP = "X-Foerderweg-Timestamp"
DELIVERY = "X-Foerderweg-Delivery"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signed: str) -> bool:
    """What a receiver does (and our tests do): compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), signed)


class WebhookChannel:
    def __init__(self, *, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds

    def send(self, delivery: Delivery) -> None:
        if not delivery.address or not delivery.webhook_secret:
            raise DeliveryFailed("the alliance has no webhook (any more)")
        body = delivery.body.encode("utf-8")
        stamp = str(int(time.time()))
        request = urllib.request.Request(delivery.address, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "foerderweg",
            TIMESTAMP: stamp,
            SIGNATURE: signature(delivery.webhook_secret, stamp, body),
            DELIVERY: hashlib.sha256(delivery.key.encode()).hexdigest()[:32],
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"webhook {delivery.address}: HTTP {exc.code}") from exc
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # HTTPException: something answered that does not speak HTTP (a mistyped port, a mail server).
            raise DeliveryFailed(f"webhook {delivery.address}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook {delivery.address}: HTTP {status}")
