"""Statements built once and, on SQLite, run on the driver itself: the engine's hot path.

SQLAlchemy's Core execute spends 40–80 µs per statement in generic machinery (cache key, execution context,
result metadata, events) around the 5–10 µs that sqlite3 needs to run it, and a step runs about ten statements
(bench/engine.py, README "Performance"). A statement marked with `prepared(...)` where it is built (once, at
import) is compiled once per set of parameter names. Its parameters go through the very bind processors
SQLAlchemy would apply (the aware-to-naive UTC of UTCDateTime, the JSON encoding) and its result columns through
the very result processors, into real `Row`s in a real `Result`: what is stored and read back is the same
(tests/workflow/test_driver.py). A list of parameter sets is one executemany.

`DriverSession.execute` takes this path for prepared statements on SQLite. Every other statement, and every
statement on PostgreSQL, goes through SQLAlchemy as before; so does a prepared statement whose compiled form the
driver path cannot run (expanding IN lists, SQL-side defaults), which `unsupported()` lists for a test to refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Result
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlmodel import Session

Processor = Callable[[Any], Any] | None
S = TypeVar("S", bound=ClauseElement)

_FIXED, _KEY, _CALL = 0, 1, 2


@dataclass(frozen=True)
class _Plan:
    sql: str
    # Per positional parameter: where its value comes from (_KEY: the parameter set's key; _FIXED: a value fixed
    # in the statement or a column's scalar default; _CALL: a column's Python default, called per row), that
    # key, value or function, and its bind processor.
    params: tuple[tuple[int, Any, Processor], ...]
    # SELECT or RETURNING: what the result's rows are made of.
    metadata: SimpleResultMetaData | None

    @property
    def from_keys_only(self) -> bool:
        return all(source == _KEY for source, _, _ in self.params)

    def one(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for source, what, process in self.params:
            value = values[what] if source == _KEY else what(None) if source == _CALL else what
            # None goes through the processor too, as in SQLAlchemy: a JSON column stores it as JSON null.
            out.append(value if process is None else process(value))
        return tuple(out)

    def many(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them. The rows of a batch mostly share their times and payloads (the
        same `now` object), so each processed value is reused while the next row brings the very same object."""
        if not self.from_keys_only:
            return [self.one(values) for values in rows]
        pick = itemgetter(*(key for _, key, _ in self.params))
        processed = [(i, p) for i, (_, _, p) in enumerate(self.params) if p is not None]
        last_in: list[Any] = [_NOTHING] * len(processed)
        last_out: list[Any] = [None] * len(processed)
        out = []
        for values in rows:
            picked = pick(values)
            if len(self.params) == 1:
                picked = (picked,)
            if not processed:
                out.append(picked)
                continue
            row = list(picked)
            for n, (i, process) in enumerate(processed):
                value = row[i]
                if value is not last_in[n]:
                    last_in[n], last_out[n] = value, process(value)
                row[i] = last_out[n]
            out.append(tuple(row))
        return out


_NOTHING = object()


