"""Cursor listeners hear every statement of a step in full, on SQLite and PostgreSQL: tracing and timing rely on it.

A step's prepared statements run on the driver path (workflow/persistence/driver.py), the others through
SQLAlchemy's own execution. Either way a before_cursor_execute listener gets the DBAPI cursor and an execution
context, an after_cursor_execute listener hears the very same statements, and the step sends what SQLAlchemy's
own execution would send for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import ExecutionContext

from tests.factories import WHILE_OPEN, World, make_world, proposal_in
from workflow.context import Context
from workflow.people.roles import Role
from workflow.persistence.driver import DriverSession


@contextmanager
def cursor_events(ctx: Context) -> Iterator[dict[str, list[tuple[str, Any, Any]]]]:
    """What each of the two cursor listeners heard while the block ran: (statement, cursor, context)."""
    heard: dict[str, list[tuple[str, Any, Any]]] = {"before": [], "after": []}

    def before(_conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        heard["before"].append((statement, cursor, context))

    def after(_conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        heard["after"].append((statement, cursor, context))

    sa.event.listen(ctx.db.engine, "before_cursor_execute", before)
    sa.event.listen(ctx.db.engine, "after_cursor_execute", after)
    try:
        yield heard
    finally:
        sa.event.remove(ctx.db.engine, "before_cursor_execute", before)
        sa.event.remove(ctx.db.engine, "after_cursor_execute", after)


def submitted(ctx: Context, world: World) -> dict[str, list[tuple[str, Any, Any]]]:
    """The cursor events of one step: a draft submitted (state, audit row, deadlines, notifications)."""
    proposal_id, version = proposal_in(ctx, world, "draft")
    with cursor_events(ctx) as heard:
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=version,
                           now=WHILE_OPEN)
    return heard


def test_both_cursor_listeners_hear_every_statement_of_a_step_with_its_cursor_and_context(ctx: Context) -> None:
    heard = submitted(ctx, make_world(ctx))
    before, after = heard["before"], heard["after"]
    assert [s for s, _, _ in before] == [s for s, _, _ in after]
    assert any(s.startswith("UPDATE proposals") for s, _, _ in before), before
    assert any(s.startswith("INSERT INTO audit_events") for s, _, _ in before), before
    for (statement, cursor, context), (_, cursor_after, context_after) in zip(before, after, strict=True):
        assert cursor is not None and callable(cursor.execute) and cursor_after is cursor, statement
        assert isinstance(context, ExecutionContext) and context_after is context, statement
        assert context.cursor is cursor and context.statement == statement, statement
        assert context.connection is not None and context.dialect.name == ctx.db.dialect, statement


def test_a_step_sends_what_sqlalchemys_own_execution_sends(ctx: Context, monkeypatch: Any) -> None:
    world = make_world(ctx)
    fast = [s for s, _, _ in submitted(ctx, world)["before"]]
    monkeypatch.setattr(DriverSession, "_driver_off", True)
    own = [s for s, _, _ in submitted(ctx, world)["before"]]
    assert fast == own
