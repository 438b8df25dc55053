"""Prepared statements on the driver path store and read exactly what SQLAlchemy's own execution does, and fail
with its errors, on SQLite and PostgreSQL alike (workflow/persistence/driver.py). Cursor events:
test_cursor_events.py; savepoints: test_savepoints.py.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from tests.factories import WHILE_OPEN, make_world, proposal_in
from workflow.context import Context
from workflow.notify import store
from workflow.notify.store import _AUDIENCE
from workflow.people.roles import Role
from workflow.persistence.driver import DriverContext, prepared, unsupported
from workflow.proposals import store as repo
from workflow.review import store as review_store

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


@contextmanager
def statements_through_sqlalchemy(ctx: Context) -> Iterator[list[str]]:
    """The SQL that SQLAlchemy's own execution sends while the block runs. Listeners hear the driver path too,
    with an execution context of its own."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        if not isinstance(context, DriverContext):
            seen.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("every_column", [False, True], ids=["with a column default", "every value given"])
@pytest.mark.parametrize("count", [1, 3], ids=["one row", "an executemany"])
def test_rows_written_through_the_driver_read_back_as_sqlalchemys_own(ctx: Context, every_column: bool,
                                                                      count: int) -> None:
    given = {"attempts": 2} if every_column else {}  # all values from the rows: the batch takes its quicker path
    rows = [outbox_row("a1", **given),
            outbox_row("a2", next_attempt_at=NOW + timedelta(microseconds=1), payload={}, **given),
            outbox_row("a3", sent_at=None, status="pending", last_error="SMTP 451", payload=None, **given)][:count]
    with ctx.db.write() as session:
        store.insert_outbox(session, rows)
        # The same rows once more, through SQLAlchemy itself (a statement that is not prepared), under other keys.
        session.execute(sa.insert(store.OUTBOX), [r | {"key": "b" + r["key"][1:]} for r in rows])
    a_keys, b_keys = [r["key"] for r in rows], ["b" + r["key"][1:] for r in rows]
    assert len(stored(ctx, a_keys)) == count
    assert stored(ctx, a_keys) == stored(ctx, b_keys)
    # A key written before is left as it is (ON CONFLICT DO NOTHING), on the driver path too.
    with ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("a1", subject="anders", **given)])
    assert stored(ctx, ["a1"]) == stored(ctx, ["b1"])


def test_an_executemany_refuses_rows_with_different_keys_and_writes_none_of_them(ctx: Context) -> None:
    # The driver path says so itself; SQLAlchemy's own (PostgreSQL) names the missing value.
    with pytest.raises((ValueError, sa.exc.StatementError)), ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("c1"), {k: v for k, v in outbox_row("c2").items()
                                                        if k != "address"}])
    assert stored(ctx, ["c1", "c2"]) == []


