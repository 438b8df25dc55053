"""Printing for the command line: tables through rich, errors to stderr with exit code 1."""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

from rich.console import Console

console = Console()


class Language(StrEnum):
    de = "de"
    en = "en"

errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise SystemExit(code)


