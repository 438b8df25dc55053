"""Who may do what in the steering group's work, in one place (proposal visibility itself is visibility.py).

The services check these rules before they act, and the pages ask the same functions what to show: a page that
offers a form the service would refuse, or hides one it would take, is a bug these keep from happening.
"""

from __future__ import annotations

from workflow.errors import Forbidden, NotFound
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence import models

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


def sees_round(actor: Actor, round_: models.Round | None) -> bool:
    """A round's board, ranking and resolutions are its alliance's steering group's (and the operators')."""
    return round_ is not None and in_alliance(actor, round_.alliance_id)


def visible_round(actor: Actor, round_id: int, round_: models.Round | None) -> models.Round:
    """The round the actor asked for, or not found: to anyone outside its steering group a round of another
    alliance does not exist (it is the same answer as for a round that does not exist at all)."""
    if round_ is None or not sees_round(actor, round_):
        raise NotFound(f"round {round_id} not found")
    return round_


def rounds_scope(actor: Actor) -> int | None:
    """The alliance whose rounds the actor's list of rounds shows; None for the operators, who see every one."""
    return None if actor.role in OPERATORS else actor.alliance_id


def may_resolve(actor: Actor, round_: models.Round) -> bool:
    """Whether the actor records the steering group's resolutions of the round (the ranking page's form): its
    alliance's managing member, and the operators."""
    return is_steward(actor, round_.alliance_id)