def sqlalchemys_own(ctx: Context, statement: Any, params: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """The statement run by SQLAlchemy on a plain connection: keys, then the rows as tuples."""
    with ctx.db.engine.connect() as connection:
        result = connection.execute(statement, params)
        return [(tuple(result.keys()), [tuple(r) for r in result])]


def through_the_session(ctx: Context, statement: Any, params: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    with ctx.db.read() as session:
        result = session.execute(statement, params)
        return [(tuple(result.keys()), [tuple(r) for r in result])]


def test_prepared_selects_give_the_rows_sqlalchemy_gives_with_the_same_types(ctx: Context) -> None:
    world = make_world(ctx)
    proposal_id, _ = proposal_in(ctx, world, "second_reading")  # open deadlines, conditions
    proposal_in(ctx, world, "prioritised", title="Zweites Projekt")  # binds budget money
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    cases: list[tuple[Any, dict[str, Any]]] = [
        (repo._PROPOSAL, {"id": proposal_id}),
        (repo._OPEN_DEADLINES, {"id": proposal_id}),
        (repo._PLAN, {"id": proposal_id}),
        (repo._ROUND, {"id": row.round_id}),
        (repo._BOUND, {"alliance": row.alliance_id, "proposal": 0}),
        (_AUDIENCE, {"organisation": row.organisation_id, "actor": 0, "alliance": row.alliance_id,
                     "topic": "proposal_step"}),
        (review_store._MEMBERS_OF_ALLIANCE, {"role": "reviewer", "alliance": row.alliance_id}),
        (review_store._CONDITIONS, {"proposal": proposal_id}),
    ]
    for statement, params in cases:
        own, ours = sqlalchemys_own(ctx, statement, params), through_the_session(ctx, statement, params)
        assert ours == own, statement
        assert ours[0][1], f"no rows to compare: {statement}"
    # Aware times come back aware, JSON as Python values, as SQLAlchemy gives them.
    first = through_the_session(ctx, repo._OPEN_DEADLINES, {"id": proposal_id})[0][1][0]
    assert any(isinstance(v, datetime) and v.tzinfo is not None for v in first)


def test_an_update_reports_the_rows_it_changed(ctx: Context) -> None:
    world = make_world(ctx)
    proposal_id, version = proposal_in(ctx, world, "submitted")
    step: dict[str, Any] = {"state": "in_review", "now": NOW, "binds_budget": False, "alliance_stage": True,
                            "bank_stage": False}
    with ctx.db.write() as session:
        assert not repo.step_proposal(session, proposal_id, version + 1, **step)  # stale: nothing changed
        assert repo.step_proposal(session, proposal_id, version, **step)
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None and (row.state, row.version, row.updated_at) == ("in_review", version + 1, NOW)


DIALECTS = [sqlite.pysqlite.dialect(), postgresql.psycopg.dialect()]


def test_every_prepared_statement_runs_on_the_driver_on_both_databases(ctx: Context) -> None:
    for dialect in DIALECTS:
        assert unsupported(dialect) == [], dialect.name
    # An expanding IN list cannot: it is refused here, so that a statement like it is not silently slow.
    expanding = prepared(sa.select(repo.PROPOSALS.c.id).where(repo.PROPOSALS.c.id.in_(sa.bindparam("ids",
                                                                                               expanding=True))))
    for dialect in DIALECTS:
        assert str(expanding) in unsupported(dialect), dialect.name
    # ... and still gives the right answer, through SQLAlchemy.
    with ctx.db.read() as session:
        assert session.execute(expanding, {"ids": [1, 2]}).all() == []


def test_a_step_sends_its_prepared_statements_past_sqlalchemy(ctx: Context) -> None:
    world = make_world(ctx)
    proposal_id, version = proposal_in(ctx, world, "draft")
    heard: list[str] = []
    event.listen(ctx.db.engine, "before_cursor_execute", lambda _c, _k, statement, *_: heard.append(statement))
    with statements_through_sqlalchemy(ctx) as seen:
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=version,
                           now=WHILE_OPEN)
    assert not [s for s in seen if s.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE"))], seen
    # ... and listeners still hear each of them: the state, the audit row, the reading of open deadlines.
    assert any(s.startswith("UPDATE proposals") for s in heard), heard
    assert any(s.startswith("INSERT INTO audit_events") for s in heard), heard
    assert any("FROM deadlines" in s for s in heard), heard


def test_a_failed_write_leaves_nothing_and_the_next_write_commits(ctx: Context) -> None:
    class Boom(Exception):
        pass

    def written_then_failed() -> None:
        with ctx.db.write() as session:
            store.insert_outbox(session, [outbox_row("d1")])
            raise Boom

    with pytest.raises(Boom):
        written_then_failed()
    assert stored(ctx, ["d1"]) == []
    with ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("d2")])
    assert len(stored(ctx, ["d2"])) == 1
    # A writer left inside a transaction (a write cut off before its rollback) is not joined by the next write,
    # which would then never commit.
    writer = ctx.db._writer
    if writer is not None:
        writer.begin()
    with ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("d3")])
    assert len(stored(ctx, ["d3"])) == 1


