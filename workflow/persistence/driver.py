"""Statements built once and run on the database driver in the session's transaction: the engine's hot path.

SQLAlchemy's Core execute spends 20–40 µs per statement in generic machinery (execution context, result metadata,
rows) around the 5–10 µs that SQLite needs to run it, and a step runs about ten statements (bench/engine.py,
README "Performance"). A statement marked with `prepared(...)` where it is built (once, at import) is compiled
once per dialect and set of parameter names, and `DriverSession.execute` runs it on a cursor of the session's own
connection, on SQLite and PostgreSQL alike. Only public SQLAlchemy API is used (tests/test_private_names.py), and
what SQLAlchemy promises around a statement holds here too (tests/workflow/test_driver.py, test_cursor_events.py,
test_savepoints.py, on both databases):

- the parameters go through the bind processors that SQLAlchemy would apply (`bind_processor`: the aware-to-naive
  UTC of UTCDateTime, the JSON encoding), the result columns through its result processors (`result_processor`,
  with the driver's type code as SQLAlchemy passes it), so that what is stored and read back is the same;
- before_cursor_execute and after_cursor_execute listeners hear every statement with the DBAPI cursor and an
  execution context (`DriverContext`, whose attributes are those of SQLAlchemy's own), and a listener registered
  with retval=True may change the statement and parameters, as with SQLAlchemy's own execution;
- a driver's error is raised as SQLAlchemy's (an IntegrityError stays an IntegrityError; a lost connection is
  invalidated), a value a bind processor refuses as a StatementError;
- inside `session.begin_nested()` the statement takes the session's connection there, which begins the SAVEPOINT.

The result is a `Result` of `Row`s with the keys SQLAlchemy gives (`column_descriptions`,
`returning_column_descriptions`). A list of parameter sets is one executemany. A prepared statement whose compiled
form this path cannot run (expanding IN lists, SQL-side defaults), and an executemany with RETURNING, go through
SQLAlchemy's own execution; `unsupported()` lists the former for a test to refuse. Not done here: the engine's
echo logging and handle_error listeners (the project has none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import ExecutionContext, Result
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
    compiled: SQLCompiler
    # Per parameter: where its value comes from (_KEY: the parameter set's key; _FIXED: a value fixed in the
    # statement or a column's scalar default; _CALL: a column's Python default, called per row), that key, value
    # or function, and its bind processor.
    params: tuple[tuple[int, Any, Processor], ...]
    # The parameters' names in the SQL for a dialect with named parameters (PostgreSQL); None: positional.
    names: tuple[str, ...] | None
    # SELECT or RETURNING: the result's keys and column types.
    keys: tuple[str, ...] | None
    types: tuple[sa.types.TypeEngine[Any], ...] = ()
    # The result processors per tuple of the driver's type codes (SQLite gives none, PostgreSQL its OIDs).
    processors: dict[tuple[Any, ...], tuple[tuple[int, Callable[[Any], Any]], ...]] = field(default_factory=dict)

    @property
    def from_keys_only(self) -> bool:
        return all(source == _KEY for source, _, _ in self.params)

    def one(self, values: Mapping[str, Any]) -> Any:
        out = []
        for source, what, process in self.params:
            value = values[what] if source == _KEY else what(None) if source == _CALL else what
            # None goes through the processor too, as in SQLAlchemy: a JSON column stores it as JSON null.
            out.append(value if process is None else process(value))
        return tuple(out) if self.names is None else dict(zip(self.names, out, strict=True))

    def many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The rows as the driver takes them. The rows of a batch mostly share their times and payloads (the
        same `now` object), so each processed value is reused while the next row brings the very same object."""
        if not self.from_keys_only:
            return [self.one(values) for values in rows]
        pick = itemgetter(*(key for _, key, _ in self.params))
        processed = [(i, p) for i, (_, _, p) in enumerate(self.params) if p is not None]
        last_in: list[Any] = [_NOTHING] * len(processed)
        last_out: list[Any] = [None] * len(processed)
        out: list[Any] = []
        for values in rows:
            picked = pick(values)
            row = [picked] if len(self.params) == 1 else list(picked)
            for n, (i, process) in enumerate(processed):
                value = row[i]
                if value is not last_in[n]:
                    last_in[n], last_out[n] = value, process(value)
                row[i] = last_out[n]
            out.append(tuple(row) if self.names is None else dict(zip(self.names, row, strict=True)))
        return out

    def result(self, cursor: Any, dialect: sa.Dialect) -> Result[Any]:
        """The cursor's rows through the result processors, as SQLAlchemy's own Result gives them."""
        assert self.keys is not None
        rows = cursor.fetchall()
        # sqlite3 gives no type codes: its description need not be read (it is built anew on every call).
        codes = () if dialect.name == "sqlite" else tuple(d[1] for d in cursor.description or ())
        processors = self.processors.get(codes)
        if processors is None:
            found = [t.dialect_impl(dialect).result_processor(dialect, code)
                     for t, code in zip(self.types, codes or (None,) * len(self.types), strict=True)]
            processors = self.processors[codes] = tuple((i, p) for i, p in enumerate(found) if p is not None)
        if processors:
            rows = [_processed(row, processors) for row in rows]
        return DriverResult(self.metadata, rows, cursor.rowcount)

    @cached_property
    def metadata(self) -> SimpleResultMetaData:
        return SimpleResultMetaData(self.keys or ())


