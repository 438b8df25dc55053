"""The SQL of notifications: outbox rows, mutes, and claiming work so that several instances never share it.

Claims are a conditional UPDATE with a lease: a row is claimable when it is pending and due, or when another
claimant's lease ran out (that instance died). On PostgreSQL the candidate rows are picked with
FOR UPDATE SKIP LOCKED, so instances do not queue behind each other; SQLite has a single writer anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from workflow.notify.records import AllianceAddress, AudienceRow, Delivery, OutboxRecord, Person, SweptDeadline
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.persistence.driver import prepared
from workflow.persistence.id_lists import in_ids
from workflow.proposals.store import ALLIANCES, DEADLINES, USERS, record_columns, table_of

OUTBOX = table_of(models.OutboxMessage)
MUTES = table_of(models.NotificationMute)
DELIVERED_BY_SENDING = ("email", "webhook")
_OUTBOX_COLUMNS = record_columns(OUTBOX, OutboxRecord)


_INSERT_OUTBOX = {"postgresql": prepared(postgresql.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"])),
                  "sqlite": prepared(sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"]))}


def insert_outbox(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert notifications; one whose key exists already (written by an earlier or a parallel sweep) is left.
    Every row has the same keys (one executemany)."""
    if rows:
        dialect = session.get_bind().dialect.name
        session.execute(_INSERT_OUTBOX["postgresql" if dialect == "postgresql" else "sqlite"], list(rows))


_NOW = sa.bindparam("now", type_=models.UTCDateTime)


def _due_and_free(table: sa.Table, due_column: sa.Column[Any], open_status: str) -> sa.ColumnElement[bool]:
    """Open and due at the parameter `now`, and not claimed by anyone whose lease still runs."""
    return sa.and_(table.c.status == open_status, due_column <= _NOW,
                   sa.or_(table.c.lease_until.is_(None), table.c.lease_until < _NOW))


def _claimable(table: sa.Table, due_column: sa.Column[Any], open_status: str,
               busy_status: str) -> sa.ColumnElement[bool]:
    """Pending and due, or claimed by someone whose lease ran out (at the parameter `now`)."""
    return sa.or_(_due_and_free(table, due_column, open_status),
                  sa.and_(table.c.status == busy_status, table.c.lease_until < _NOW))


def _claim_statement(table: sa.Table, where: sa.ColumnElement[bool], order: sa.Column[Any],
                     values: dict[str, Any]) -> sa.Update:
    """The claim, built once (parameters now, limit, token, lease_until). On PostgreSQL other claimants skip the
    candidates this one locked; SQLite, which has no row locks, leaves the clause out."""
    candidates = (sa.select(table.c.id).where(where).order_by(order)
                  .limit(sa.bindparam("limit", type_=sa.Integer)).with_for_update(skip_locked=True))
    return prepared(sa.update(table).where(table.c.id.in_(candidates.scalar_subquery()), where)
                    .values(claim=sa.bindparam("token", type_=sa.String),
                            lease_until=sa.bindparam("lease_until", type_=models.UTCDateTime), **values)
                    .returning(table.c.id))


def _claim(session: Session, statement: sa.Update, *, now: datetime, limit: int, token: str,
           lease: timedelta) -> list[int]:
    claimed = session.execute(statement, {"now": now, "limit": limit, "token": token, "lease_until": now + lease})
    return sorted(int(i) for i in claimed.scalars())


# --- deadlines: the sweep's claims --------------------------------------------------------------------------

# A deadline stays open while claimed: only a lease that ran out frees it.
_CLAIM_DEADLINES = _claim_statement(DEADLINES, _due_and_free(DEADLINES, DEADLINES.c.next_fire_at, "open"),
                                    DEADLINES.c.next_fire_at, {})


def claim_due_deadlines(session: Session, now: datetime, *, limit: int, token: str, lease: timedelta) -> list[int]:
    return _claim(session, _CLAIM_DEADLINES, now=now, limit=limit, token=token, lease=lease)


# What the sweep and the notifications read of a claimed row (each time column read costs a conversion per row).
_SWEPT_COLUMNS = record_columns(DEADLINES, SweptDeadline)
# By primary key only: with `status = 'open'` in the WHERE, SQLite walks the (status, next_fire_at) index over
# every open row instead (4 s per 10,000 claimed among 1,000,000; bench/sweep.py).
_CLAIMED = prepared(sa.select(*_SWEPT_COLUMNS)
                   .where(in_ids(DEADLINES.c.id, "ids"), DEADLINES.c.claim == sa.bindparam("token", type_=sa.String))
                   .order_by(DEADLINES.c.id).with_for_update())


def claimed_deadlines(session: Session, deadline_ids: Sequence[int], token: str) -> list[SweptDeadline]:
    """The claimed rows still open and still ours, locked for this transaction; a row cancelled by a step or
    taken over by another sweeper after our lease ran out is left out."""
    rows = session.execute(_CLAIMED, {"ids": deadline_ids, "token": token})
    return [SweptDeadline(*row) for row in rows if row.status == "open"]


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

