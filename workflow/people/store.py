"""The SQL of people's accounts: their tokens and passwords, their signed-in browsers, disabling them.

The token lookup runs on every API request, so it is a prepared Core statement returning a row (no ORM object).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from workflow.persistence import models
from workflow.persistence.db import Reader
from workflow.persistence.driver import prepared
from workflow.persistence.id_lists import in_ids
from workflow.proposals.store import USERS, table_of

T = TypeVar("T", bound=SQLModel)
WEB_SESSIONS = table_of(models.WebSession)
FAILURES = table_of(models.SignInFailure)

_USER_BY_TOKEN = prepared(sa.select(USERS).where(USERS.c.token_hash == sa.bindparam("digest")))


@dataclass(frozen=True)
class TokenHolder:
    """Who holds a token, as the check of every request reads them (not an ORM object)."""

    id: int
    name: str
    role: str
    organisation_id: int | None
    alliance_id: int | None
    language: str
    disabled_at: datetime | None
    token_expires_at: datetime | None


def user_by_token_hash(session: Reader, digest: str) -> TokenHolder | None:
    """The user (not an ORM object: this runs on every request) whose token has this hash."""
    row = session.execute(_USER_BY_TOKEN, {"digest": digest}).first()
    if row is None:
        return None
    return TokenHolder(id=row.id, name=row.name, role=row.role, organisation_id=row.organisation_id,
                       alliance_id=row.alliance_id, language=row.language, disabled_at=row.disabled_at,
                       token_expires_at=row.token_expires_at)


def user(session: Session, user_id: int) -> models.User | None:
    return session.get(models.User, user_id)


def save(session: Session, row: T) -> T:
    """Insert or update the object now (flushed: a new one has its id)."""
    session.add(row)
    session.flush()
    return row


def user_locked(session: Session, user_id: int) -> models.User | None:
    """The user, locked for the rest of the transaction (on PostgreSQL; SQLite has a single writer)."""
    return session.get(models.User, user_id, with_for_update=True)


def users_with_email(session: Session, email: str) -> list[models.User]:
    return list(session.execute(
        sa.select(models.User).where(sa.func.lower(USERS.c.email) == email.strip().lower())).scalars())


def users_page(session: Session, *, after_id: int, limit: int) -> list[models.User]:
    """Users in id order after `after_id` (keyset pagination, like the outbox's)."""
    return list(session.execute(sa.select(models.User).where(USERS.c.id > after_id).order_by(USERS.c.id)
                                .limit(limit)).scalars())


def web_session(session: Session, secret_hash: str, now: datetime) -> models.WebSession | None:
    return session.execute(sa.select(models.WebSession).where(
        WEB_SESSIONS.c.secret_hash == secret_hash, WEB_SESSIONS.c.expires_at > now)).scalars().first()


def signed_in_browsers(session: Session, user_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """How many browsers each of these users has signed in now (users with none are left out)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(WEB_SESSIONS.c.user_id, sa.func.count()).where(
            in_ids(WEB_SESSIONS.c.user_id, "ids"), WEB_SESSIONS.c.expires_at > now)
        .group_by(WEB_SESSIONS.c.user_id), {"ids": ids})
    return {int(user_id): int(count) for user_id, count in rows}


def end_web_sessions(session: Session, *, secret_hash: str | None = None, user_id: int | None = None,
                     expired_before: datetime | None = None) -> int:
    """Sign out one browser, every browser of a user, or forget expired sign-ins."""
    query = sa.delete(WEB_SESSIONS)
    if secret_hash is not None:
        query = query.where(WEB_SESSIONS.c.secret_hash == secret_hash)
    if user_id is not None:
        query = query.where(WEB_SESSIONS.c.user_id == user_id)
    if expired_before is not None:
        query = query.where(WEB_SESSIONS.c.expires_at <= expired_before)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


# --- failed sign-ins (workflow/people/throttle.py) -------------------------------------------------------------

_TURN = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


@dataclass(frozen=True)
class FailureCount:
    """The failures of one counter within the window, and when the last was."""

    key: str
    count: int
    last: datetime


def take_turns(session: Session, keys: Iterable[str]) -> None:
    """Wait for the counters' turns, to the end of the transaction: on PostgreSQL two attempts would otherwise
    read the same count and both pass; SQLite runs one write at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(keys):
            session.execute(_TURN, {"key": key})


def failure_counts(session: Reader, keys: Iterable[str], since: datetime) -> list[FailureCount]:
    rows = session.execute(
        sa.select(FAILURES.c.key, sa.func.count(), sa.func.max(FAILURES.c.failed_at))
        .where(FAILURES.c.key.in_(list(keys)), FAILURES.c.failed_at > since)
        .group_by(FAILURES.c.key)).all()
    return [FailureCount(key=key, count=count, last=last) for key, count, last in rows]


def record_failure(session: Session, key: str, at: datetime) -> int:
    return int(session.execute(sa.insert(FAILURES).values(key=key, failed_at=at).returning(FAILURES.c.id))
               .scalar_one())


def forget_failures_until(session: Session, until: datetime) -> None:
    session.execute(sa.delete(FAILURES).where(FAILURES.c.failed_at <= until))


def forget_failures(session: Session, ids: Iterable[int], keys: Iterable[str]) -> None:
    """Forget these failures, and every failure of these counters."""
    session.execute(sa.delete(FAILURES).where(sa.or_(FAILURES.c.id.in_(list(ids)), FAILURES.c.key.in_(list(keys)))))
