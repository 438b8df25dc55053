"""The roles the product knows. A procedure may only name these: they are what authentication hands out."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    BANK = "bank"
    ADMIN = "admin"
    # The service itself (closing rounds, escalations); never handed to a person.
    SYSTEM = "system"


ROLE_NAMES: frozenset[str] = frozenset(r.value for r in Role)
