"""Many rows of one statement, handed to the driver in one executemany, for the sweep's bulk writes on SQLite.

SQLAlchemy's executemany spends ~25 µs per row in its generic parameter machinery: for the 10,000 notifications
and deadline moves of a large sweep that was half a second of 1.2 (bench/sweep.py). Here the statement is compiled
once per set of keys, and each row becomes a tuple through the very bind processors SQLAlchemy would apply (the
aware-to-naive UTC of UTCDateTime, the JSON encoding), so what is stored is the same to the byte
(tests/workflow/test_driver_batch.py). PostgreSQL keeps SQLAlchemy's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    # Per positional parameter: the row key it comes from (or None: a value fixed in the statement), the value
    # used when it is fixed or the row lacks it (a column's scalar default), and its bind processor.
    params: tuple[tuple[str | None, Any, Processor], ...]

    def tuples(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them. The rows of a batch mostly share their times and payloads (the
        same `now` object), so each processed value is reused while the next row brings the very same object."""
        if all(key is not None for key, _, _ in self.params):
            return self._from_keys(rows)
        fetch = [(key, fixed) for key, fixed, _ in self.params]
        process = [p for _, _, p in self.params]
        last_in: list[Any] = [_NOTHING] * len(fetch)
        last_out: list[Any] = [None] * len(fetch)
        out = []
        for values in rows:
            converted = []
            for i, (key, fixed) in enumerate(fetch):
                value = values[key] if key is not None else fixed
                if value is None or process[i] is None:
                    converted.append(value)
                elif value is last_in[i]:
                    converted.append(last_out[i])
                else:
                    last_in[i], last_out[i] = value, process[i](value)  # type: ignore[misc]
                    converted.append(last_out[i])
            out.append(tuple(converted))
        return out


    def _from_keys(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Every parameter comes from the row: the values are picked in C, and only the few columns with a bind
        processor (times, JSON) are touched in Python."""
        pick = itemgetter(*(key for key, _, _ in self.params))
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
                if value is None:
                    continue
                if value is not last_in[n]:
                    last_in[n], last_out[n] = value, process(value)
                row[i] = last_out[n]
            out.append(tuple(row))
        return out


_NOTHING = object()


class DriverBatch:
    def __init__(self, statement: sa.Insert | sa.Update) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Every row must have the same keys (one statement, one set of columns)."""
        if not rows:
            return
        connection = session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            session.execute(self.statement, list(rows))
            return
        keys = tuple(rows[0])
        same = rows[0].keys()
        if any(r.keys() != same for r in rows):
            raise ValueError("a driver batch needs the same keys in every row")
        plan = self._plans.get((dialect.name, keys)) or self._compile(dialect, keys)
        connection.exec_driver_sql(plan.sql, plan.tuples(rows))

    def _compile(self, dialect: sa.Dialect, keys: tuple[str, ...]) -> _Plan:
        is_insert = isinstance(self.statement, sa.Insert)
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys) if is_insert else None)
        assert compiled.positiontup is not None, "a driver batch needs a positional (qmark) dialect"
        table = self.statement.table
        defaults = {c.key: c.default.arg for c in getattr(table, "columns", ())
                    if c.default is not None and getattr(c.default, "is_scalar", False)}
        params: list[tuple[str | None, Any, Processor]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if name in keys:
                params.append((name, None, process))
            else:
                params.append((None, defaults.get(name, compiled.params.get(name)), process))
        plan = _Plan(sql=compiled.string, params=tuple(params))
        self._plans[(dialect.name, keys)] = plan
        return plan
