"""Every query of the engine. Nothing else writes SQL.

The transition path uses Core statements on the tables (no identity map, no reload after commit): the ORM
unit of work costs several times more per step than the state machine and the SQL together
(shared/performance-notes.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from workflow.people.actors import Actor
from workflow.persistence import models
from workflow.persistence.db import Reader
from workflow.persistence.driver import prepared
from workflow.persistence.id_lists import in_ids
from workflow.procedure.rules import BudgetYear, PlanYear, RoundFacts
from workflow.proposals.records import (
    AuditRecord,
    ClosedDeadline,
    ClosedRoundProposal,
    DeadlineRecord,
    FundingYearRecord,
    IdempotencyEntry,
    ProposalHeadline,
    ProposalRecord,
    RoundRecord,
)
from workflow.proposals.visibility import visible_clause

T = TypeVar("T", bound=SQLModel)


def table_of(model: type[SQLModel]) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


def record_columns(table: sa.Table, record: type[Any]) -> tuple[sa.Column[Any], ...]:
    """The table's columns of a record's fields, in the record's field order: a row of a select of them makes the
    record as `record(*row)` (workflow/proposals/records.py)."""
    return tuple(table.c[f.name] for f in fields(record))


PROPOSALS = table_of(models.Proposal)
PLAN = table_of(models.FundingYear)
AUDIT = table_of(models.AuditEvent)
DEADLINES = table_of(models.Deadline)
ROUNDS = table_of(models.Round)
BUDGETS = table_of(models.Budget)
USERS = table_of(models.User)
ALLIANCES = table_of(models.Alliance)
ORGANISATIONS = table_of(models.Organisation)
IDEMPOTENCY = table_of(models.IdempotencyRecord)
RESERVE_DRAWS = table_of(models.ReserveDraw)
# What a plan year binds: the approved amount once the bank decided, the request until then.
GRANT_BINDING = sa.func.coalesce(PLAN.c.grant_approved, PLAN.c.grant_requested)
# The columns of the records read here, in their field order.
PROPOSAL_COLUMNS = record_columns(PROPOSALS, ProposalRecord)
_PLAN_COLUMNS = record_columns(PLAN, FundingYearRecord)
_ROUND_COLUMNS = record_columns(ROUNDS, RoundRecord)
AUDIT_COLUMNS = record_columns(AUDIT, AuditRecord)
DEADLINE_COLUMNS = record_columns(DEADLINES, DeadlineRecord)


# --- proposals ---------------------------------------------------------------------------------------------

# Statements on the transition path are built once, with bound parameters: building a statement and its cache
# key on every call costs more than running it (bench/, README "Performance").
_PROPOSAL = prepared(sa.select(*PROPOSAL_COLUMNS).where(PROPOSALS.c.id == sa.bindparam("id")))


def proposal(session: Session, proposal_id: int) -> ProposalRecord | None:
    row = session.execute(_PROPOSAL, {"id": proposal_id}).first()
    return None if row is None else ProposalRecord(*row)


# What a notification says of a proposal: who it belongs to, what it is called, where it stands.
_HEADLINES = prepared(sa.select(*record_columns(PROPOSALS, ProposalHeadline)).where(in_ids(PROPOSALS.c.id, "ids")))


def proposal_headlines(session: Session, proposal_ids: Iterable[int]) -> dict[int, ProposalHeadline]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    return {int(row.id): ProposalHeadline(*row) for row in session.execute(_HEADLINES, {"ids": ids})}


def insert_proposal(session: Session, values: dict[str, Any]) -> int:
    return int(session.execute(sa.insert(PROPOSALS).values(**values).returning(PROPOSALS.c.id)).scalar_one())


def update_proposal(session: Session, proposal_id: int, expected_version: int, values: dict[str, Any]) -> bool:
    """Write only if nobody wrote since `expected_version` was read; False means someone did."""
    result = session.execute(
        sa.update(PROPOSALS)
        .where(PROPOSALS.c.id == proposal_id, PROPOSALS.c.version == expected_version)
        .values(version=expected_version + 1, **values)
    )
    return cast(sa.CursorResult[Any], result).rowcount == 1


def _step_statement(*, binding: bool) -> sa.Update:
    values: dict[str, Any] = {
        "version": PROPOSALS.c.version + 1, "state": sa.bindparam("to_state"), "updated_at": sa.bindparam("now"),
        # The first time a proposal reaches the alliance's or the bank's stage is kept, never moved.
        "reached_alliance_at": sa.func.coalesce(PROPOSALS.c.reached_alliance_at,
                                                sa.bindparam("reaches_alliance", type_=models.UTCDateTime)),
        "reached_bank_at": sa.func.coalesce(PROPOSALS.c.reached_bank_at,
                                            sa.bindparam("reaches_bank", type_=models.UTCDateTime)),
    }
    if binding:
        # Only when it changes: a column assigned, even to its own value, rewrites the partial index over it.
        values["binds_budget"] = sa.bindparam("binding")
    return sa.update(PROPOSALS).where(
        PROPOSALS.c.id == sa.bindparam("proposal"), PROPOSALS.c.version == sa.bindparam("expected")).values(values)


_STEP = prepared(_step_statement(binding=False))
_STEP_AND_BINDING = prepared(_step_statement(binding=True))


def step_proposal(session: Session, proposal_id: int, expected_version: int, *, state: str, now: datetime,
                  binds_budget: bool | None, alliance_stage: bool, bank_stage: bool) -> bool:
    """A transition's write: the new state, if nobody wrote since `expected_version`; False means someone did.
    `binds_budget` None: it stays as it is."""
    values = {"proposal": proposal_id, "expected": expected_version, "to_state": state, "now": now,
              "reaches_alliance": now if alliance_stage else None, "reaches_bank": now if bank_stage else None}
    if binds_budget is None:
        result = session.execute(_STEP, values)
    else:
        result = session.execute(_STEP_AND_BINDING, {**values, "binding": binds_budget})
    return cast(sa.CursorResult[Any], result).rowcount == 1


def proposals_in(session: Session, *, round_id: int, state: str) -> list[ProposalRecord]:
    return [ProposalRecord(*row) for row in session.execute(
        sa.select(*PROPOSAL_COLUMNS).where(PROPOSALS.c.round_id == round_id, PROPOSALS.c.state == state)
        .order_by(PROPOSALS.c.id))]


def proposals_of_closed_rounds(session: Session, now: datetime, states: Sequence[str]) -> list[ClosedRoundProposal]:
    """The proposals in `states` whose round has closed."""
    return [ClosedRoundProposal(*row) for row in session.execute(
        # The proposal's own version: a migrated proposal of an older round follows the newer rules.
        sa.select(PROPOSALS.c.id, PROPOSALS.c.state, PROPOSALS.c.procedure_key, PROPOSALS.c.procedure_version,
                  ROUNDS.c.closes_at)
        .join(ROUNDS, ROUNDS.c.id == PROPOSALS.c.round_id)
        .where(ROUNDS.c.closes_at <= now, PROPOSALS.c.state.in_(states))
        .order_by(PROPOSALS.c.id))]


def proposal_ids(session: Session, where: sa.ColumnElement[bool]) -> list[int]:
    return [int(i) for i in session.execute(sa.select(PROPOSALS.c.id).where(where).order_by(PROPOSALS.c.id)).scalars()]


# --- funding plan ------------------------------------------------------------------------------------------

_PLAN = prepared(sa.select(*_PLAN_COLUMNS).where(PLAN.c.proposal_id == sa.bindparam("id")).order_by(PLAN.c.year))


def plan(session: Session, proposal_id: int) -> list[FundingYearRecord]:
    return [FundingYearRecord(*row) for row in session.execute(_PLAN, {"id": proposal_id})]


def plan_facts(session: Session, proposal_id: int) -> tuple[PlanYear, ...]:
    return tuple(
        PlanYear(year=r.year, total_cost=r.total_cost, grant_requested=r.grant_requested,
                 own_share=r.own_share, own_share_source=r.own_share_source)
        for r in plan(session, proposal_id)
    )


def replace_plan(session: Session, proposal_id: int, rows: Iterable[dict[str, Any]]) -> None:
    session.execute(sa.delete(PLAN).where(PLAN.c.proposal_id == proposal_id))
    values = [{**row, "proposal_id": proposal_id} for row in rows]
    if values:
        session.execute(sa.insert(PLAN), values)


# --- rounds and budgets ------------------------------------------------------------------------------------

_ROUND = prepared(sa.select(*_ROUND_COLUMNS).where(ROUNDS.c.id == sa.bindparam("id")))


def round_row(session: Session, round_id: int) -> RoundRecord | None:
    row = session.execute(_ROUND, {"id": round_id}).first()
    return None if row is None else RoundRecord(*row)


def round_facts(session: Session, round_id: int) -> RoundFacts | None:
    row = round_row(session, round_id)
    return None if row is None else RoundFacts(name=row.name, opens_at=row.opens_at, closes_at=row.closes_at)


# All of an alliance's years (a handful of rows), so that the statements are built once; callers pick theirs.
_BUDGETS = sa.select(BUDGETS.c.year, BUDGETS.c.amount).where(BUDGETS.c.alliance_id == sa.bindparam("alliance")) \
    .order_by(BUDGETS.c.year)
_BUDGETS_LOCKED = prepared(_BUDGETS.with_for_update())
_BUDGETS = prepared(_BUDGETS)
_BOUND = prepared(
    sa.select(PLAN.c.year, sa.func.coalesce(sa.func.sum(GRANT_BINDING), 0).label("total"))
    .join(PROPOSALS, PROPOSALS.c.id == PLAN.c.proposal_id)
    .where(PROPOSALS.c.alliance_id == sa.bindparam("alliance"), PROPOSALS.c.binds_budget == sa.true(),
           PROPOSALS.c.id != sa.bindparam("proposal"))
    .group_by(PLAN.c.year))
_RESERVE_DRAWN = prepared(
    sa.select(RESERVE_DRAWS.c.year, sa.func.sum(RESERVE_DRAWS.c.amount).label("total"))
    .where(RESERVE_DRAWS.c.alliance_id == sa.bindparam("alliance")).group_by(RESERVE_DRAWS.c.year))


def budget_facts(
    session: Session, alliance_id: int, years: Iterable[int], exclude_proposal: int, *, lock: bool = False
) -> dict[int, BudgetYear]:
    """Each year's budget and what the alliance's other proposals already bind of it.

    With `lock`, the alliance's budget rows stay locked until the transaction ends, so two steps that bind the
    same budget (two forwards at once on PostgreSQL) take turns instead of both seeing the same free money. Rows
    are locked in year order, so two such steps cannot deadlock. SQLite needs no lock: it has one writer at a time.
    """
    years = sorted(set(years))
    if not years:
        return {}
    amounts = {int(year): amount for year, amount in
               session.execute(_BUDGETS_LOCKED if lock else _BUDGETS, {"alliance": alliance_id})}
    bound = {int(year): total for year, total in
             session.execute(_BOUND, {"alliance": alliance_id, "proposal": exclude_proposal})}
    reserve = reserve_drawn(session, alliance_id, years)
    return {y: BudgetYear(amount=amounts.get(y), bound=int(bound.get(y, 0)), reserve=reserve.get(y, 0))
            for y in years}


def reserve_drawn(session: Session, alliance_id: int, years: Iterable[int]) -> dict[int, int]:
    """What the alliance drew from reserve pools for each year, on recorded reasons."""
    wanted = set(years)
    return {int(year): int(total) for year, total in session.execute(_RESERVE_DRAWN, {"alliance": alliance_id})
            if year in wanted}


# --- audit -------------------------------------------------------------------------------------------------

_INSERT_AUDIT = prepared(sa.insert(AUDIT))


def insert_audit(session: Session, values: dict[str, Any]) -> None:
    session.execute(_INSERT_AUDIT, [values])


def history(session: Session, proposal_id: int) -> list[AuditRecord]:
    return [AuditRecord(*row) for row in session.execute(
        sa.select(*AUDIT_COLUMNS).where(AUDIT.c.proposal_id == proposal_id).order_by(AUDIT.c.seq))]


# --- deadlines ---------------------------------------------------------------------------------------------

_OPEN_DEADLINES = prepared(sa.select(*DEADLINE_COLUMNS)
                   .where(DEADLINES.c.proposal_id == sa.bindparam("id"), DEADLINES.c.status == "open")
                   .order_by(DEADLINES.c.due_at))
_CLOSED_DEADLINES = prepared(sa.select(*record_columns(DEADLINES, ClosedDeadline)).where(
    DEADLINES.c.proposal_id == sa.bindparam("id"), DEADLINES.c.status != "open"))


def open_deadlines(session: Session, proposal_id: int, *, lock: bool = False) -> list[DeadlineRecord]:
    """`lock`: on PostgreSQL a sweep cannot move them on while the caller re-plans them."""
    statement = _OPEN_DEADLINES.with_for_update() if lock else _OPEN_DEADLINES
    return [DeadlineRecord(*row) for row in session.execute(statement, {"id": proposal_id})]


def closed_deadlines(session: Session, proposal_id: int) -> list[ClosedDeadline]:
    return [ClosedDeadline(*row) for row in session.execute(_CLOSED_DEADLINES, {"id": proposal_id})]


_RAN_OUT = prepared(sa.select(DEADLINES.c.due_at).where(
    DEADLINES.c.proposal_id == sa.bindparam("id"), DEADLINES.c.kind == sa.bindparam("kind"),
    DEADLINES.c.status != "open", DEADLINES.c.stage > sa.bindparam("reminders")))


def ran_out_deadlines(session: Session, proposal_id: int, kind: str, reminders: int) -> list[datetime]:
    """The due moments of the proposal's closed deadlines of this kind that went past all their `reminders` (they
    fell due and were escalated). Filtered in SQL: a proposal sent back and forth collects closed deadlines."""
    return list(session.execute(_RAN_OUT, {"id": proposal_id, "kind": kind, "reminders": reminders}).scalars())


# One row per parameter set (an executemany), so that the statement is the same whatever the number of rows.
_CANCEL_DEADLINE = prepared(sa.update(DEADLINES)
                            .where(DEADLINES.c.id == sa.bindparam("deadline"), DEADLINES.c.status == "open")
                            .values(status="cancelled", closed_at=sa.bindparam("closing_at"), next_fire_at=None,
                                    claim=None, lease_until=None))


def cancel_deadlines(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(_CANCEL_DEADLINE, [{"deadline": i, "closing_at": now} for i in ids])


_INSERT_DEADLINES = prepared(sa.insert(DEADLINES))


def insert_deadlines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(_INSERT_DEADLINES, list(rows))


def open_alliance_deadlines(session: Session, alliance_id: int) -> list[DeadlineRecord]:
    """An alliance's own open deadlines (not those of its rounds or proposals)."""
    return [DeadlineRecord(*row) for row in session.execute(sa.select(*DEADLINE_COLUMNS).where(
        DEADLINES.c.status == "open", DEADLINES.c.alliance_id == alliance_id, DEADLINES.c.proposal_id.is_(None),
        DEADLINES.c.round_id.is_(None)))]


