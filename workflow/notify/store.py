"""The SQL of notifications: outbox rows, mutes, and claiming work so that several instances never share it.

Claims are a conditional UPDATE with a lease: a row is claimable when it is pending and due, or when another
claimant's lease ran out (that instance died). On PostgreSQL the candidate rows are picked with
FOR UPDATE SKIP LOCKED, so instances do not queue behind each other; SQLite has a single writer anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlmodel import Session

from workflow import models
from workflow.driver import prepared
from workflow.repository import ALLIANCES, DEADLINES, USERS, _table

OUTBOX = _table(models.OutboxMessage)
MUTES = _table(models.NotificationMute)
DELIVERED_BY_SENDING = ("email", "webhook")


_INSERT_OUTBOX = {"postgresql": postgresql.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"]),
                  "sqlite": prepared(sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"]))}


def insert_outbox(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert notifications; one whose key exists already (written by an earlier or a parallel sweep) is left.
    Every row has the same keys (one executemany)."""
    if rows:
        dialect = session.get_bind().dialect.name
        session.execute(_INSERT_OUTBOX["postgresql" if dialect == "postgresql" else "sqlite"], list(rows))


def _claimable(table: sa.Table, now: datetime, due_column: sa.Column[Any], open_status: str,
               busy_status: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(table.c.status == open_status, due_column <= now,
                sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now)),
        sa.and_(table.c.status == busy_status, table.c.lease_until < now),
    )


def _claim(session: Session, table: sa.Table, where: sa.ColumnElement[bool], order: sa.Column[Any], *,
           limit: int, token: str, values: dict[str, Any]) -> list[int]:
    candidates = sa.select(table.c.id).where(where).order_by(order).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.execute(sa.update(table).where(table.c.id.in_(candidates.scalar_subquery()), where)
                              .values(claim=token, **values).returning(table.c.id))
    return sorted(int(i) for i in claimed.scalars())


# --- deadlines: the sweep's claims --------------------------------------------------------------------------

def claim_due_deadlines(session: Session, now: datetime, *, limit: int, token: str, lease: timedelta) -> list[int]:
    where = sa.and_(DEADLINES.c.status == "open", DEADLINES.c.next_fire_at <= now,
                    sa.or_(DEADLINES.c.lease_until.is_(None), DEADLINES.c.lease_until < now))
    return _claim(session, DEADLINES, where, DEADLINES.c.next_fire_at, limit=limit, token=token,
                  values={"lease_until": now + lease})


# What the sweep and the notifications read of a claimed row (each time column read costs a conversion per row).
_SWEPT_COLUMNS = [DEADLINES.c[name] for name in ("id", "proposal_id", "round_id", "alliance_id", "kind",
                                                 "procedure_key", "procedure_version", "state", "due_at", "status",
                                                 "stage")]


def claimed_deadlines(session: Session, deadline_ids: Sequence[int], token: str) -> Sequence[Row[Any]]:
    """The claimed rows still open and still ours, locked for this transaction; a row cancelled by a step or
    taken over by another sweeper after our lease ran out is left out."""
    # By primary key only: with `status = 'open'` in the WHERE, SQLite walks the (status, next_fire_at) index
    # over every open row instead (4 s per 10,000 claimed among 1,000,000; bench/sweep.py).
    query = (sa.select(*_SWEPT_COLUMNS).where(DEADLINES.c.id.in_(list(deadline_ids)), DEADLINES.c.claim == token)
             .order_by(DEADLINES.c.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return [row for row in session.execute(query) if row.status == "open"]


_ADVANCE = prepared(sa.update(DEADLINES)
            .where(DEADLINES.c.id == sa.bindparam("deadline"), DEADLINES.c.claim == sa.bindparam("token"))
            .values(stage=sa.bindparam("to_stage", type_=sa.Integer),
                    next_fire_at=sa.bindparam("fires_at", type_=models.UTCDateTime),
                    status=sa.bindparam("to_status", type_=sa.String), claim=sa.null(), lease_until=sa.null(),
                    closed_at=sa.bindparam("closing_at", type_=models.UTCDateTime)))



def advance(deadline_id: int, *, stage: int, next_fire_at: datetime | None, status: str,
            now: datetime) -> dict[str, Any]:
    """One row's move for `advance_deadlines`: its next stage and firing, or closed."""
    return {"deadline": deadline_id, "to_stage": stage, "fires_at": next_fire_at, "to_status": status,
            "closing_at": None if status == "open" else now}


def advance_deadlines(session: Session, token: str, moves: Sequence[dict[str, Any]]) -> None:
    """Apply many `advance` moves in one executemany, each only while the claim is still ours."""
    if moves:
        session.execute(_ADVANCE, [{**move, "token": token} for move in moves])


# --- outbox: delivery claims ------------------------------------------------------------------------------

def claim_deliveries(session: Session, now: datetime, *, limit: int, token: str,
                     lease: timedelta) -> Sequence[Row[Any]]:
    where = sa.and_(OUTBOX.c.channel.in_(DELIVERED_BY_SENDING),
                    _claimable(OUTBOX, now, OUTBOX.c.next_attempt_at, "pending", "sending"))
    ids = _claim(session, OUTBOX, where, OUTBOX.c.next_attempt_at, limit=limit, token=token,
                 values={"status": "sending", "lease_until": now + lease, "attempts": OUTBOX.c.attempts + 1})
    if not ids:
        return []
    return session.execute(
        sa.select(OUTBOX, ALLIANCES.c.webhook_secret)
        .join(ALLIANCES, ALLIANCES.c.id == OUTBOX.c.alliance_id, isouter=True)
        .where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id)).all()


def settle(session: Session, message_id: int, token: str, values: dict[str, Any]) -> bool:
    """Record a delivery's outcome, only if the claim is still ours (else another instance took it over)."""
    result = session.execute(sa.update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.claim == token)
                             .values(claim=None, lease_until=None, **values))
    return cast(sa.CursorResult[Any], result).rowcount == 1


