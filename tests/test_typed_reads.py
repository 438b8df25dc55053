"""The stores return typed records, not SQLAlchemy rows (issue 23, point 4).

Every module of workflow/ is read with `ast`: an annotation that names `Row` (`Row[Any]`, `Sequence[Row[Any]]`,
`Row | None`, ...) fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parent.parent / "workflow"

def annotations(tree: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg]:
                if arg is not None and arg.annotation is not None:
                    found.append(arg.annotation)
            if node.returns is not None:
                found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return found


def names_row(annotation: ast.expr) -> bool:
    """Whether an annotation (a string one too) mentions `Row`."""
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:  # a forward reference; or a Literal's value, which is no annotation
                if names_row(ast.parse(node.value, mode="eval").body):
                    return True
            except SyntaxError:
                continue
        elif (isinstance(node, ast.Name) and node.id == "Row") or (isinstance(node, ast.Attribute)
                                                                    and node.attr == "Row"):
            return True
    return False


def rows_by_package() -> dict[str, list[str]]:
    """`module:line` of every annotation naming Row, by package of workflow/ (the module's name for a top-level
    module)."""
    found: dict[str, list[str]] = {}
    for path in sorted(WORKFLOW.rglob("*.py")):
        module = path.relative_to(WORKFLOW)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for annotation in annotations(tree):
            if names_row(annotation):
                found.setdefault(module.parts[0], []).append(f"{module.as_posix()}:{annotation.lineno}")
    return found


def test_no_store_returns_rows() -> None:
    found = rows_by_package()
    offending = {package: where for package, where in found.items() if where}
    assert not offending, f"annotated with Row: {offending}; return a typed record (e.g. proposals/records.py)"


def test_the_check_finds_rows() -> None:
    tree = ast.parse("def f(x: Row[Any]) -> Sequence['Row[Any]']: ...\ny: dict[int, engine.Row] = {}\n")
    assert [names_row(a) for a in annotations(tree)] == [True, True, True]
    assert not any(names_row(a) for a in annotations(ast.parse("def f(x: Rows, y: Arrow) -> int: ...")))