# --- organisations, alliances, users -----------------------------------------------------------------------

def add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def get(session: Session, model: type[T], ident: int) -> T | None:
    return session.get(model, ident)


def find_by_name(session: Session, model: type[T], name: str) -> T | None:
    column = getattr(model, "name")  # noqa: B009 - every named model has it; mypy cannot see SQLModel columns
    return session.execute(sa.select(model).where(column == name)).scalars().first()


# Users' tokens, passwords, sign-ins and accounts: workflow/people/store.py.

_FUNDED_BY = prepared(sa.select(ALLIANCES.c.id).where(ALLIANCES.c.funding_bank_id == sa.bindparam("bank")))


def alliances_funded_by(session: Reader, bank_id: int) -> frozenset[int]:
    """The alliances that name this organisation as their funding bank."""
    return frozenset(int(i) for i in session.execute(_FUNDED_BY, {"bank": bank_id}).scalars())


_FUNDING_BANK = prepared(sa.select(ALLIANCES.c.funding_bank_id).where(ALLIANCES.c.id == sa.bindparam("alliance")))


def funding_bank_of(session: Session, alliance_id: int) -> int | None:
    bank = session.execute(_FUNDING_BANK, {"alliance": alliance_id}).scalar()
    return None if bank is None else int(bank)


