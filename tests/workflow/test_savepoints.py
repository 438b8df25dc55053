"""A savepoint inside a write holds on every path a statement can take, on SQLite and PostgreSQL.

The sweep takes a system step inside `session.begin_nested()` and relies on a refused step leaving nothing behind
while the deadline's own rows commit. Prepared statements run on the driver path
(workflow/persistence/driver.py), on both databases: they must run inside the savepoint too, not around it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from tests.workflow.test_driver import outbox_row
from workflow.context import Context
from workflow.notify import store

NOW = datetime(2026, 5, 24, 7, 0, tzinfo=UTC)


class Refused(Exception):
    pass


def write_then_refuse(session: Session, rows: list[dict[str, Any]]) -> None:
    """Inside a savepoint: a prepared statement (the driver path), then a refusal."""
    with session.begin_nested():
        store.insert_outbox(session, rows)
        raise Refused


def keys_stored(ctx: Context) -> set[str]:
    with ctx.db.read() as session:
        return set(session.execute(sa.select(store.OUTBOX.c.key)).scalars())


@pytest.mark.parametrize("before", [False, True], ids=["savepoint first", "a write before the savepoint"])
@pytest.mark.parametrize("rows", [1, 2], ids=["one row", "an executemany"])
def test_prepared_writes_inside_a_rolled_back_savepoint_are_undone(ctx: Context, before: bool, rows: int) -> None:
    inner = [outbox_row(f"inner{n}") for n in range(rows)]
    with ctx.db.write() as session:
        if before:
            store.insert_outbox(session, [outbox_row("outer-before")])
        with pytest.raises(Refused):
            write_then_refuse(session, inner)
        store.insert_outbox(session, [outbox_row("outer-after")])
    assert keys_stored(ctx) == {"outer-after"} | ({"outer-before"} if before else set())


def test_prepared_writes_inside_a_released_savepoint_commit(ctx: Context) -> None:
    with ctx.db.write() as session:
        with session.begin_nested():
            store.insert_outbox(session, [outbox_row("inner")])
        store.insert_outbox(session, [outbox_row("outer")])
    assert keys_stored(ctx) == {"inner", "outer"}


def test_the_database_sees_the_savepoint(ctx: Context) -> None:
    """What the server ran, in order: the savepoint around the insert, and its rollback."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.upper().split(maxsplit=2)
        seen.append("ROLLBACK TO" if words[:2] == ["ROLLBACK", "TO"] else words[0])

    event.listen(ctx.db.engine, "before_cursor_execute", note)
    try:
        with ctx.db.write() as session, pytest.raises(Refused):
            write_then_refuse(session, [outbox_row("inner")])
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", note)
    assert "SAVEPOINT" in seen and "ROLLBACK TO" in seen
    assert seen.index("SAVEPOINT") < seen.index("INSERT") < seen.index("ROLLBACK TO")
