"""The reliability suite's figures, and a world on the wall clock for tests against real `foerderweg` processes.

Every scenario reports its figures (requests, conflicts, deliveries, duplicates, lost) with `figure(...)`: printed
at once (seen with `pytest -s`) and again in the terminal summary, so CI logs show them without -s.

A served process runs on the real clock, so its world is built around the real current time: a round that opened
a month ago and closed five days ago (its proposals were submitted while it was open and put in review after it
closed), and a round open now (drafts can be started and submitted through the API).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.conftest import PG_URL
from tests.factories import World, complete_plan, make_world, new_draft, open_round, procedure_of, satisfy
from tests.summary_lines import report_line
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.persistence.models import AuditEvent, Deadline, OutboxMessage, Proposal
from workflow.timeutil import utcnow

DIALECT = "postgresql" if PG_URL else "sqlite"
AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
PROPOSALS = Proposal.__table__  # type: ignore[attr-defined]

def figure(scenario: str, text: str) -> str:
    """Report one line of figures, e.g. figure("race", "32 clients, 640 requests, ...")."""
    line = f"reliability {scenario} [{DIALECT}]: {text}"
    report_line("reliability figures", line)
    return line


# --- a world on the wall clock --------------------------------------------------------------------------

@dataclasses.dataclass
class WallWorld:
    world: World  # its round_id is the closed round
    open_round_id: int
    tokens: dict[str, str]  # role value -> token of the factory world's person
    managers: list[tuple[Actor, str]]  # further managers of the world's alliance, with their tokens
    factory_round_id: int  # the factory world's round (2026, on the factories' fixed moments)

    @property
    def closed_round_id(self) -> int:
        return self.world.round_id

    def actor(self, role: Role) -> Actor:
        return self.world.actor(role)


def token_of(ctx: Context, actor: Actor) -> str:
    assert actor.user_id is not None
    return ctx.admin.issue_token(SYSTEM, actor.user_id)


def wall_world(ctx: Context, *, managers: int = 0) -> WallWorld:
    now = utcnow()
    world = make_world(ctx)
    closed = open_round(ctx, world.alliance_id, "Einreichungstermin (vergangen)", opens_at=now - timedelta(days=30),
                        closes_at=now - timedelta(days=5))
    opened = open_round(ctx, world.alliance_id, "Einreichungstermin (offen)", opens_at=now - timedelta(days=30),
                        closes_at=now + timedelta(days=30))
    for year in (now.year, now.year + 1):
        ctx.admin.set_budget(SYSTEM, world.alliance_id, year, 10_000_000_00)
    factory_round_id = world.round_id
    world = dataclasses.replace(world, round_id=closed)
    tokens = {role.value: token_of(ctx, world.actor(role)) for role in Role if role != Role.SYSTEM}
    people = []
    for i in range(managers):
        user = ctx.admin.create_user(SYSTEM, f"Lenkungsgruppe Mitglied {i + 1}", Role.MANAGER,
                                     alliance_id=world.alliance_id)
        assert user.id
        people.append((ctx.admin.actor_for(user.id), ctx.admin.issue_token(SYSTEM, user.id)))
    return WallWorld(world=world, open_round_id=opened, tokens=tokens, managers=people,
                     factory_round_id=factory_round_id)


def in_review(ctx: Context, ww: WallWorld, title: str, *, scored: bool = True) -> tuple[int, int]:
    """A proposal of the closed round: submitted while it was open, in review since it closed, scored by the
    steering group's member (so that it may be prioritised) unless `scored` is False; returns (id, version)."""
    now = utcnow()
    world = ww.world
    proposal_id = new_draft(ctx, world, title=title, now=now - timedelta(days=20), plan=complete_plan(now.year))
    ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=1,
                       now=now - timedelta(days=20))
    result = ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, "open_review", expected_version=2,
                                now=now - timedelta(days=4))
    assert result.to_state == "in_review"
    if not scored:
        return proposal_id, result.version
    version = satisfy(ctx, world, proposal_id, procedure_of(ctx, proposal_id).transitions["prioritise"],
                      result.version, now=now - timedelta(days=3))
    return proposal_id, version


# --- what the database says -----------------------------------------------------------------------------

def rows(ctx: Context, query: sa.Select[Any]) -> list[Any]:
    with ctx.db.read() as session:
        return list(session.execute(query).all())


def audit_of(ctx: Context, proposal_ids: list[int] | None = None) -> dict[int, list[Any]]:
    """Audit events per proposal in seq order."""
    query = sa.select(AUDIT).order_by(AUDIT.c.proposal_id, AUDIT.c.seq)
    if proposal_ids is not None:
        query = query.where(AUDIT.c.proposal_id.in_(proposal_ids))
    found: dict[int, list[Any]] = {}
    for row in rows(ctx, query):
        found.setdefault(row.proposal_id, []).append(row)
    return found


def proposals_of(ctx: Context, proposal_ids: list[int] | None = None) -> dict[int, Any]:
    query = sa.select(PROPOSALS)
    if proposal_ids is not None:
        query = query.where(PROPOSALS.c.id.in_(proposal_ids))
    return {row.id: row for row in rows(ctx, query)}


def state_mismatches(ctx: Context, proposal_ids: list[int] | None = None) -> list[str]:
    """Proposals whose state or version does not follow from their history: state == the last event's target,
    version == the last event's seq, seqs 1..version without a gap."""
    events = audit_of(ctx, proposal_ids)
    wrong = []
    for pid, row in proposals_of(ctx, proposal_ids).items():
        history = events.get(pid, [])
        if [e.seq for e in history] != list(range(1, row.version + 1)):
            wrong.append(f"proposal {pid}: version {row.version}, seqs {[e.seq for e in history]}")
        elif history[-1].to_state != row.state:
            wrong.append(f"proposal {pid}: state {row.state}, last audit event to {history[-1].to_state}")
    return wrong


def doubled_steps(ctx: Context) -> list[Any]:
    """(proposal, seq) pairs recorded twice, and request ids recorded on more than one step."""
    seqs = rows(ctx, sa.select(AUDIT.c.proposal_id, AUDIT.c.seq).group_by(AUDIT.c.proposal_id, AUDIT.c.seq)
                .having(sa.func.count() > 1))
    requests = rows(ctx, sa.select(AUDIT.c.request_id).where(AUDIT.c.request_id.is_not(None))
                    .group_by(AUDIT.c.request_id).having(sa.func.count() > 1))
    return seqs + requests


def deadlines_of(ctx: Context, proposal_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {pid: [] for pid in proposal_ids}
    for row in rows(ctx, sa.select(DEADLINES).where(DEADLINES.c.proposal_id.in_(proposal_ids))
                    .order_by(DEADLINES.c.id)):
        found[row.proposal_id].append(row)
    return found