# --- outbox: reading ---------------------------------------------------------------------------------------

def outbox_row(session: Session, message_id: int,
               where: sa.ColumnElement[bool] | None = None) -> Row[Any] | None:
    return session.execute(sa.select(OUTBOX).where(OUTBOX.c.id == message_id, sa.true() if where is None else where)
                           ).first()


def outbox_page(session: Session, where: sa.ColumnElement[bool], *, after_id: int, limit: int,
                newest_first: bool = False) -> Sequence[Row[Any]]:
    query = sa.select(OUTBOX).where(where)
    if newest_first:
        query = query.where(OUTBOX.c.id < after_id) if after_id else query
        return session.execute(query.order_by(OUTBOX.c.id.desc()).limit(limit)).all()
    return session.execute(query.where(OUTBOX.c.id > after_id).order_by(OUTBOX.c.id).limit(limit)).all()


def update_outbox(session: Session, message_id: int, where: sa.ColumnElement[bool], values: dict[str, Any]) -> bool:
    result = session.execute(sa.update(OUTBOX).where(OUTBOX.c.id == message_id, where).values(**values))
    return cast(sa.CursorResult[Any], result).rowcount == 1


def alliances_by_id(session: Session, alliance_ids: Iterable[int]) -> dict[int, Row[Any]]:
    ids = list(alliance_ids)
    if not ids:
        return {}
    return {int(row.id): row for row in session.execute(
        sa.select(ALLIANCES.c.id, ALLIANCES.c.name, ALLIANCES.c.webhook_url).where(ALLIANCES.c.id.in_(ids)))}


# --- people and mutes --------------------------------------------------------------------------------------

def users(session: Session, *, role: str, organisation_ids: Iterable[int] = (),
          alliance_id: int | None = None) -> Sequence[Row[Any]]:
    query = sa.select(USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.language, USERS.c.organisation_id).where(
        USERS.c.role == role)
    org_ids = list(organisation_ids)
    if org_ids:
        query = query.where(USERS.c.organisation_id.in_(org_ids))
    if alliance_id is not None:
        query = query.where(USERS.c.alliance_id == alliance_id)
    return session.execute(query.order_by(USERS.c.id)).all()


def mutes_of_many(session: Session, user_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    ids = list(user_ids)
    if not ids:
        return []
    return [(int(u), str(t), str(c)) for u, t, c in session.execute(
        sa.select(MUTES.c.user_id, MUTES.c.topic, MUTES.c.channel).where(MUTES.c.user_id.in_(ids)))]


def mutes_of(session: Session, user_id: int) -> list[tuple[str, str]]:
    return [(str(t), str(c)) for t, c in session.execute(
        sa.select(MUTES.c.topic, MUTES.c.channel).where(MUTES.c.user_id == user_id)
        .order_by(MUTES.c.topic, MUTES.c.channel))]


def replace_mutes(session: Session, user_id: int, mutes: Iterable[tuple[str, str]]) -> None:
    session.execute(sa.delete(MUTES).where(MUTES.c.user_id == user_id))
    rows = [{"user_id": user_id, "topic": t, "channel": c} for t, c in sorted(set(mutes))]
    if rows:
        session.execute(sa.insert(MUTES), rows)


def undelivered_counts(session: Session) -> dict[tuple[str, str], int]:
    """Pending, sending and failed messages by (status, channel); the status index keeps this cheap."""
    rows = session.execute(
        sa.select(OUTBOX.c.status, OUTBOX.c.channel, sa.func.count())
        .where(OUTBOX.c.status.in_(("pending", "sending", "failed")))
        .group_by(OUTBOX.c.status, OUTBOX.c.channel))
    return {(status, channel): int(count) for status, channel, count in rows}