# --- idempotency -------------------------------------------------------------------------------------------

def idempotency_record(session: Session, actor_key: str, key: str) -> IdempotencyEntry | None:
    row = session.execute(sa.select(*record_columns(IDEMPOTENCY, IdempotencyEntry))
                          .where(IDEMPOTENCY.c.actor_key == actor_key, IDEMPOTENCY.c.key == key)).first()
    return None if row is None else IdempotencyEntry(*row)


def insert_idempotency_record(session: Session, values: dict[str, Any]) -> None:
    session.execute(sa.insert(IDEMPOTENCY).values(**values))


def visible_proposals_page(session: Reader, actor: Actor, *, state: str | None, round_id: int | None,
                           alliance_id: int | None, after_id: int, limit: int) -> list[ProposalRecord]:
    """A page of the proposals the actor may see (workflow/proposals/visibility.py), in a state, a round or an
    alliance if given, in id order after `after_id` (keyset pagination)."""
    where = visible_clause(actor, PROPOSALS)
    if state is not None:
        where = sa.and_(where, PROPOSALS.c.state == state)
    if round_id is not None:
        where = sa.and_(where, PROPOSALS.c.round_id == round_id)
    if alliance_id is not None:
        where = sa.and_(where, PROPOSALS.c.alliance_id == alliance_id)
    return [ProposalRecord(*row) for row in session.execute(
        sa.select(*PROPOSAL_COLUMNS).where(where, PROPOSALS.c.id > after_id).order_by(PROPOSALS.c.id).limit(limit))]
