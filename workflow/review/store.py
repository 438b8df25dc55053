"""The SQL of the steering group's work. Core statements, like the transition path (proposals/store.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from workflow.people.actors import Actor
from workflow.persistence import models
from workflow.persistence.driver import prepared
from workflow.proposals.records import ProposalRecord
from workflow.proposals.store import (
    AUDIT,
    AUDIT_COLUMNS,
    GRANT_BINDING,
    ORGANISATIONS,
    PLAN,
    PROPOSAL_COLUMNS,
    PROPOSALS,
    RESERVE_DRAWS,
    ROUNDS,
    USERS,
    insert_audit,
    record_columns,
    table_of,
)
from workflow.review.records import (
    AgendaItemRecord,
    AgendaLine,
    ConditionRecord,
    DecisionRecord,
    DrawRecord,
    EarlyStartRecord,
    MeetingRecord,
    PoolRecord,
    ResolutionRecord,
    SchemeRecord,
    ScoreRecord,
)
from workflow.review.results import Member, Sheet

SCHEMES = table_of(models.RoundScoringScheme)
SCORES = table_of(models.Score)
CONDITIONS = table_of(models.Condition)
SESSIONS = table_of(models.SteeringSession)
AGENDA = table_of(models.AgendaItem)
RESOLUTIONS = table_of(models.Resolution)
POOLS = table_of(models.ReservePool)
EARLY_STARTS = table_of(models.EarlyStart)
# The columns of the records read here, in their field order.
_MEETING_COLUMNS = record_columns(SESSIONS, MeetingRecord)
_AGENDA_COLUMNS = record_columns(AGENDA, AgendaItemRecord)
_RESOLUTION_COLUMNS = record_columns(RESOLUTIONS, ResolutionRecord)
_POOL_COLUMNS = record_columns(POOLS, PoolRecord)


def _insert(session: Session, table: sa.Table, values: dict[str, Any]) -> int:
    return int(session.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one())


_LOCK_PROPOSAL = prepared(sa.select(PROPOSALS.c.id).where(PROPOSALS.c.id == sa.bindparam("proposal")).with_for_update())


def lock_proposal(session: Session, proposal_id: int) -> None:
    """Hold the proposal's row until the transaction ends, so that acts on it which read before they write (a
    member's sheet, an early-start request) take turns. SQLite needs no lock: it has one writer at a time."""
    session.execute(_LOCK_PROPOSAL, {"proposal": proposal_id})


def lock_round(session: Session, round_id: int) -> None:
    """Hold the round's row until the transaction ends: its resolutions are numbered one after the other."""
    session.execute(sa.select(ROUNDS.c.id).where(ROUNDS.c.id == round_id).with_for_update())


def bump_version(session: Session, proposal_id: int, now: datetime) -> int:
    """Count a recorded act (a score, an answer) as a write of the proposal; returns the new version.

    The audit row of the act takes that version as its position, so the history stays one ordered list, and a
    manager deciding from an older view of the proposal is told that something changed.
    """
    return int(session.execute(_BUMP_VERSION, {"proposal": proposal_id, "now": now}).scalar_one())


_BUMP_VERSION = prepared(sa.update(PROPOSALS).where(PROPOSALS.c.id == sa.bindparam("proposal"))
                         .values(version=PROPOSALS.c.version + 1, updated_at=sa.bindparam("now"))
                         .returning(PROPOSALS.c.version))


def record_act(session: Session, actor: Actor, proposal: ProposalRecord, *, kind: str, inputs: dict[str, Any],
               now: datetime, request_id: str | None = None, session_id: int | None = None) -> None:
    """An act on a proposal that does not change its state (a score, an answer, a request): an audit event at
    the proposal's next version, so the history stays one ordered list."""
    version = bump_version(session, proposal.id, now)
    insert_audit(session, {
        "proposal_id": proposal.id, "seq": version, "at": now, "kind": kind, "actor_id": actor.user_id,
        "actor_name": actor.name, "actor_role": actor.role.value, "transition": None,
        "from_state": proposal.state, "to_state": proposal.state, "reason": None, "inputs": inputs,
        "request_id": request_id, "procedure_key": proposal.procedure_key,
        "procedure_version": proposal.procedure_version, "session_id": session_id})


# --- scoring -----------------------------------------------------------------------------------------------

