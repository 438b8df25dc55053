"""The product uses no library's private names: those change in any minor release of the library, unannounced.

Every .py file under workflow/, api/, schedules/ and cli/ is read with `ast`. A name with one leading underscore
(not a dunder) is ours to use only if our own code defines it somewhere: a function, class, parameter, assignment
(`self._x = ...` too), import alias or loop variable. Otherwise `x._name`, `f(_name=...)` and an import of
`_name` or from a `_module` of a library are a library's private names and fail here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("workflow", "api", "schedules", "cli")
# Uses whose fix belongs elsewhere, each with its reason: (file, name).
ALLOWED: dict[tuple[str, str], str] = {}


def product_files() -> list[Path]:
    return sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))


def private(name: str | None) -> bool:
    return name is not None and name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined(tree: ast.AST) -> Iterator[str]:
    """Every name a module defines or binds, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.attr
        elif isinstance(node, ast.alias):
            yield (node.asname or node.name).split(".")[0]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            yield from node.names


def ours(module: str | None, level: int) -> bool:
    return level > 0 or (module or "").split(".")[0] in PRODUCT


def library_private_names(tree: ast.AST, own: set[str]) -> Iterator[tuple[int, str]]:
    """(line, name) of each private name of a library the module uses."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and node.attr not in own:
            yield node.lineno, node.attr
        elif isinstance(node, ast.keyword) and private(node.arg) and node.arg not in own:
            yield node.lineno, f"{node.arg}="
        elif isinstance(node, ast.ImportFrom) and not ours(node.module, node.level):
            yield from ((node.lineno, part) for part in (node.module or "").split(".") if private(part))
            yield from ((node.lineno, alias.name) for alias in node.names if private(alias.name))
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names
                        if not ours(alias.name, 0) and any(private(p) for p in alias.name.split(".")))


def violations(files: list[Path]) -> list[str]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in files}
    own = {name for tree in trees.values() for name in defined(tree)}
    found = []
    for path, tree in trees.items():
        where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        for line, name in library_private_names(tree, own):
            if (where, name.rstrip("=")) not in ALLOWED:
                found.append(f"{where}:{line}: {name}")
    return found


def test_the_product_uses_no_private_name_of_a_library() -> None:
    assert violations(product_files()) == []


def test_the_check_finds_each_kind_of_private_use(tmp_path: Path) -> None:
    module = tmp_path / "used.py"
    module.write_text(
        "from sqlalchemy.engine.result import SimpleResultMetaData\n"
        "from sqlalchemy.engine._row_cy import BaseRow\n"
        "from sqlalchemy.util import _collections\n"
        "import sqlalchemy._typing\n"
        "class Ours:\n"
        "    def __init__(self, _given):\n"
        "        self._kept = _given\n"
        "def use(compiled, t, d, o):\n"
        "    o._kept.__class__\n"
        "    Ours(_given=1)\n"
        "    SimpleResultMetaData([], _processors=[t._cached_result_processor(d, None)])\n"
        "    return compiled._result_columns\n", encoding="utf-8")
    found = {line.split(": ", 1)[1] for line in violations([module])}
    assert found == {"_row_cy", "_collections", "sqlalchemy._typing", "_processors=", "_cached_result_processor",
                     "_result_columns"}
