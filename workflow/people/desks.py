"""The desks a person works at: the parts of the service their role opens to them.

The navigation offers these desks and the pages admit to them by the same answer, so a link never leads to a
refusal and no page is reached only by typing its address. Each desk's page then shows only what the services
let the person see there (visibility.py, review/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.errors import Forbidden
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.review.access import OPERATORS

STEERING = (Role.REVIEWER, Role.MANAGER, *OPERATORS)
# Managing members answer on the bank's letter (early starts), so they see the bank's side of their alliance.
BANK = (Role.BANK, Role.MANAGER, *OPERATORS)


@dataclass(frozen=True)
class Desks:
    own_proposals: bool  # an applicant's proposals, and the open rounds to start one in
    rounds: bool  # the steering group's rounds, their boards and rankings
    bank: bool  # the proposals forwarded to the bank, with their bank records


def desks_of(actor: Actor) -> Desks:
    return Desks(own_proposals=actor.role == Role.APPLICANT, rounds=actor.role in STEERING,
                 bank=actor.role in BANK)


def require_rounds_desk(actor: Actor) -> None:
    if not desks_of(actor).rounds:
        raise Forbidden(f"role '{actor.role}' has no rounds to steer")


def require_bank_desk(actor: Actor) -> None:
    if not desks_of(actor).bank:
        raise Forbidden(f"role '{actor.role}' has no bank desk")