# The statements every view of a proposal in review runs (the guards' facts) are built once (proposals/store.py).
_SCHEME = prepared(sa.select(*record_columns(SCHEMES, SchemeRecord)).where(SCHEMES.c.round_id == sa.bindparam("round")))
_SCORES = prepared(sa.select(*record_columns(SCORES, ScoreRecord))
                   .where(SCORES.c.proposal_id == sa.bindparam("proposal")).order_by(SCORES.c.id))
_MEMBERS = (sa.select(USERS.c.id, USERS.c.name, USERS.c.organisation_id, ORGANISATIONS.c.name.label("org"))
            .select_from(USERS.outerjoin(ORGANISATIONS, ORGANISATIONS.c.id == USERS.c.organisation_id))
            .where(USERS.c.role == sa.bindparam("role")).order_by(USERS.c.id))
_MEMBERS_OF_ALLIANCE = prepared(_MEMBERS.where(USERS.c.alliance_id == sa.bindparam("alliance")))
_MEMBERS_OF_ORGANISATION = prepared(_MEMBERS.where(USERS.c.organisation_id == sa.bindparam("organisation")))
_MEMBERS = prepared(_MEMBERS)
_CONDITIONS = prepared(sa.select(*record_columns(CONDITIONS, ConditionRecord))
                       .where(CONDITIONS.c.proposal_id == sa.bindparam("proposal"))
                       .order_by(CONDITIONS.c.reading_seq, CONDITIONS.c.position))


def round_scheme(session: Session, round_id: int) -> SchemeRecord | None:
    row = session.execute(_SCHEME, {"round": round_id}).first()
    return None if row is None else SchemeRecord(*row)


def put_round_scheme(session: Session, round_id: int, scheme: dict[str, Any], user_id: int | None,
                     now: datetime) -> None:
    values = {"scheme": scheme, "set_by": user_id, "set_at": now}
    if session.execute(sa.update(SCHEMES).where(SCHEMES.c.round_id == round_id).values(**values)).rowcount == 0:  # type: ignore[attr-defined]
        _insert(session, SCHEMES, {"round_id": round_id, **values})


def scores_in_round(session: Session, round_id: int) -> int:
    return int(session.execute(
        sa.select(sa.func.count()).select_from(SCORES.join(PROPOSALS, PROPOSALS.c.id == SCORES.c.proposal_id))
        .where(PROPOSALS.c.round_id == round_id)).scalar_one())


def score_rows(session: Session, proposal_id: int) -> list[ScoreRecord]:
    return [ScoreRecord(*row) for row in session.execute(_SCORES, {"proposal": proposal_id})]


def sheets(rows: Iterable[ScoreRecord]) -> list[Sheet]:
    return [Sheet(scorer_id=r.scorer_id, points={k: int(v) for k, v in (r.points or {}).items()},
                  ko={k: bool(v) for k, v in (r.ko or {}).items()}) for r in rows]


def save_score(session: Session, *, proposal_id: int, scorer_id: int, points: dict[str, int], ko: dict[str, bool],
               comment: str, now: datetime) -> bool:
    """Insert or replace the member's sheet; True when it replaced an earlier one."""
    values = {"points": points, "ko": ko, "comment": comment, "updated_at": now}
    result = session.execute(sa.update(SCORES).where(SCORES.c.proposal_id == proposal_id,
                                                     SCORES.c.scorer_id == scorer_id).values(**values))
    if cast(sa.CursorResult[Any], result).rowcount:
        return True
    _insert(session, SCORES, {"proposal_id": proposal_id, "scorer_id": scorer_id, "created_at": now, **values})
    return False


def members(session: Session, *, role: str, alliance_id: int | None = None,
            organisation_id: int | None = None) -> list[Member]:
    """The people who score: the alliance's voting members (reviewers), or the officers of one bank."""
    query = _MEMBERS
    if alliance_id is not None and organisation_id is not None:
        query = _MEMBERS_OF_ALLIANCE.where(USERS.c.organisation_id == organisation_id)
    elif alliance_id is not None:
        query = _MEMBERS_OF_ALLIANCE
    elif organisation_id is not None:
        query = _MEMBERS_OF_ORGANISATION
    rows = session.execute(query, {"role": role, "alliance": alliance_id, "organisation": organisation_id})
    return [Member(user_id=r.id, name=r.name, organisation_id=r.organisation_id, organisation_name=r.org)
            for r in rows]


# --- conditions --------------------------------------------------------------------------------------------