def _processed(row: Sequence[Any], processors: tuple[tuple[int, Callable[[Any], Any]], ...]) -> tuple[Any, ...]:
    out = list(row)
    for i, process in processors:
        out[i] = process(out[i])
    return tuple(out)


_NOTHING = object()


class _Prepared:
    """One statement's compiled forms, per dialect, set of parameter names and executemany (None: SQLAlchemy's
    own execution runs it)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement  # held, so that its id() is never reused while it is registered
        self.plans: dict[tuple[str, tuple[str, ...], bool], _Plan | None] = {}

    def plan(self, dialect: sa.Dialect, keys: tuple[str, ...], many: bool) -> _Plan | None:
        try:
            return self.plans[dialect.name, keys, many]
        except KeyError:
            plan = self.plans[dialect.name, keys, many] = _compile(self.statement, dialect, keys, many)
            return plan


_REGISTRY: dict[int, _Prepared] = {}


def prepared(statement: S) -> S:
    """Mark a statement built once (at import) for the driver path; returns the statement itself."""
    _REGISTRY.setdefault(id(statement), _Prepared(statement))
    return statement


def _compile(statement: ClauseElement, dialect: sa.Dialect, keys: tuple[str, ...], many: bool) -> _Plan | None:
    is_insert = isinstance(statement, sa.Insert)
    # The parameter names as column keys, as SQLAlchemy compiles at execution: for an INSERT or UPDATE they say
    # which columns are set.
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=many))
    if "POSTCOMPILE" in compiled.string:
        return None
    order = compiled.positiontup if dialect.positional else list(compiled.binds)
    if order is None:
        return None
    table = getattr(statement, "table", None)
    prefetch = {c.key: c for c in (*compiled.insert_prefetch, *compiled.update_prefetch)}
    params: list[tuple[int, Any, Processor]] = []
    for name in order:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            params.append((_KEY, name, process))
        elif name in prefetch and table is not None:
            column = prefetch[name]
            default: Any = column.default if is_insert else column.onupdate
            if default is None or not (default.is_scalar or default.is_callable):
                return None
            params.append((_FIXED, default.arg, process) if default.is_scalar else (_CALL, default.arg, process))
        elif bind.callable is None and not bind.required:
            params.append((_FIXED, bind.value, process))
        else:
            return None  # a required parameter the caller did not give: SQLAlchemy names it in its error
    names = None if dialect.positional else tuple(compiled.escaped_bind_names.get(n, n) for n in order)
    columns = statement.column_descriptions if isinstance(statement, sa.Select) \
        else getattr(statement, "returning_column_descriptions", None)
    if columns is None or (columns and many):
        return None  # not a SELECT, INSERT, UPDATE or DELETE; an executemany with RETURNING
    return _Plan(sql=compiled.string, compiled=compiled, params=tuple(params), names=names,
                keys=tuple(c["name"] for c in columns) if columns else None,
                types=tuple(c["type"] for c in columns))


def unsupported(dialect: sa.Dialect) -> list[str]:
    """The prepared statements the driver path cannot run: each is compiled with the parameters it needs (an
    INSERT with a value for every column but an autoincrement key)."""
    out = []
    for entry in _REGISTRY.values():
        statement = entry.statement
        home = type(statement).__module__.split(".")
        if home[:2] == ["sqlalchemy", "dialects"] and home[2] != dialect.name:
            continue  # a statement of another database's own (sqlite.insert), never run on this one
        if isinstance(statement, sa.Insert):
            keys = tuple(c.key for c in statement.table.columns if not (c.primary_key and c.autoincrement))
        else:
            compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
            keys = tuple(name for name, bind in compiled.binds.items() if bind.required)
        if _compile(statement, dialect, keys, many=False) is None:
            out.append(str(statement))
    return out


class DriverResult(IteratorResult[Any]):
    """A Result of rows the driver gave, with the rowcount an UPDATE or DELETE reports."""

    def __init__(self, metadata: SimpleResultMetaData, rows: Sequence[Any], rowcount: int) -> None:
        super().__init__(metadata, iter(rows))
        self.rowcount = rowcount


_NO_COLUMNS = SimpleResultMetaData([])


class DriverContext(ExecutionContext):
    """The execution context that cursor listeners get for a statement of the driver path: the attributes of
    SQLAlchemy's own (ExecutionContext's public ones), for tracing, timing and statement counts."""

    def __init__(self, connection: sa.Connection, plan: _Plan, cursor: Any, parameters: Any, *, many: bool,
                 statement: ClauseElement) -> None:
        self.engine = connection.engine
        self.connection = self.root_connection = connection
        self.dialect = connection.dialect
        self.cursor = cursor
        self.compiled = plan.compiled
        self.statement = plan.sql
        self.invoked_statement = cast(sa.Executable, statement)
        self.parameters = parameters if many else [parameters]
        self.executemany = many
        self.no_parameters = False
        self.isinsert, self.isupdate = plan.compiled.isinsert, plan.compiled.isupdate
        self.isdelete = plan.compiled.isdelete
        self.execution_options = connection.get_execution_options()


class DriverSession(Session):
    """A Session whose `execute` runs prepared statements on its connection's driver, in its own transaction."""

    _driver_off = False  # True: SQLAlchemy's own execution runs every statement (bench, tests)
    # The session's connection while its transaction lasts.
    _connection: sa.Connection | None = None
    _dbapi: Any = None  # the driver's own connection under it, asked for a cursor per statement
    _managed = False

    def attach_driver(self, connection: sa.Connection, *, managed: bool = False) -> None:
        """Run prepared statements on this connection. `managed`: in the transaction that Database began there
        and ends itself; the session then neither commits nor rolls back by itself (`finish` does)."""
        self._connection = connection
        self._dbapi = connection.connection.dbapi_connection
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
        if entry is None or self._driver_off or args or kwargs:
            return super().execute(statement, params, *args, **kwargs)
        connection = self._connection
        if connection is None or self.in_nested_transaction():
            # The session's connection in the session's transaction; inside begin_nested() its first use begins
            # the SAVEPOINT, which the statement then runs in (tests/workflow/test_savepoints.py).
            connection = self._connection = self.connection()
            self._dbapi = connection.connection.dbapi_connection
        many = isinstance(params, (list, tuple)) and len(params) != 1
        if isinstance(params, (list, tuple)):
            if not params:
                return DriverResult(_NO_COLUMNS, (), 0)
            if not many:
                params = params[0]  # one row: a plain execute is quicker than an executemany
            elif any(r.keys() != params[0].keys() for r in params):
                raise ValueError("one executemany needs the same keys in every parameter set")
        values = params or {}
        plan = entry.plan(connection.dialect, tuple(values[0] if many else values), many)
        if plan is None:
            return super().execute(statement, params)
        cursor = _run(connection, self._dbapi, plan, values, many=many, statement=statement)
        try:
            if plan.keys is None:
                return DriverResult(_NO_COLUMNS, (), cursor.rowcount)
            return plan.result(cursor, connection.dialect)
        finally:
            cursor.close()


