"""A refused procedure definition and the faults found in it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    key: str
    message: str


class ProcedureError(Exception):
    """A definition that cannot be used. `faults` lists every problem found."""

    def __init__(self, source: str, faults: list[Fault]) -> None:
        self.source = source
        self.faults = faults
        lines = [f"{source}: {f.key}: {f.message}" if f.key else f"{source}: {f.message}" for f in faults]
        super().__init__("procedure definition refused:\n  " + "\n  ".join(lines))
