"""Who may do what in the steering group's work, in one place (proposal visibility itself is visibility.py)."""

from __future__ import annotations

from workflow.errors import Forbidden
from workflow.people.actors import Actor
from workflow.people.roles import Role

OPERATORS = (Role.ADMIN, Role.SYSTEM)


def is_steward(actor: Actor, alliance_id: int) -> bool:
    """Operators everywhere; a managing member in their own alliance."""
    return actor.role in OPERATORS or (actor.role == Role.MANAGER and actor.alliance_id == alliance_id)


def require_steward(actor: Actor, alliance_id: int, what: str) -> None:
    if not is_steward(actor, alliance_id):
        raise Forbidden(f"role '{actor.role}' may not {what}")


def in_alliance(actor: Actor, alliance_id: int) -> bool:
    """Operators, and the alliance's own steering group (members and manager)."""
    return actor.role in OPERATORS or (actor.role in (Role.MANAGER, Role.REVIEWER)
                                       and actor.alliance_id == alliance_id)
