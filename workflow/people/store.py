"""The SQL of people's accounts: their tokens and passwords, their signed-in browsers, disabling them.

The token lookup runs on every API request, so it is a prepared Core statement returning a row (no ORM object).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlmodel import Session

from workflow.persistence import models
from workflow.persistence.db import Reader
from workflow.persistence.driver import prepared
from workflow.persistence.id_lists import in_ids
from workflow.proposals.store import USERS, table_of

WEB_SESSIONS = table_of(models.WebSession)

_USER_BY_TOKEN = prepared(sa.select(USERS).where(USERS.c.token_hash == sa.bindparam("digest")))


def user_by_token_hash(session: Reader, digest: str) -> Row[Any] | None:
    """The user row (not an ORM object: this runs on every request) whose token has this hash."""
    return session.execute(_USER_BY_TOKEN, {"digest": digest}).first()


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
