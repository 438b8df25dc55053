"""Each package's SQL lives in its store module and nowhere else (issue 23, point 4).

The modules of workflow/ are read with `ast`: one that is not a store and builds or runs a statement
(sa.select / insert / update / delete / union / text, the same names imported bare, `.execute(`, `.exec(`, the
session's ORM calls `session.get / add / delete / scalar / scalars`) or a condition of one (sa.and_ / or_ / not_ /
true / false / func / bindparam, `.where(`) fails, unless it is a justified exception below. An exception that
has become clean fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).resolve().parent.parent / "workflow"

SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "union", "union_all", "text"})
CONDITIONS = frozenset({"and_", "or_", "not_", "true", "false", "func", "bindparam", "case", "literal"})
EXECUTING = frozenset({"execute", "exec", "exec_driver_sql", "where"})
SESSION_CALLS = frozenset({"get", "add", "delete", "scalar", "scalars", "merge"})
SQLALCHEMY_NAMES = frozenset({"sa", "sqlalchemy", "sqlmodel", "postgresql", "sqlite"})


def is_store(module: str) -> bool:
    """A store module, or the persistence package (the schema, the database, the driver, the migrations)."""
    return module.endswith("/store.py") or module.startswith("persistence/")


# Modules that may use SQL outside a store, each with the reason.
EXCEPTIONS: dict[str, str] = {
    "proposals/visibility.py": "who sees which proposal, once in Python (can_see) and once as the SQL condition "
                               "the stores filter lists with (visible_clause): side by side so that both change "
                               "together; it runs no statement",
}

def sql_calls(source: str) -> list[str]:
    """The SQL constructs a module's source uses, as `line: call` strings."""
    tree = ast.parse(source)
    bare = {alias.asname or alias.name
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] in ("sqlalchemy", "sqlmodel")
            for alias in node.names if alias.name in SQL_BUILDERS}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in bare:
            found.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            chain = _chain(func)
            if chain[0] in SQLALCHEMY_NAMES and (SQL_BUILDERS | CONDITIONS) & set(chain[1:]):
                found.append(f"{node.lineno}: {'.'.join(chain)}(")
            elif func.attr in EXECUTING:
                found.append(f"{node.lineno}: .{func.attr}(")
            elif func.attr in SESSION_CALLS and owner == "session":
                found.append(f"{node.lineno}: session.{func.attr}(")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def _chain(func: ast.Attribute) -> list[str]:
    """`sa.func.count` as ["sa", "func", "count"]; a chain not starting at a name starts with ""."""
    names: list[str] = []
    node: ast.expr = func
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    return [node.id if isinstance(node, ast.Name) else "", *names]


def modules() -> dict[str, list[str]]:
    """Every module of workflow/ that is not a store, with the SQL it uses (maybe none)."""
    found = {}
    for path in sorted(WORKFLOW.rglob("*.py")):
        module = path.relative_to(WORKFLOW).as_posix()
        if not is_store(module):
            found[module] = sql_calls(path.read_text(encoding="utf-8"))
    return found


def test_sql_only_in_stores() -> None:
    offenders = {module: calls for module, calls in modules().items()
                 if calls and module not in EXCEPTIONS}
    assert not offenders, (
        "SQL outside a store module (move it into the package's store.py as a named function with a typed "
        f"result): {offenders}")


def test_exceptions_are_needed() -> None:
    found = modules()
    unneeded = sorted(module for module in EXCEPTIONS if not found.get(module))
    assert not unneeded, f"no SQL in {unneeded}: take them off EXCEPTIONS"


@pytest.mark.parametrize("source", [
    "import sqlalchemy as sa\ndef f(session, t):\n    return session.execute(sa.select(t)).all()\n",
    "from sqlalchemy import text\nQUERY = text('SELECT 1')\n",
    "from sqlmodel import select\ndef f(session, m):\n    return session.exec(select(m)).all()\n",
    "def f(session, m, i):\n    return session.get(m, i, with_for_update=True)\n",
    "import sqlalchemy as sa\nSTATEMENT = sa.delete(object())\n",
    "import sqlalchemy as sa\ndef f(t):\n    return sa.and_(t.c.a == 1, sa.true())\n",
    "import sqlalchemy as sa\nCOUNT = sa.func.count()\n",
    "def f(query, t):\n    return query.where(t.c.a == 1)\n",
])
def test_a_module_with_sql_is_found(source: str) -> None:
    assert sql_calls(source)


def test_a_module_without_sql_passes() -> None:
    assert sql_calls("from sqlalchemy.exc import IntegrityError\n"
                     "def pick(d, session):\n    return d.get('x'), {1}.union({2}), session.begin_nested()\n"
                     "def check(e):\n    return isinstance(e, IntegrityError)\n") == []
