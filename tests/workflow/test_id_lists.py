"""`in_ids`: a list of ids as one parameter finds exactly the rows `IN (...)` finds, on both databases, through
the driver path and through SQLAlchemy's, and the sweep's statements built with it stay on their indexes.

The query plans are read on an empty SQLite file (no statistics): they show which index a statement can use, not
what the planner picks on a large analysed table (bench/ measures that)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from tests.factories import make_world, proposal_in
from workflow.context import Context, build_context
from workflow.notify import store
from workflow.persistence import migrate
from workflow.persistence.driver import prepared
from workflow.persistence.id_lists import in_ids
from workflow.proposals import store as repo
from workflow.settings import Settings

_BY_ID = sa.select(repo.PROPOSALS.c.id).where(in_ids(repo.PROPOSALS.c.id, "ids")).order_by(repo.PROPOSALS.c.id)
_BY_ID_PREPARED = prepared(sa.select(repo.PROPOSALS.c.id).where(in_ids(repo.PROPOSALS.c.id, "ids"))
                           .order_by(repo.PROPOSALS.c.id))


@pytest.fixture
def proposal_ids(ctx: Context) -> list[int]:
    world = make_world(ctx)
    return sorted(proposal_in(ctx, world, "draft", title=f"Antrag {n}")[0] for n in range(5))


@pytest.mark.parametrize("statement", [_BY_ID, _BY_ID_PREPARED], ids=["sqlalchemy", "prepared"])
def test_finds_exactly_the_ids_given(ctx: Context, proposal_ids: list[int], statement: sa.Select[tuple[int]]) -> None:
    first, second, *_, last = proposal_ids
    cases: list[tuple[list[int] | tuple[int, ...] | set[int], list[int]]] = [
        ([first, last], [first, last]),
        ((last, first, first), [first, last]),  # order and repeats do not matter
        ({second}, [second]),
        ([], []),
        ([max(proposal_ids) + 1000], []),  # an id that is not there
        (list(range(1, 2001)), proposal_ids),  # more ids than a statement could take as placeholders on old SQLite
    ]
    with ctx.db.read() as session:
        for given, expected in cases:
            assert list(session.execute(statement, {"ids": given}).scalars()) == expected, given
            assert list(session.execute(sa.select(repo.PROPOSALS.c.id).where(repo.PROPOSALS.c.id.in_(list(given)))
                                        .order_by(repo.PROPOSALS.c.id)).scalars()) == expected


def test_takes_any_iterable_once(ctx: Context, proposal_ids: list[int]) -> None:
    """A generator is read once, into the one parameter."""
    first, *_, last = proposal_ids
    with ctx.db.read() as session:
        assert list(session.execute(_BY_ID_PREPARED, {"ids": (i for i in (last, first))}).scalars()) == [first, last]


@pytest.mark.parametrize("bad", ["1,2", None, [1, "zwei"], [1, "3"], [2.9], [True]],
                         ids=["a string", "nothing", "a word among ids", "a number as text", "a fraction", "a truth"])
def test_refuses_what_is_not_a_list_of_ids(ctx: Context, proposal_ids: list[int], bad: object) -> None:
    with ctx.db.read() as session, pytest.raises(sa.exc.StatementError):
        session.execute(_BY_ID_PREPARED, {"ids": bad}).all()


def test_one_statement_for_every_length() -> None:
    """The point of it: the SQL does not depend on how many ids come (SQLAlchemy's in_ renders one placeholder
    per id at each execution)."""
    compiled = str(_BY_ID.compile(dialect=sqlite.dialect()))
    assert compiled.count("?") == 1 and "json_each" in compiled and "POSTCOMPILE" not in compiled


def test_statements_differ_in_the_cache_by_column_and_name() -> None:
    """SQLAlchemy caches compiled statements by key: two lists on other columns or under other names must not
    share an entry, and the same statement built twice must."""
    def key(column: sa.ColumnElement[int], name: str) -> object:
        cache_key = sa.select(repo.PROPOSALS.c.id).where(in_ids(column, name))._generate_cache_key()
        assert cache_key is not None
        return cache_key.key

    assert key(repo.PROPOSALS.c.id, "ids") == key(repo.PROPOSALS.c.id, "ids")
    assert key(repo.PROPOSALS.c.id, "ids") != key(repo.PROPOSALS.c.round_id, "ids")
    assert key(repo.PROPOSALS.c.id, "ids") != key(repo.PROPOSALS.c.id, "other")


def test_people_by_role_organisations_and_alliance(ctx: Context) -> None:
    """Each of the four prepared forms of `users` finds what the plain query with the same filters finds."""
    world = make_world(ctx)
    organisations = [world.organisation_id, world.other_organisation_id]
    with ctx.db.read() as session:
        for role in ("applicant", "manager", "reviewer", "bank"):
            for orgs in ([], organisations, [world.organisation_id]):
                for alliance in (None, world.alliance_id, world.other_alliance_id):
                    query = sa.select(repo.USERS.c.id).where(repo.USERS.c.role == role).order_by(repo.USERS.c.id)
                    if orgs:
                        query = query.where(repo.USERS.c.organisation_id.in_(orgs))
                    if alliance is not None:
                        query = query.where(repo.USERS.c.alliance_id == alliance)
                    expected = list(session.execute(query).scalars())
                    found = [p.id for p in store.users(session, role=role, organisation_ids=orgs,
                                                       alliance_id=alliance)]
                    assert found == expected, (role, orgs, alliance)
        assert store.users(session, role="applicant", organisation_ids=[world.organisation_id])


def _plan(context: Context, statement: sa.Executable, parameters: tuple[object, ...]) -> str:
    sql = str(statement.compile(dialect=context.db.engine.dialect))
    with context.db.engine.connect() as connection:
        return " | ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}",
                                                                             parameters))


def test_budget_sum_reads_the_funding_years_index_alone(tmp_path: Path) -> None:
    """"The budget covers it" sums the binding proposals' years from the covering index (migration 0010): on an
    alliance with hundreds of binding proposals, visiting each year's row took three times as long."""
    context = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'plan.db'}"))
    try:
        migrate.upgrade(context.db)
        plan = _plan(context, repo._BOUND, (0, 1, 1))
        assert "COVERING INDEX ix_funding_years_binding" in plan, plan
    finally:
        context.close()


def test_sweep_reads_claimed_rows_by_primary_key(tmp_path: Path) -> None:
    """On SQLite the claimed rows are found by their ids, not by walking the (status, next_fire_at) index over
    every open row (4 s per 10,000 claimed among 1,000,000 in bench/sweep.py when that happened)."""
    context = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'plan.db'}"))
    try:
        migrate.upgrade(context.db)
        plan = _plan(context, store._CLAIMED, ("[1, 2, 3]", "token"))
        assert "INTEGER PRIMARY KEY" in plan, plan
        assert "ix_deadlines" not in plan, plan
    finally:
        context.close()
