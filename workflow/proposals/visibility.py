"""Who may see which proposal. The one place this rule lives; the service asks it before anything else.

Applicants see their organisation's proposals; reviewers and managers their alliance's once submitted (a draft
is the applicant's own work); bank officers those that reached the bank, of the alliances whose funding bank is
their organisation (SAB officers see nothing of NBank's); admins and the system all. A proposal one may not see is
reported as not found, not forbidden, so that ids reveal nothing.

Which alliances a bank officer serves is read when they sign in, like their role and organisation: it travels
with them as a `BankOfficer`. A bank officer without an organisation, or any other actor in the bank role, serves
no alliance and sees nothing; an alliance without a funding bank is seen by no bank officer.

What one may see of a proposal one sees is decided here too, once for every read path (the proposal, its
history, the pages and files made of them, the answers kept for replays): `redacted` takes the salary lines out
of whatever carries a funding plan for those who may not see them, `shown_inputs` is what a history event shows
of its inputs, and `shown_events` starts the history of those who do not see drafts at the submission.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from workflow.people.actors import Actor
from workflow.people.roles import Role

E = TypeVar("E")
# The lines of a funding plan's year that give salaries away: the staff costs, and the material costs (the total
# cost, which everyone sees, less the material costs is the staff costs).
SALARY_LINES = frozenset({"staff_costs", "material_costs"})


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
    """What `can_see` reads of a proposal (a record of the store, read-only)."""

    @property
    def organisation_id(self) -> int: ...
    @property
    def alliance_id(self) -> int: ...
    @property
    def reached_alliance_at(self) -> datetime | None: ...
    @property
    def reached_bank_at(self) -> datetime | None: ...


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


def sees_drafts(actor: Actor) -> bool:
    """What happened to a proposal while it was a private draft is seen by its applicants and the operators only:
    the steering group and the bank meet a proposal at its submission."""
    return actor.role in (Role.APPLICANT, Role.ADMIN, Role.SYSTEM)


def redacted(actor: Actor, data: Any) -> Any:
    """What the actor may see of data that may carry a funding plan (a plan's year, a plan, an event's inputs, an
    edit's plans before and after, however deeply nested): all of it, or for those who may not see salaries every
    salary line set to None (the proposal's view shows them as null, as "not for you", not as "nothing")."""
    return data if sees_salaries(actor) else _without_salary_lines(data)


def _without_salary_lines(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {key: None if key in SALARY_LINES else _without_salary_lines(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_without_salary_lines(value) for value in data]
    return data


def shown_inputs(actor: Actor, *, kind: str, author_id: int | None, inputs: Mapping[str, Any] | None
                 ) -> dict[str, Any]:
    """What a history event shows the actor of its inputs. Salary lines as `redacted` decides. A member's points
    are the steering group's: they are shown to the scorer, managers and operators only (the scores view decides
    when the other members see them); everyone else sees that a score was given."""
    shown: dict[str, Any] = redacted(actor, dict(inputs or {}))
    if kind == "scored" and actor.role not in (Role.MANAGER, Role.ADMIN, Role.SYSTEM) and actor.user_id != author_id:
        return {key: value for key, value in shown.items() if key not in ("points", "ko")}
    return shown


def shown_events(actor: Actor, events: Sequence[E], submitted: Callable[[E], bool]) -> list[E]:
    """The events of a proposal's history (oldest first) the actor may see: all of them, or for those who do not
    see drafts the events from its first submission on, the first one `submitted` says brought it before the
    steering group. None did (nothing the installation knows): none is shown."""
    if sees_drafts(actor):
        return list(events)
    start = next((index for index, event in enumerate(events) if submitted(event)), len(events))
    return list(events[start:])