def _run(connection: sa.Connection, dbapi: Any, plan: _Plan, values: Any, *, many: bool,
         statement: ClauseElement) -> Any:
    """The statement with its processed parameters on a cursor of the connection, between the cursor listeners;
    the cursor."""
    sql, parameters, cursor = plan.sql, values, None
    try:
        parameters = plan.many(values) if many else plan.one(values)
        cursor = dbapi.cursor()
        dispatch = connection.dispatch
        context = None
        if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            context = DriverContext(connection, plan, cursor, parameters, many=many, statement=statement)
            for listener in dispatch.before_cursor_execute:
                sql, parameters = listener(connection, cursor, sql, parameters, context, many)
        (cursor.executemany if many else cursor.execute)(sql, parameters)
        if context is not None:
            dispatch.after_cursor_execute(connection, cursor, sql, parameters, context, many)
        return cursor
    except Exception as error:
        if cursor is not None:
            cursor.close()
        wrapped = _wrapped(error, connection, cursor, sql, parameters, many=many)
        if wrapped is error:
            raise
        raise wrapped from error


def _wrapped(error: Exception, connection: sa.Connection, cursor: Any, sql: str, parameters: Any, *,
             many: bool) -> Exception:
    """The error as SQLAlchemy raises it, so that callers catch the same exceptions whichever path ran the
    statement: the driver's (an IntegrityError stays an IntegrityError; a lost connection is invalidated, as
    SQLAlchemy does), a value a bind processor refused (a StatementError). What SQLAlchemy raises itself, and
    what a listener raises, passes unchanged."""
    dialect = connection.dialect
    if isinstance(error, dialect.loaded_dbapi.Error):
        lost = dialect.is_disconnect(error, connection.connection, cursor)
        if lost and not connection.invalidated:
            connection.invalidate(error)
        return sa.exc.DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error, ismulti=many,
                                          connection_invalidated=lost, dialect=dialect)
    if isinstance(error, (TypeError, ValueError)):
        return sa.exc.StatementError(str(error), sql, parameters, error, ismulti=many)
    return error


@event.listens_for(DriverSession, "after_transaction_end")
def _forget_connection(session: DriverSession, _transaction: Any) -> None:
    # The connection goes back to the pool when the transaction ends; the next statement takes the next one.
    session._connection = session._dbapi = None
