"""The (procedure, state, transition, role) triples of every shipped procedure, and the outcome each must have.

The expected outcome is computed from the TOML definition itself (sources, roles, the alliance and bank stages on
the way), not from the engine, so that the engine's answer can be checked against it: the state a step leads to
when it is allowed, else the domain error it must raise. tests/workflow/test_transition_matrix.py asks the pure
functions (visibility, the procedure's machine) for every triple; tests/workflow/test_transition_sample.py fires a
sample through the real service on a real database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from workflow.errors import Forbidden, InvalidTransition, NotFound
from workflow.people.roles import Role
from workflow.procedure.registry import SHIPPED_DIR

Outcome = type[Exception] | str


@dataclass(frozen=True)
class Case:
    procedure: str  # the file's stem, e.g. saxony-regional.v1
    state: str
    transition: str
    role: Role

    def __str__(self) -> str:
        return f"{self.procedure}:{self.state}:{self.transition}:{self.role.value}"


@cache
def definitions() -> dict[str, dict]:
    return {path.stem: tomllib.loads(path.read_text("utf-8")) for path in sorted(SHIPPED_DIR.glob("*.toml"))}


@cache
def cases() -> tuple[Case, ...]:
    """Every triple of every shipped procedure, in the order of the definitions."""
    return tuple(Case(stem, state, t["name"], role)
                 for stem, data in definitions().items()
                 for state in data["states"]
                 for t in data["transitions"]
                 for role in Role)


def procedure_ref(stem: str) -> tuple[str, int]:
    """(key, version) of the shipped procedure in that file."""
    header = definitions()[stem]["procedure"]
    return header["key"], header["version"]


def expected(case: Case) -> Outcome:
    """The target state when the triple is allowed, else the domain error it must raise."""
    data = definitions()[case.procedure]
    t = next(t for t in data["transitions"] if t["name"] == case.transition)
    if case.role == Role.BANK and not passed(case.procedure, case.state, "bank_stage"):
        return NotFound
    if case.role in (Role.REVIEWER, Role.MANAGER) and not passed(case.procedure, case.state, "alliance_stage"):
        return NotFound
    if case.role.value not in t["roles"]:
        return Forbidden
    if case.state not in t["from"]:
        return InvalidTransition
    return str(t["to"])


@cache
def passed(stem: str, state: str, flag: str) -> bool:
    """On the driver's shortest path to `state`, did the proposal pass a state with `flag` (handed on to someone)?"""
    states = definitions()[stem]["states"]
    return any(states[s].get(flag, False) for s in states_on_path(stem, state))


@cache
def states_on_path(stem: str, state: str) -> tuple[str, ...]:
    """The states from `state` back to the initial one on the shortest path (breadth-first over the raw TOML,
    mirroring the driver's shortest path)."""
    data = definitions()[stem]
    initial = data["procedure"]["initial"]
    previous: dict[str, str | None] = {initial: None}
    queue = [initial]
    while queue:
        current = queue.pop(0)
        for t in data["transitions"]:
            if current in t["from"] and t["to"] not in previous:
                previous[t["to"]] = current
                queue.append(t["to"])
    path = [state]
    while (before := previous[path[-1]]) is not None:
        path.append(before)
    return tuple(path)
