"""What a transition writes, page by page: the indexes whose keys it changes, and no others (SQLite).

Every page a step touches goes to the write-ahead log at COMMIT and back into the database at the next checkpoint,
so an index rewritten for nothing costs every step. Migration 0011 and the step's UPDATE, which assigns
`binds_budget` only when it changes, took a proof-of-use step from 16.7 to 11.7 pages (README "Performance").

The pages are read from the log itself: a TRUNCATE checkpoint empties it before the step, each frame then names
the page it holds, and SQLite's dbstat table says which table or index owns that page. The lookups by a nullable
reference still find their rows through the partial indexes (query plans, on both databases).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.factories import fire_as_allowed, make_world, procedure_of, proposal_in
from workflow.context import Context
from workflow.persistence.db import sqlite_file
from workflow.proposals import store as repo
from workflow.review import store as review_store
from workflow.versioning import store as versioning_store

NEVER_BY_A_PROPOSALS_STEP = {"ix_proposals_procedure", "ix_audit_events_session_id", "ix_deadlines_round_id",
                             "ix_deadlines_alliance_id"}
_WAL_HEADER, _FRAME_HEADER = 32, 24
T = TypeVar("T")


def pages_written(ctx: Context, write: Callable[[], T]) -> tuple[set[str], T]:
    """The tables and indexes whose pages `write` put into the log, and what `write` returned."""
    path = sqlite_file(ctx.db.url)
    assert path is not None
    with _connection(path) as connection:
        busy, *_ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "a reader held the log: the checkpoint could not empty it"
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size == 0
    result = write()
    log = wal.read_bytes()
    page_size = int.from_bytes(log[8:12], "big")
    pages = {int.from_bytes(log[at:at + 4], "big")
             for at in range(_WAL_HEADER, len(log), _FRAME_HEADER + page_size)}
    with _connection(path) as connection:
        owner = dict(connection.execute("SELECT pageno, name FROM dbstat"))
    assert pages and pages <= owner.keys(), "every page of the log belongs to a table or an index"
    return {owner[page] for page in pages}, result


@contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def binds_money(ctx: Context, proposal_id: int) -> bool:
    """Whether the alliance's binding proposals, as the budget's sum finds them (by the partial index), include it."""
    with ctx.db.read() as session:
        return proposal_id in set(session.execute(sa.text(
            "SELECT id FROM proposals WHERE alliance_id = (SELECT alliance_id FROM proposals WHERE id = :id) "
            "AND binds_budget"), {"id": proposal_id}).scalars())


@pytest.mark.own_sqlite_files
@pytest.mark.parametrize(("transition", "opens_a_deadline"), [("submit_proof_of_use", False),
                                                               ("return_proof_of_use", True)])
def test_a_step_leaves_the_indexes_it_does_not_change_alone(sqlite_ctx: Context, transition: str,
                                                            opens_a_deadline: bool) -> None:
    """The proof of use submitted closes its deadline; returned for corrections, it opens a new one (the path of
    bench.transitions_http, on version 1 of the procedure)."""
    ctx = sqlite_ctx
    world = make_world(ctx, procedure_version=1)
    proposal_id, version = proposal_in(ctx, world, "in_implementation")
    procedure = procedure_of(ctx, proposal_id)
    if transition == "return_proof_of_use":
        version = fire_as_allowed(ctx, world, proposal_id, procedure.transitions["submit_proof_of_use"], version)

    written, _ = pages_written(
        ctx, lambda: fire_as_allowed(ctx, world, proposal_id, procedure.transitions[transition], version))

    # What the step changes: the row, its state's indexes, the history, the deadlines it closes or opens.
    assert {"proposals", "ix_proposals_state", "ix_proposals_alliance_state", "audit_events",
            "sqlite_autoindex_audit_events_1", "deadlines", "ix_deadlines_status_next_fire"} <= written
    assert ("ix_deadlines_proposal_id" in written) == opens_a_deadline, written
    # What it does not: the procedure, a session, a round's or an alliance's deadlines (none on a new proposal's
    # deadline), and the budget binding (bound in implementation as before).
    assert not written & (NEVER_BY_A_PROPOSALS_STEP | {"ix_proposals_binding"}), written


def test_the_indexes_of_nullable_references_are_partial(ctx: Context) -> None:
    """On both databases: alembic's comparison of the schema with the models does not look at an index's WHERE."""
    partial = {"ix_audit_events_session_id": "session_id", "ix_deadlines_round_id": "round_id",
               "ix_deadlines_alliance_id": "alliance_id", "ix_proposals_binding": "binds_budget"}
    with ctx.db.engine.connect() as connection:
        if ctx.db.dialect == "postgresql":
            found = dict(connection.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
                {"names": list(partial)}).all())
        else:
            found = dict(connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN "
                "(SELECT value FROM json_each(:names))"), {"names": json.dumps(list(partial))}).all())
    assert found.keys() == partial.keys()
    for name, column in partial.items():
        condition = found[name].split(" WHERE ", 1)[-1] if " WHERE " in found[name] else ""
        assert column in condition, found[name]


@pytest.mark.own_sqlite_files
def test_a_step_that_binds_or_frees_money_rewrites_the_binding_index(sqlite_ctx: Context) -> None:
    ctx = sqlite_ctx
    world = make_world(ctx)
    procedure = procedure_of(ctx, proposal_in(ctx, world, "draft")[0])
    prioritise, withdraw = procedure.transitions["prioritise"], procedure.transitions["withdraw"]
    proposal_id, version = proposal_in(ctx, world, "in_review", title="Bindet Geld")
    assert not binds_money(ctx, proposal_id)

    binds, version = pages_written(ctx,
                                   lambda: fire_as_allowed(ctx, world, proposal_id, prioritise, version))
    assert "ix_proposals_binding" in binds and not binds & NEVER_BY_A_PROPOSALS_STEP, binds
    assert binds_money(ctx, proposal_id)

    frees, _ = pages_written(ctx, lambda: fire_as_allowed(ctx, world, proposal_id, withdraw, version))
    assert "ix_proposals_binding" in frees, frees
    assert not binds_money(ctx, proposal_id)


def explained(ctx: Context, query: Callable[[Session], object]) -> list[str]:
    """The plans of the statements `query` runs, as the database under test would run them (on PostgreSQL
    without sequential scans, which an empty table would always prefer)."""
    statements: list[tuple[str, Any]] = []

    def heard(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    sa.event.listen(ctx.db.engine, "before_cursor_execute", heard)
    try:
        with ctx.db.read() as session:
            query(session)
    finally:
        sa.event.remove(ctx.db.engine, "before_cursor_execute", heard)
    postgres = ctx.db.dialect == "postgresql"
    plans = []
    with ctx.db.engine.connect() as connection:
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                rows = connection.exec_driver_sql(f"EXPLAIN {'' if postgres else 'QUERY PLAN '}{statement}",
                                                  parameters).all()
                plans.append(" | ".join(str(row[-1]) for row in rows))
    assert plans, "the query ran no SELECT"
    return plans


@pytest.mark.parametrize(("query", "index"), [
    (lambda session: review_store.decisions_in(session, 1), "ix_audit_events_session_id"),
    (lambda session: repo.open_alliance_deadlines(session, 1), "ix_deadlines_alliance_id"),
    (lambda session: session.execute(sa.select(repo.DEADLINES.c.id).where(repo.DEADLINES.c.round_id == 1)).all(),
     "ix_deadlines_round_id"),
    (lambda session: versioning_store.candidates(session, "saxony-regional", 1, ["draft"], after=0, limit=10),
     "ix_proposals_procedure"),
], ids=["minutes-by-session", "alliance-deadlines", "round-deadlines", "migration-candidates"])
def test_lookups_use_the_narrowed_indexes(
        ctx: Context, query: Callable[[Session], object], index: str) -> None:
    plans = explained(ctx, query)
    assert any(index in plan for plan in plans), plans