class _Prepared:
    """One statement's compiled forms on SQLite, one per set of parameter names (None: SQLAlchemy runs it)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement  # held, so that its id() is never reused while it is registered
        self.plans: dict[tuple[str, ...], _Plan | None] = {}

    def plan(self, dialect: sa.Dialect, keys: tuple[str, ...]) -> _Plan | None:
        try:
            return self.plans[keys]
        except KeyError:
            plan = self.plans[keys] = _compile(self.statement, dialect, keys)
            return plan


_REGISTRY: dict[int, _Prepared] = {}


def prepared(statement: S) -> S:
    """Mark a statement built once (at import) for the driver path; returns the statement itself."""
    _REGISTRY.setdefault(id(statement), _Prepared(statement))
    return statement


def _compile(statement: ClauseElement, dialect: sa.Dialect, keys: tuple[str, ...]) -> _Plan | None:
    is_insert = isinstance(statement, sa.Insert)
    # The parameter names as column keys, as SQLAlchemy compiles at execution: for an INSERT or UPDATE they say
    # which columns are set.
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))
    if compiled.positiontup is None or "POSTCOMPILE" in compiled.string:
        return None
    table = getattr(statement, "table", None)
    prefetch = {c.key: c for c in (*getattr(compiled, "insert_prefetch", ()),
                                   *getattr(compiled, "update_prefetch", ()))}
    params: list[tuple[int, Any, Processor]] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            params.append((_KEY, name, process))
        elif name in prefetch and table is not None:
            column = prefetch[name]
            default = column.default if is_insert else column.onupdate
            if default is None or not (default.is_scalar or default.is_callable):
                return None
            params.append((_FIXED, default.arg, process) if default.is_scalar else (_CALL, default.arg, process))
        elif bind.callable is None and not bind.required:
            params.append((_FIXED, bind.value, process))
        else:
            return None  # a required parameter the caller did not give: SQLAlchemy names it in its error
    metadata = None
    if compiled._result_columns:
        columns = compiled._result_columns
        metadata = SimpleResultMetaData(
            [c.keyname for c in columns],
            _processors=[c.type._cached_result_processor(dialect, None) for c in columns])
    return _Plan(sql=compiled.string, params=tuple(params), metadata=metadata)


def unsupported(dialect: sa.Dialect) -> list[str]:
    """The prepared statements the driver path cannot run: each is compiled with the parameters it needs (an
    INSERT with a value for every column but an autoincrement key)."""
    out = []
    for entry in _REGISTRY.values():
        statement = entry.statement
        if isinstance(statement, sa.Insert):
            keys = tuple(c.key for c in statement.table.columns if not (c.primary_key and c.autoincrement))
        else:
            compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
            keys = tuple(name for name, bind in compiled.binds.items() if bind.required)
        if _compile(statement, dialect, keys) is None:
            out.append(str(statement))
    return out


class DriverResult(IteratorResult[Any]):
    """A Result of rows the driver gave, with the rowcount an UPDATE or DELETE reports."""

    def __init__(self, metadata: SimpleResultMetaData, rows: Iterator[Any], rowcount: int) -> None:
        super().__init__(metadata, rows)
        self.rowcount = rowcount


_NO_COLUMNS = SimpleResultMetaData([])


class DriverSession(Session):
    """A Session whose `execute` runs prepared statements on SQLite's driver, in the session's own transaction."""

    _driver: Any = None
    _dialect: sa.Dialect | None = None
    _driver_off = False
    # SQLAlchemy's before_cursor_execute listeners (tracing, statement counts in tests, fault injection) hear the
    # driver path's statements too, with no cursor and no execution context.
    _connection: sa.Connection | None = None
    _listeners: Any = None
    _managed = False

    def attach_driver(self, connection: sa.Connection, *, managed: bool = False) -> None:
        """Run prepared statements on this connection's driver. `managed`: in the transaction that Database began
        there and ends itself; the session then neither commits nor rolls back by itself (`finish` does)."""
        self._driver = connection.connection.driver_connection
        self._dialect = connection.dialect
        self._connection = connection
        self._listeners = connection.dispatch.before_cursor_execute or None
        self._managed = managed

    def commit(self) -> None:
        if self._managed:
            raise RuntimeError("a write commits when its block ends; a session inside it does not commit by itself")
        super().commit()

    def rollback(self) -> None:
        if self._managed:
            raise RuntimeError("a write rolls back when its block raises; a session inside it does not roll back "
                               "by itself")
        super().rollback()

    def finish(self, *, commit: bool) -> None:
        """End SQLAlchemy's part of a managed transaction (if a statement needed it); the driver's follows."""
        self._managed = False
        if self.in_transaction():
            super().commit() if commit else super().rollback()

    def execute(self, statement: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        entry = _REGISTRY.get(id(statement))
        # Inside a savepoint SQLAlchemy runs the statement: it begins the SAVEPOINT on first use and rolls back to it,
        # which a statement sent past it to the driver would escape (tests/workflow/test_savepoints.py).
        if entry is None or self._driver_off or args or kwargs or self.in_nested_transaction():
            return super().execute(statement, params, *args, **kwargs)
        driver = self._driver
        if driver is None:
            connection = self.connection()  # begins the session's transaction (BEGIN IMMEDIATE for a writer)
            if connection.dialect.name != "sqlite":
                self._driver_off = True
                return super().execute(statement, params)
            self.attach_driver(connection)
            driver = self._driver
        assert self._dialect is not None
        if isinstance(params, (list, tuple)):
            params = list(params)
            if len(params) != 1:
                result = self._many(entry, driver, params)
                return super().execute(statement, params) if result is None else result
            params = params[0]  # one row: a plain execute is quicker than an executemany
        values = params or {}
        plan = entry.plan(self._dialect, tuple(values))
        if plan is None:
            return super().execute(statement, params)
        cursor = self._send(driver, plan, values, many=False)
        if plan.metadata is None:
            return DriverResult(_NO_COLUMNS, iter(()), cursor.rowcount)
        return DriverResult(plan.metadata, iter(cursor.fetchall()), cursor.rowcount)

    def _many(self, entry: _Prepared, driver: Any, rows: list[Mapping[str, Any]]) -> Result[Any] | None:
        if not rows:
            return DriverResult(_NO_COLUMNS, iter(()), 0)
        keys = rows[0].keys()
        if any(r.keys() != keys for r in rows):
            raise ValueError("one executemany needs the same keys in every parameter set")
        assert self._dialect is not None
        plan = entry.plan(self._dialect, tuple(keys))
        if plan is None or plan.metadata is not None:
            return None
        cursor = self._send(driver, plan, rows, many=True)
        return DriverResult(_NO_COLUMNS, iter(()), cursor.rowcount)

    def _send(self, driver: Any, plan: _Plan, values: Any, *, many: bool) -> Any:
        """The statement with its processed parameters to the driver (and to the listeners); the cursor."""
        parameters: Any = values
        try:
            parameters = plan.many(values) if many else plan.one(values)
            if self._listeners is not None:
                self._listeners(self._connection, None, plan.sql, parameters, None, many)
            return (driver.executemany if many else driver.execute)(plan.sql, parameters)
        except Exception as error:
            assert self._dialect is not None
            wrapped = _wrapped(error, plan.sql, parameters, self._dialect)
            if wrapped is error:
                raise
            raise wrapped from error


def _wrapped(error: Exception, sql: str, parameters: Any, dialect: sa.Dialect) -> Exception:
    """The error as SQLAlchemy raises it, so that callers catch the same exceptions whichever path ran the
    statement: the driver's (an IntegrityError stays an IntegrityError), a value a bind processor refused (a
    StatementError). What SQLAlchemy raises itself, and what a listener raises, passes unchanged."""
    if isinstance(error, dialect.loaded_dbapi.Error):
        return sa.exc.DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect)
    if isinstance(error, (TypeError, ValueError)):
        return sa.exc.StatementError(str(error), sql, parameters, error)
    return error


@event.listens_for(DriverSession, "after_transaction_end")
def _forget_driver(session: DriverSession, _transaction: Any) -> None:
    # The connection goes back to the pool when the transaction ends; the next statement takes the next one.
    session._driver = session._connection = session._listeners = None
