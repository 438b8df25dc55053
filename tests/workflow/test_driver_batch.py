"""The sweep's bulk writes handed to the driver store exactly what SQLAlchemy's own executemany stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from workflow.context import Context
from workflow.driver_batch import DriverBatch
from workflow.notify import store

NOW = datetime(2026, 5, 24, 7, 0, tzinfo=UTC)
LEIPZIG_SUMMER = timezone(timedelta(hours=2))


def outbox_row(key: str, **changes: Any) -> dict[str, Any]:
    row = {"key": key, "channel": "inapp", "kind": "reminder", "topic": "revision", "user_id": None,
           "alliance_id": None, "proposal_id": None, "deadline_id": None, "address": None,
           "subject": "Frist läuft ab – “Überarbeitung”", "body": "Bitte bis 31.05. einreichen.\n",
           "payload": {"ä": [1, 2.5, None, True], "nested": {"x": "ü"}}, "status": "sent", "last_error": None,
           "next_attempt_at": None, "created_at": NOW, "sent_at": NOW.astimezone(LEIPZIG_SUMMER)}
    return row | changes


def stored(ctx: Context, keys: list[str]) -> list[tuple[Any, ...]]:
    """Every column but id and key, as the database gives them back and as text (SQLite compares the text)."""
    columns = [c for c in store.OUTBOX.columns if c.key not in ("id", "key")]
    with ctx.db.read() as session:
        return [tuple(r) for r in session.execute(
            sa.select(*columns, *(sa.cast(c, sa.Text) for c in columns)).where(store.OUTBOX.c.key.in_(keys))
            .order_by(store.OUTBOX.c.key))]


@pytest.mark.parametrize("every_column", [False, True], ids=["with a column default", "every value given"])
def test_rows_written_through_the_driver_read_back_as_sqlalchemys_own(ctx: Context, every_column: bool) -> None:
    given = {"attempts": 2} if every_column else {}  # all values from the rows: the batch takes its quicker path
    rows = [outbox_row("a1", **given),
            outbox_row("a2", next_attempt_at=NOW + timedelta(microseconds=1), payload={}, **given),
            outbox_row("a3", sent_at=None, status="pending", last_error="SMTP 451", **given)]
    with ctx.db.write() as session:
        store.insert_outbox(session, rows)
        # The same rows once more, through SQLAlchemy itself, under other keys.
        session.execute(sa.insert(store.OUTBOX), [r | {"key": "b" + r["key"][1:]} for r in rows])
    assert stored(ctx, ["a1", "a2", "a3"]) == stored(ctx, ["b1", "b2", "b3"])
    # A key written before is left as it is (ON CONFLICT DO NOTHING), on the driver path too.
    with ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("a1", subject="anders", **given)])
    assert stored(ctx, ["a1"]) == stored(ctx, ["b1"])


def test_a_batch_refuses_rows_with_different_keys_and_writes_none_of_them(ctx: Context) -> None:
    batch = DriverBatch(sa.insert(store.OUTBOX))
    # The driver path says so itself; SQLAlchemy's own (PostgreSQL) names the missing value.
    with pytest.raises((ValueError, sa.exc.StatementError)), ctx.db.write() as session:
        batch.execute(session, [outbox_row("c1"), {k: v for k, v in outbox_row("c2").items() if k != "address"}])
    assert stored(ctx, ["c1", "c2"]) == []
