"""Who is acting: a person with one role and their scope, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.people.roles import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    role: Role
    organisation_id: int | None = None
    alliance_id: int | None = None
    language: str = "de"


SYSTEM = Actor(user_id=None, name="foerderweg", role=Role.SYSTEM)
