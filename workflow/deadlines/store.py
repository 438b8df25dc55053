"""The SQL of deadlines as people see them: the open deadlines an actor's calendar shows.

What one sees follows who one is (workflow/deadlines/calendar.py): the proposals they may see, the rounds of
their alliance (applicants: the rounds their organisation has proposals in), and (managers, administrators)
the alliance's own deadlines such as the action concept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence.db import Reader
from workflow.proposals.store import ALLIANCES, DEADLINES, PROPOSALS, ROUNDS
from workflow.proposals.visibility import visible_clause


@dataclass(frozen=True)
class OpenDeadline:
    """An open deadline with the title of what it belongs to (a proposal, a round or an alliance)."""

    id: int
    kind: str
    procedure_key: str | None
    procedure_version: int | None
    due_at: datetime
    title: str
    proposal_id: int | None
    round_id: int | None
    alliance_id: int | None


def _queries(actor: Actor) -> list[sa.Select[Any]]:
    d, p, r, a = DEADLINES, PROPOSALS, ROUNDS, ALLIANCES
    of_proposals = (sa.select(d, p.c.title.label("title")).join(p, p.c.id == d.c.proposal_id)
                    .where(d.c.status == "open", visible_clause(actor, p)))
    queries = [of_proposals]
    if actor.role in (Role.ADMIN, Role.SYSTEM, Role.REVIEWER, Role.MANAGER, Role.APPLICANT):
        rounds = sa.select(d, r.c.name.label("title")).join(r, r.c.id == d.c.round_id).where(
            d.c.status == "open", d.c.proposal_id.is_(None))
        if actor.role in (Role.REVIEWER, Role.MANAGER):
            rounds = rounds.where(r.c.alliance_id == actor.alliance_id)
        elif actor.role == Role.APPLICANT:
            rounds = rounds.where(r.c.id.in_(sa.select(p.c.round_id).where(
                p.c.organisation_id == actor.organisation_id)))
        queries.append(rounds)
    if actor.role in (Role.ADMIN, Role.SYSTEM, Role.MANAGER):
        alliances = sa.select(d, a.c.name.label("title")).join(a, a.c.id == d.c.alliance_id).where(
            d.c.status == "open", d.c.proposal_id.is_(None), d.c.round_id.is_(None))
        if actor.role == Role.MANAGER:
            alliances = alliances.where(a.c.id == actor.alliance_id)
        queries.append(alliances)
    return queries


def open_deadlines_seen_by(session: Reader, actor: Actor, *, limit: int) -> list[OpenDeadline]:
    """The open deadlines the actor sees: up to `limit` of each kind (proposals', rounds', alliances'), each
    kind by due date; the caller merges them."""
    found = []
    for query in _queries(actor):
        for row in session.execute(query.order_by(DEADLINES.c.due_at).limit(limit)):
            found.append(OpenDeadline(
                id=row.id, kind=row.kind, procedure_key=row.procedure_key, procedure_version=row.procedure_version,
                due_at=row.due_at, title=row.title, proposal_id=row.proposal_id, round_id=row.round_id,
                alliance_id=row.alliance_id))
    return found
