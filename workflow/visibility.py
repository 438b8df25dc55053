"""Who may see which proposal. The one place this rule lives; the service asks it before anything else.

Applicants see their organisation's proposals; reviewers and managers their alliance's once submitted (a draft
is the applicant's own work); bank officers those that reached the bank, of the alliances whose funding bank is
their organisation (SAB officers see nothing of NBank's); admins and the system all. A proposal one may not see is
reported as not found, not forbidden, so that ids reveal nothing.

Which alliances a bank officer serves is read when they sign in, like their role and organisation: it travels
with them as a `BankOfficer`. A bank officer without an organisation, or any other actor in the bank role, serves
no alliance and sees nothing; an alliance without a funding bank is seen by no bank officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from workflow.actors import Actor
from workflow.roles import Role


@dataclass(frozen=True)
class BankOfficer(Actor):
    """A bank officer with the alliances whose funding bank is their organisation (as of signing in)."""

    served_alliances: frozenset[int] = frozenset()


def served_alliances(actor: Actor) -> frozenset[int]:
    """The alliances whose bank-stage proposals a bank officer sees; none for anyone else."""
    if actor.role == Role.BANK and isinstance(actor, BankOfficer) and actor.organisation_id is not None:
        return actor.served_alliances
    return frozenset()


class ProposalScope(Protocol):
    organisation_id: int
    alliance_id: int
    reached_alliance_at: datetime | None
    reached_bank_at: datetime | None


def can_see(actor: Actor, proposal: ProposalScope) -> bool:
    match actor.role:
        case Role.ADMIN | Role.SYSTEM:
            return True
        case Role.APPLICANT:
            return actor.organisation_id is not None and proposal.organisation_id == actor.organisation_id
        case Role.REVIEWER | Role.MANAGER:
            return (actor.alliance_id is not None and proposal.alliance_id == actor.alliance_id
                    and proposal.reached_alliance_at is not None)
        case Role.BANK:
            return proposal.reached_bank_at is not None and proposal.alliance_id in served_alliances(actor)
    return False


def visible_clause(actor: Actor, proposals: sa.Table) -> sa.ColumnElement[bool]:
    """The same rule as `can_see`, as a WHERE clause for lists."""
    match actor.role:
        case Role.ADMIN | Role.SYSTEM:
            return sa.true()
        case Role.APPLICANT if actor.organisation_id is not None:
            return proposals.c.organisation_id == actor.organisation_id
        case Role.REVIEWER | Role.MANAGER if actor.alliance_id is not None:
            return sa.and_(proposals.c.alliance_id == actor.alliance_id, proposals.c.reached_alliance_at.is_not(None))
        case Role.BANK if served_alliances(actor):
            return sa.and_(proposals.c.alliance_id.in_(sorted(served_alliances(actor))),
                           proposals.c.reached_bank_at.is_not(None))
    return sa.false()


def sees_salaries(actor: Actor) -> bool:
    """Steering-group members see staff shares and summed costs only, never salary lines."""
    return actor.role in (Role.APPLICANT, Role.BANK, Role.ADMIN, Role.SYSTEM)