def condition_rows(session: Session, proposal_id: int) -> list[ConditionRecord]:
    return [ConditionRecord(*row) for row in session.execute(_CONDITIONS, {"proposal": proposal_id})]


def latest_reading(rows: Sequence[ConditionRecord]) -> list[ConditionRecord]:
    """The conditions of the most recent second reading (earlier readings were judged in their time)."""
    if not rows:
        return []
    last = max(r.reading_seq for r in rows)
    return [r for r in rows if r.reading_seq == last]


_INSERT_CONDITIONS = prepared(sa.insert(CONDITIONS))


def insert_conditions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(_INSERT_CONDITIONS, list(rows))


def update_condition(session: Session, condition_id: int, values: dict[str, Any]) -> None:
    session.execute(sa.update(CONDITIONS).where(CONDITIONS.c.id == condition_id).values(**values))


# --- sessions and agendas ----------------------------------------------------------------------------------

def insert_session(session: Session, values: dict[str, Any]) -> int:
    return _insert(session, SESSIONS, values)


def session_row(session: Session, session_id: int) -> MeetingRecord | None:
    row = session.execute(sa.select(*_MEETING_COLUMNS).where(SESSIONS.c.id == session_id)).first()
    return None if row is None else MeetingRecord(*row)


def sessions_of(session: Session, alliance_id: int) -> list[MeetingRecord]:
    return [MeetingRecord(*row) for row in session.execute(
        sa.select(*_MEETING_COLUMNS).where(SESSIONS.c.alliance_id == alliance_id)
        .order_by(SESSIONS.c.held_at, SESSIONS.c.id))]


def agenda(session: Session, session_id: int) -> list[AgendaLine]:
    return [AgendaLine(*row) for row in session.execute(
        sa.select(*_AGENDA_COLUMNS, PROPOSALS.c.title, PROPOSALS.c.state)
        .join(PROPOSALS, PROPOSALS.c.id == AGENDA.c.proposal_id)
        .where(AGENDA.c.session_id == session_id).order_by(AGENDA.c.position))]


def add_agenda_item(session: Session, session_id: int, proposal_id: int, purpose: str) -> int:
    position = session.execute(sa.select(sa.func.coalesce(sa.func.max(AGENDA.c.position), 0))
                               .where(AGENDA.c.session_id == session_id)).scalar_one()
    return _insert(session, AGENDA, {"session_id": session_id, "proposal_id": proposal_id,
                                     "position": int(position) + 1, "purpose": purpose})


def agenda_item(session: Session, session_id: int, proposal_id: int) -> AgendaItemRecord | None:
    row = session.execute(sa.select(*_AGENDA_COLUMNS).where(AGENDA.c.session_id == session_id,
                                                            AGENDA.c.proposal_id == proposal_id)).first()
    return None if row is None else AgendaItemRecord(*row)


def decisions_in(session: Session, session_id: int) -> list[DecisionRecord]:
    """The steps decided in the session, for its minutes."""
    return [DecisionRecord(*row) for row in session.execute(
        sa.select(*AUDIT_COLUMNS, PROPOSALS.c.title).join(PROPOSALS, PROPOSALS.c.id == AUDIT.c.proposal_id)
        .where(AUDIT.c.session_id == session_id).order_by(AUDIT.c.at, AUDIT.c.id))]


# --- ranking, resolutions and reserves ---------------------------------------------------------------------

def round_proposals(session: Session, round_id: int) -> list[ProposalRecord]:
    """The round's proposals that reached the steering group."""
    return [ProposalRecord(*row) for row in session.execute(
        sa.select(*PROPOSAL_COLUMNS).where(PROPOSALS.c.round_id == round_id,
                                           PROPOSALS.c.reached_alliance_at.is_not(None))
        .order_by(PROPOSALS.c.id))]


def grants(session: Session, proposal_ids: Sequence[int], year: int) -> dict[int, tuple[int, int | None]]:
    """(requested, approved) grant of each proposal for `year`."""
    if not proposal_ids:
        return {}
    return {int(r.proposal_id): (int(r.grant_requested), r.grant_approved) for r in session.execute(
        sa.select(PLAN.c.proposal_id, PLAN.c.grant_requested, PLAN.c.grant_approved)
        .where(PLAN.c.proposal_id.in_(list(proposal_ids)), PLAN.c.year == year))}


