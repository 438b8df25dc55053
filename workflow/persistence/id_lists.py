"""`column IN (a list of ids)` as one parameter, so that the statement stays the same for every list.

SQLAlchemy's `in_([...])` renders one placeholder per id at every execution: the statement can neither be cached
as it is nor run on the driver path
(`workflow/persistence/driver.py`), and a sweep's batch of 200 ids spends more on that
than on the query (bench/sweep.py). Here the list travels as one value: a JSON array read by `json_each` on
SQLite, an array compared with `= ANY(...)` on PostgreSQL.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class IdList(sa.TypeDecorator[list[int]]):
    """A list of integer ids as one bound value: JSON text on SQLite, an array on PostgreSQL."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.BigInteger()))
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Iterable[int] | None, dialect: sa.Dialect) -> list[int]:
        if value is None or isinstance(value, (str, bytes)):
            raise TypeError("an id list takes an iterable of integers")
        return [_id(v) for v in value]


def _id(value: Any) -> int:
    # Integers only: int() would turn 2.9 into 2 and "3" into 3, and so match another row.
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not an id")
    return operator.index(value)


class InIds(sa.ColumnElement[bool]):
    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition already: no "= 1" after it where booleans are integers
    # What SQLAlchemy's statement cache key is made of (its base class declares the attribute as a list).
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement), ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement[Any], ids: sa.BindParameter[Any]) -> None:
        self.column = column
        self.ids = ids


def in_ids(column: sa.ColumnElement[Any], name: str) -> InIds:
    """`column` is one of the ids given, at execution, as the parameter `name` (any iterable of integers)."""
    return InIds(column, sa.bindparam(name, type_=IdList()))


@compiles(InIds)
def _json_each(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return (f"{compiler.process(element.column, **kw)} IN "
            f"(SELECT value FROM json_each({compiler.process(element.ids, **kw)}))")


@compiles(InIds, "postgresql")
def _any(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"
