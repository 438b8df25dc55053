"""Domain errors. They say what went wrong in the domain's words; api/ maps them to HTTP once."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    title = "Domain error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it (we do not tell which)."""

    title = "Not found"


class Forbidden(DomainError):
    """The actor sees the thing but their role may not do this."""

    title = "Forbidden"


class InvalidTransition(DomainError):
    """The transition is unknown or not possible from the proposal's current state."""

    title = "Transition not possible"

    def __init__(self, detail: str, *, state: str | None = None, transition: str | None = None) -> None:
        super().__init__(detail)
        self.state = state
        self.transition = transition


class StaleVersion(DomainError):
    """Someone else changed the proposal since the caller read it; nothing was written."""

    title = "Stale version"

    def __init__(self, detail: str, *, expected: int, current: int | None) -> None:
        super().__init__(detail)
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class FailedRule:
    rule: str
    why: str


class GuardFailed(DomainError):
    """One or more business rules of the transition do not hold; nothing was written."""

    title = "Rule not satisfied"

    def __init__(self, failures: list[FailedRule]) -> None:
        super().__init__("; ".join(f"{f.rule}: {f.why}" for f in failures))
        self.failures = failures


@dataclass(frozen=True)
class FieldProblem:
    field: str
    problem: str


class InvalidInput(DomainError):
    """Input of a use case is missing or malformed; nothing was written."""

    title = "Invalid input"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))
        self.problems = problems


class Conflict(DomainError):
    """The request contradicts existing data (e.g. a name that must be unique)."""

    title = "Conflict"