def test_a_database_error_on_the_driver_path_is_sqlalchemys_error(ctx: Context) -> None:
    """Callers catch SQLAlchemy's exceptions (a second request with the same key meets an IntegrityError)."""
    world = make_world(ctx)
    proposal_id, version = proposal_in(ctx, world, "draft")
    audit = {"proposal_id": proposal_id, "seq": version, "at": NOW, "kind": "edited", "actor_id": None,
             "actor_name": "x", "actor_role": "system", "transition": None, "from_state": "draft",
             "to_state": "draft", "reason": None, "inputs": {}, "request_id": None,
             "procedure_key": "saxony-regional", "procedure_version": 1, "session_id": None}
    for rows in ([audit], [audit, audit | {"seq": version + 1}]):  # one row, and an executemany
        with pytest.raises(sa.exc.IntegrityError), ctx.db.write() as session:
            session.execute(repo._INSERT_AUDIT, rows)
    assert len(ctx.proposals.history(world.actor(Role.ADMIN), proposal_id)) == version


def test_a_session_inside_a_write_neither_commits_nor_rolls_back_by_itself(sqlite_ctx: Context) -> None:
    """The block's end commits; a stray commit() or rollback() inside it would split or undo part of the step.
    (On PostgreSQL the sessions are SQLAlchemy's own: there commit() and rollback() do what they say.)"""
    ctx = sqlite_ctx

    def written_then(stray: str) -> None:
        with ctx.db.write() as session:
            store.insert_outbox(session, [outbox_row(f"{stray}-1")])
            getattr(session, stray)()

    for stray in ("commit", "rollback"):
        with pytest.raises(RuntimeError, match="block"):
            written_then(stray)
        assert stored(ctx, [f"{stray}-1"]) == []


def test_a_value_a_bind_processor_refuses_is_sqlalchemys_statement_error(ctx: Context) -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), ctx.db.write() as session:
        store.insert_outbox(session, [outbox_row("naive", created_at=naive)])
    assert stored(ctx, ["naive"]) == []


def test_a_read_connection_is_closed_when_its_thread_ends(sqlite_ctx: Context) -> None:
    """SQLite's kept read connections (PostgreSQL reads take pooled ones)."""
    ctx = sqlite_ctx
    world = make_world(ctx)
    proposal_id, _ = proposal_in(ctx, world, "draft")
    before = len(ctx.db._all_readers)
    found: list[Any] = []

    def read() -> None:
        with ctx.db.read() as session:
            found.append(repo.proposal(session, proposal_id))

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert found and found[0] is not None and len(ctx.db._all_readers) == before + 1
    del worker
    gc.collect()
    assert len(ctx.db._all_readers) == before, "a worker thread that ended does not keep its connection"



def test_aware_times_and_json_round_trip_as_given(ctx: Context) -> None:
    """Stored through the driver path and read back through it: times aware and in UTC whatever zone they were
    given in, JSON as the Python values it was given as; an IntegrityError for a key stored before."""
    row = outbox_row("rt", sent_at=NOW.astimezone(LEIPZIG_SUMMER), next_attempt_at=NOW + timedelta(microseconds=7))
    with ctx.db.write() as session:
        store.insert_outbox(session, [row])
    read = prepared(sa.select(store.OUTBOX).where(store.OUTBOX.c.key == sa.bindparam("key")))
    with ctx.db.read() as session:
        back = session.execute(read, {"key": "rt"}).mappings().one()
    for column in ("created_at", "sent_at", "next_attempt_at"):
        assert back[column] == row[column] and back[column].utcoffset() == timedelta(0), column
    assert back["payload"] == row["payload"] and back["subject"] == row["subject"] and back["body"] == row["body"]
    with pytest.raises(sa.exc.IntegrityError), ctx.db.write() as session:
        session.execute(prepared(sa.insert(store.OUTBOX)), row)
