"""Use cases of the outbox: deliveries claimed and settled, the in-app inbox, mutes, and the operator's view.

Delivery is at least once: a message is claimed with a lease, sent, then marked sent. If the sender dies in
between, the lease runs out and another sender takes it again, so it may go out twice but is never lost; mail
carries a Message-ID and webhooks a delivery id derived from the unique key, so receivers can drop the repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workflow.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.notify import store
from workflow.notify.steps import STEP_TOPIC
from workflow.notify.store import Notification
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence.db import Database
from workflow.timeutil import require_aware

STATUSES = ("pending", "sending", "sent", "failed", "skipped")
MUTABLE_CHANNELS = ("email", "inapp")
MAX_PAGE = 200


@dataclass(frozen=True)
class Delivery:
    """A claimed message, with what its channel needs to send it."""

    id: int
    key: str
    channel: str
    address: str | None
    subject: str
    body: str
    attempts: int
    claim: str
    webhook_secret: str | None


@dataclass(frozen=True)
class Backoff:
    max_attempts: int
    base: timedelta
    cap: timedelta

    def delay(self, attempts: int) -> timedelta:
        return min(self.base * (2 ** max(attempts - 1, 0)), self.cap)


class OutboxService:
    def __init__(self, db: Database, *, topics: Iterable[str], backoff: Backoff, lease: timedelta) -> None:
        self.db = db
        # What a mute may name: the deadline kinds, and the proposal's steps.
        self.topics = frozenset(topics) | {STEP_TOPIC}
        self.backoff = backoff
        self.lease = lease

    # --- delivery ------------------------------------------------------------------------------------------

    def claim(self, now: datetime, *, limit: int) -> list[Delivery]:
        require_aware(now)
        token = uuid.uuid4().hex
        with self.db.write() as session:
            rows = store.claim_deliveries(session, now, limit=limit, token=token, lease=self.lease)
        return [Delivery(id=r.id, key=r.key, channel=r.channel, address=r.address, subject=r.subject, body=r.body,
                         attempts=r.attempts, claim=token, webhook_secret=r.webhook_secret) for r in rows]

    def delivered(self, delivery: Delivery, now: datetime) -> bool:
        with self.db.write() as session:
            return store.settle(session, delivery.id, delivery.claim,
                                {"status": "sent", "sent_at": now, "last_error": None})

    def undelivered(self, delivery: Delivery, error: str, now: datetime) -> str:
        """Try again later with growing pauses; after the last attempt park it as failed for an operator."""
        parked = delivery.attempts >= self.backoff.max_attempts
        values: dict[str, Any] = {"last_error": error[:2000]}
        if parked:
            values |= {"status": "failed", "next_attempt_at": None}
        else:
            values |= {"status": "pending", "next_attempt_at": now + self.backoff.delay(delivery.attempts)}
        with self.db.write() as session:
            store.settle(session, delivery.id, delivery.claim, values)
        return str(values["status"])

    def depth(self) -> dict[tuple[str, str], int]:
        """Messages not (yet) delivered, by status and channel: what an operator watches for a backlog."""
        with self.db.read() as session:
            return store.undelivered_counts(session)

    # --- the in-app inbox ----------------------------------------------------------------------------------

    def inbox(self, actor: Actor, *, unread_only: bool = False, before_id: int = 0,
              limit: int = 50) -> list[Notification]:
        """The caller's in-app notifications, newest first (page on with `before_id`)."""
        user_id = _person(actor)
        _check_limit(limit)
        with self.db.read() as session:
            return store.inbox_page(session, user_id, unread_only=unread_only, before_id=before_id, limit=limit)

    def mark_read(self, actor: Actor, notification_id: int, now: datetime) -> Notification:
        user_id = _person(actor)
        require_aware(now)
        with self.db.write() as session:
            read = store.mark_read(session, user_id, notification_id, now)
        if read is None:
            raise NotFound(f"notification {notification_id} not found")
        return read

    # --- preferences ---------------------------------------------------------------------------------------

    def mutes(self, actor: Actor) -> list[tuple[str, str]]:
        user_id = _person(actor)
        with self.db.read() as session:
            return store.mutes_of(session, user_id)

    def set_mutes(self, actor: Actor, mutes: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Replace the caller's mutes: (deadline kind or proposal_step, channel) pairs they do not want."""
        user_id = _person(actor)
        problems = []
        for index, (topic, channel) in enumerate(mutes):
            if topic not in self.topics:
                problems.append(FieldProblem(f"muted[{index}].deadline",
                                             f"unknown deadline '{topic}' (known: {', '.join(sorted(self.topics))})"))
            if channel not in MUTABLE_CHANNELS:
                problems.append(FieldProblem(f"muted[{index}].channel",
                                             f"must be one of {', '.join(MUTABLE_CHANNELS)}"))
        if problems:
            raise InvalidInput(problems)
        with self.db.write() as session:
            store.replace_mutes(session, user_id, mutes)
            return store.mutes_of(session, user_id)

    # --- operators -----------------------------------------------------------------------------------------

    def messages(self, actor: Actor, *, status: str | None = None, after_id: int = 0,
                 limit: int = 50) -> list[Notification]:
        _operator(actor)
        _check_limit(limit)
        if status is not None and status not in STATUSES:
            raise InvalidInput([FieldProblem("status", f"must be one of {', '.join(STATUSES)}")])
        with self.db.read() as session:
            return store.messages_page(session, status, after_id=after_id, limit=limit)

    def retry(self, actor: Actor, message_id: int, now: datetime) -> Notification:
        """Send a failed (or skipped) message again: it starts over with a fresh count of attempts."""
        _operator(actor)
        require_aware(now)
        with self.db.write() as session:
            row = store.message(session, message_id)
            if row is None:
                raise NotFound(f"outbox message {message_id} not found")
            if row.channel == "inapp":
                raise InvalidInput([FieldProblem("id", "in-app notifications are delivered by being written; "
                                                       "there is nothing to send again")])
            if row.status not in ("failed", "skipped"):
                raise InvalidInput([FieldProblem("id", f"message {message_id} is {row.status}; only failed or "
                                                       "skipped messages are sent again")])
            store.send_again(session, message_id, row.status, now)
            updated = store.message(session, message_id)
        assert updated is not None
        return updated


def _person(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("only people have an inbox and preferences")
    return actor.user_id


def _operator(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden(f"role '{actor.role}' may not look into the outbox")


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput([FieldProblem("limit", f"must be between 1 and {MAX_PAGE}")])