_CLAIM_DELIVERIES = _claim_statement(
    # The channels as equalities rather than IN: a literal IN list is expanded at each execution.
    OUTBOX, sa.and_(sa.or_(*(OUTBOX.c.channel == channel for channel in DELIVERED_BY_SENDING)),
                    _claimable(OUTBOX, OUTBOX.c.next_attempt_at, "pending", "sending")),
    OUTBOX.c.next_attempt_at, {"status": "sending", "attempts": OUTBOX.c.attempts + 1})
_CLAIMED_DELIVERIES = prepared(
    sa.select(*_OUTBOX_COLUMNS, ALLIANCES.c.webhook_secret)
    .join(ALLIANCES, ALLIANCES.c.id == OUTBOX.c.alliance_id, isouter=True)
    .where(in_ids(OUTBOX.c.id, "ids")).order_by(OUTBOX.c.id))


def claim_deliveries(session: Session, now: datetime, *, limit: int, token: str,
                     lease: timedelta) -> list[Delivery]:
    ids = _claim(session, _CLAIM_DELIVERIES, now=now, limit=limit, token=token, lease=lease)
    if not ids:
        return []
    return [Delivery(*row) for row in session.execute(_CLAIMED_DELIVERIES, {"ids": ids})]


def settle(session: Session, message_id: int, token: str, values: dict[str, Any]) -> bool:
    """Record a delivery's outcome, only if the claim is still ours (else another instance took it over)."""
    result = session.execute(sa.update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.claim == token)
                             .values(claim=None, lease_until=None, **values))
    return cast(sa.CursorResult[Any], result).rowcount == 1


# --- outbox: reading ---------------------------------------------------------------------------------------

def outbox_row(session: Session, message_id: int,
               where: sa.ColumnElement[bool] | None = None) -> OutboxRecord | None:
    row = session.execute(sa.select(*_OUTBOX_COLUMNS).where(OUTBOX.c.id == message_id,
                                                            sa.true() if where is None else where)).first()
    return None if row is None else OutboxRecord(*row)


def outbox_page(session: Session, where: sa.ColumnElement[bool], *, after_id: int, limit: int,
                newest_first: bool = False) -> list[OutboxRecord]:
    query = sa.select(*_OUTBOX_COLUMNS).where(where)
    if newest_first:
        query = query.where(OUTBOX.c.id < after_id) if after_id else query
        query = query.order_by(OUTBOX.c.id.desc()).limit(limit)
    else:
        query = query.where(OUTBOX.c.id > after_id).order_by(OUTBOX.c.id).limit(limit)
    return [OutboxRecord(*row) for row in session.execute(query)]


def update_outbox(session: Session, message_id: int, where: sa.ColumnElement[bool], values: dict[str, Any]) -> bool:
    result = session.execute(sa.update(OUTBOX).where(OUTBOX.c.id == message_id, where).values(**values))
    return cast(sa.CursorResult[Any], result).rowcount == 1


_ALLIANCES_BY_ID = prepared(sa.select(*record_columns(ALLIANCES, AllianceAddress))
                            .where(in_ids(ALLIANCES.c.id, "ids")))


def alliances_by_id(session: Session, alliance_ids: Iterable[int]) -> dict[int, AllianceAddress]:
    ids = list(alliance_ids)
    if not ids:
        return {}
    return {int(row.id): AllianceAddress(*row) for row in session.execute(_ALLIANCES_BY_ID, {"ids": ids})}


# --- people and mutes --------------------------------------------------------------------------------------

_PEOPLE = sa.select(*record_columns(USERS, Person)).where(
    USERS.c.role == sa.bindparam("role", type_=sa.String)).order_by(USERS.c.id)
# Whom a notification tells: everyone of a role, of some organisations, or of one alliance.
_PEOPLE_BY = {
    (False, False): prepared(_PEOPLE),
    (True, False): prepared(_PEOPLE.where(in_ids(USERS.c.organisation_id, "organisations"))),
    (False, True): prepared(_PEOPLE.where(USERS.c.alliance_id == sa.bindparam("alliance", type_=sa.Integer))),
    (True, True): prepared(_PEOPLE.where(in_ids(USERS.c.organisation_id, "organisations"),
                                         USERS.c.alliance_id == sa.bindparam("alliance", type_=sa.Integer))),
}


def users(session: Session, *, role: str, organisation_ids: Iterable[int] = (),
          alliance_id: int | None = None) -> list[Person]:
    org_ids = list(organisation_ids)
    params: dict[str, Any] = {"role": role}
    if org_ids:
        params["organisations"] = org_ids
    if alliance_id is not None:
        params["alliance"] = alliance_id
    return [Person(*row) for row in session.execute(_PEOPLE_BY[bool(org_ids), alliance_id is not None], params)]


