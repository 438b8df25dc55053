"""Printing for the command line: tables through rich, errors to stderr with exit code 1."""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

from rich.console import Console
from rich.table import Table

console = Console()


class Language(StrEnum):
    de = "de"
    en = "en"

errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise SystemExit(code)


def print_table(table: Table) -> None:
    """On a terminal, as wide as the terminal; piped or redirected, as wide as the table needs: nothing is cut."""
    if console.is_terminal:
        console.print(table)
        return
    needed = Console(width=10_000).measure(table).maximum
    Console(width=max(needed, console.width), highlight=False).print(table)
