"""Webhooks: the notification as JSON, POSTed to the alliance's URL and signed with its secret.

Headers a receiver checks:
    X-Foerderweg-Timestamp   seconds since the epoch when it was signed
    X-Foerderweg-Signature   sha256=HEX: HMAC-SHA256 with the alliance's secret over "{timestamp}.{body}"
    X-Foerderweg-Delivery    the same value for every attempt of one notification: drop repeats by it
A 2xx answer is delivery; anything else (a redirect too: none is followed) or no answer within the deadline
(delivery.webhook_timeout_seconds, for the whole call) is retried later. The URL must lead to a public address,
checked at each call (workflow/notify/webhook_target.py, pinned.py). Errors name scheme, host and port only.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time

from schedules.channels import DeliveryFailed
from schedules.channels.pinned import PostFailed, Resolver, post, system_resolver
from workflow.notify.outbox import Delivery
from workflow.notify.webhook_target import TargetRefused, WebhookPolicy
from workflow.persistence.secretbox import SecretBox, SecretKeyError

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
    def __init__(self, *, timeout_seconds: float, secrets: SecretBox, policy: WebhookPolicy | None = None,
                 resolver: Resolver = system_resolver, tls: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout_seconds
        self.policy = policy or WebhookPolicy()
        self.secrets = secrets
        self.resolver = resolver
        self.tls = tls

    def send(self, delivery: Delivery) -> None:
        if not delivery.address or not delivery.webhook_secret:
            raise DeliveryFailed("the alliance has no webhook (any more)")
        try:
            target = self.policy.target(delivery.address)
        except TargetRefused as refused:
            raise DeliveryFailed(f"webhook refused: {refused}") from None
        try:
            secret = self.secrets.open(delivery.webhook_secret)
        except SecretKeyError as exc:
            raise DeliveryFailed(f"webhook {target.origin}: {exc.detail}") from None
        body = delivery.body.encode("utf-8")
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "foerderweg",
            TIMESTAMP: stamp,
            SIGNATURE: signature(secret, stamp, body),
            DELIVERY: hashlib.sha256(delivery.key.encode()).hexdigest()[:32],
        }
        try:
            status = post(target, body, headers, policy=self.policy, timeout=self.timeout, resolver=self.resolver,
                          tls=self.tls)
        except PostFailed as exc:
            raise DeliveryFailed(f"webhook {target.origin}: {exc}") from None
        if 300 <= status < 400:
            raise DeliveryFailed(f"webhook {target.origin}: HTTP {status} (redirects are not followed)")
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook {target.origin}: HTTP {status}")