def bound_outside_round(session: Session, alliance_id: int, round_id: int, year: int) -> int:
    """What the alliance's proposals of other rounds bind of the year's budget (funds bound by earlier rounds)."""
    return int(session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(GRANT_BINDING), 0))
        .join(PROPOSALS, PROPOSALS.c.id == PLAN.c.proposal_id)
        .where(PROPOSALS.c.alliance_id == alliance_id, PROPOSALS.c.round_id != round_id,
               PROPOSALS.c.binds_budget.is_(True), PLAN.c.year == year)).scalar_one())


def submitted_at(session: Session, proposal_ids: Sequence[int]) -> dict[int, datetime]:
    return {int(pid): at for pid, at in session.execute(
        sa.select(PROPOSALS.c.id, PROPOSALS.c.reached_alliance_at).where(PROPOSALS.c.id.in_(list(proposal_ids))))}


def resolutions(session: Session, round_id: int) -> list[ResolutionRecord]:
    return [ResolutionRecord(*row) for row in session.execute(
        sa.select(*_RESOLUTION_COLUMNS).where(RESOLUTIONS.c.round_id == round_id).order_by(RESOLUTIONS.c.version))]


def insert_resolution(session: Session, values: dict[str, Any]) -> int:
    return _insert(session, RESOLUTIONS, values)


def insert_pool(session: Session, values: dict[str, Any]) -> int:
    return _insert(session, POOLS, values)


def pool_row(session: Session, pool_id: int, *, lock: bool = False) -> PoolRecord | None:
    query = sa.select(*_POOL_COLUMNS).where(POOLS.c.id == pool_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    return None if row is None else PoolRecord(*row)


def pools(session: Session) -> list[PoolRecord]:
    return [PoolRecord(*row) for row in session.execute(sa.select(*_POOL_COLUMNS).order_by(POOLS.c.year, POOLS.c.id))]


def draws(session: Session, *, pool_id: int | None = None, round_id: int | None = None) -> list[DrawRecord]:
    query = sa.select(*record_columns(RESERVE_DRAWS, DrawRecord)).order_by(RESERVE_DRAWS.c.id)
    if pool_id is not None:
        query = query.where(RESERVE_DRAWS.c.pool_id == pool_id)
    if round_id is not None:
        query = query.where(RESERVE_DRAWS.c.round_id == round_id)
    return [DrawRecord(*row) for row in session.execute(query)]


def drawn_from(session: Session, pool_id: int) -> int:
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(RESERVE_DRAWS.c.amount), 0))
                               .where(RESERVE_DRAWS.c.pool_id == pool_id)).scalar_one())


def insert_draw(session: Session, values: dict[str, Any]) -> int:
    return _insert(session, RESERVE_DRAWS, values)


# --- the bank: approved amounts, early start ---------------------------------------------------------------

_SET_APPROVED = prepared(sa.update(PLAN).where(PLAN.c.proposal_id == sa.bindparam("proposal"),
                                                PLAN.c.year == sa.bindparam("plan_year"))
                         .values(grant_approved=sa.bindparam("amount")))


def set_approved(session: Session, proposal_id: int, year: int, amount: int) -> None:
    session.execute(_SET_APPROVED, {"proposal": proposal_id, "plan_year": year, "amount": amount})


def early_starts(session: Session, proposal_id: int) -> list[EarlyStartRecord]:
    return [EarlyStartRecord(*row) for row in session.execute(
        sa.select(*record_columns(EARLY_STARTS, EarlyStartRecord)).where(EARLY_STARTS.c.proposal_id == proposal_id)
        .order_by(EARLY_STARTS.c.id))]


def insert_early_start(session: Session, values: dict[str, Any]) -> int:
    return _insert(session, EARLY_STARTS, values)


def update_early_start(session: Session, request_id: int, values: dict[str, Any]) -> None:
    session.execute(sa.update(EARLY_STARTS).where(EARLY_STARTS.c.id == request_id).values(**values))


def resolutions_in_session(session: Session, session_id: int) -> list[int]:
    """The ids of the resolutions recorded in the session."""
    return [int(i) for i in session.execute(sa.select(RESOLUTIONS.c.id).where(RESOLUTIONS.c.session_id == session_id)
                                            .order_by(RESOLUTIONS.c.id)).scalars()]


def manager_ids(session: Session, alliance_id: int) -> list[int]:
    return [int(i) for i in session.execute(sa.select(USERS.c.id).where(
        USERS.c.role == "manager", USERS.c.alliance_id == alliance_id).order_by(USERS.c.id)).scalars()]