_MUTES_OF_MANY = prepared(sa.select(MUTES.c.user_id, MUTES.c.topic, MUTES.c.channel)
                          .where(in_ids(MUTES.c.user_id, "users")))


def mutes_of_many(session: Session, user_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    ids = list(user_ids)
    if not ids:
        return []
    return [(int(u), str(t), str(c)) for u, t, c in session.execute(_MUTES_OF_MANY, {"users": ids})]


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


# --- outbox: typed reads for the inbox and the operator's view (workflow/notify/outbox.py) --------------------

@dataclass(frozen=True)
class Notification:
    """An outbox message as its reader (the inbox) or an operator sees it."""

    id: int
    channel: str
    kind: str
    topic: str
    status: str
    subject: str
    body: str
    proposal_id: int | None
    user_id: int | None
    alliance_id: int | None
    address: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None
    next_attempt_at: datetime | None


def _notification(row: OutboxRecord) -> Notification:
    return Notification(
        id=row.id, channel=row.channel, kind=row.kind, topic=row.topic, status=row.status, subject=row.subject,
        body=row.body, proposal_id=row.proposal_id, user_id=row.user_id, alliance_id=row.alliance_id,
        address=row.address, attempts=row.attempts, last_error=row.last_error, created_at=row.created_at,
        sent_at=row.sent_at, read_at=row.read_at, next_attempt_at=row.next_attempt_at)


def _inbox_of(user_id: int) -> sa.ColumnElement[bool]:
    """A person's in-app notifications: written for them, and delivered by being written."""
    return sa.and_(OUTBOX.c.user_id == user_id, OUTBOX.c.channel == "inapp", OUTBOX.c.status == "sent")


def inbox_page(session: Session, user_id: int, *, unread_only: bool, before_id: int,
               limit: int) -> list[Notification]:
    """A page of the person's in-app notifications, newest first, before `before_id` (0: from the newest)."""
    where = _inbox_of(user_id)
    if unread_only:
        where = sa.and_(where, OUTBOX.c.read_at.is_(None))
    return [_notification(r) for r in outbox_page(session, where, after_id=before_id, limit=limit,
                                                  newest_first=True)]


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> Notification | None:
    """Mark one of the person's in-app notifications read (once: a second time leaves the first moment); None if
    it is not theirs."""
    mine = _inbox_of(user_id)
    update_outbox(session, notification_id, sa.and_(mine, OUTBOX.c.read_at.is_(None)), {"read_at": now})
    row = outbox_row(session, notification_id, mine)
    return None if row is None else _notification(row)


def messages_page(session: Session, status: str | None, *, after_id: int, limit: int) -> list[Notification]:
    """A page of every outbox message (of one status, or all), in id order after `after_id`."""
    where: sa.ColumnElement[bool] = sa.true() if status is None else OUTBOX.c.status == status
    return [_notification(r) for r in outbox_page(session, where, after_id=after_id, limit=limit)]


def message(session: Session, message_id: int) -> Notification | None:
    row = outbox_row(session, message_id)
    return None if row is None else _notification(row)


def send_again(session: Session, message_id: int, status: str, now: datetime) -> None:
    """Make a message pending again with a fresh count of attempts, if it is still in `status`."""
    update_outbox(session, message_id, OUTBOX.c.status == status, {
        "status": "pending", "attempts": 0, "next_attempt_at": now, "claim": None, "lease_until": None})


# Built once (this runs on every step): the alliance's webhook, and its applicants of one organisation but the
# actor (0 when the system acts: ids start at 1), each with their mutes of one topic.
_AUDIENCE = prepared(
    sa.select(ALLIANCES.c.webhook_url, USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.language, MUTES.c.channel)
    .select_from(
        ALLIANCES.outerjoin(USERS, sa.and_(USERS.c.role == Role.APPLICANT.value,
                                           USERS.c.organisation_id == sa.bindparam("organisation"),
                                           USERS.c.id != sa.bindparam("actor")))
        .outerjoin(MUTES, sa.and_(MUTES.c.user_id == USERS.c.id, MUTES.c.topic == sa.bindparam("topic"))))
    .where(ALLIANCES.c.id == sa.bindparam("alliance"))
    .order_by(USERS.c.id)
)


def step_audience(session: Session, *, alliance_id: int, organisation_id: int | None, actor_id: int | None,
                  topic: str) -> list[AudienceRow]:
    """The alliance's webhook URL on every row, and the organisation's applicants (but the actor) with their mutes
    of `topic`, one row per mute. One query: the alliance row always exists, so its webhook comes back even when
    nobody else is to be told."""
    return [AudienceRow(*row) for row in session.execute(_AUDIENCE, {
        "organisation": organisation_id, "actor": actor_id or 0, "alliance": alliance_id, "topic": topic})]
