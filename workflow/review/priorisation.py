"""Priorisation within the budget: the ranking with its budget line, the steering group's resolutions, the reserve.

A resolution is one transaction: its reserve drawings, every step it decides (prioritise, put on the waiting list,
decline: each the procedure's own step with its own rules and audit row) and the versioned document with the
ranking as it then stood. If one proposal's step is refused, nothing of the resolution is written, and the error
names every refused proposal, so the manager corrects the resolution in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from workflow.errors import (
    Conflict,
    FailedRule,
    FieldProblem,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
)
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.procedure.inputs import MAX_ID, CenturyDate, Euros, parse_model
from workflow.procedure.rules import MIN_REASON_LENGTH
from workflow.procedure.text_fields import MultiLine, OneLine
from workflow.proposals import store as repo
from workflow.proposals.money import format_eur, to_cents
from workflow.proposals.records import ProposalRecord
from workflow.proposals.service import ProposalService
from workflow.review import store
from workflow.review.access import OPERATORS, may_resolve, require_steward, visible_round
from workflow.review.meeting_ref import check_meeting
from workflow.review.ranking import Ranking
from workflow.review.records import DrawRecord
from workflow.review.waiting_list import round_ranking
from workflow.timeutil import require_aware

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Reason = Annotated[MultiLine, Field(min_length=MIN_REASON_LENGTH, max_length=5_000)]
Year = Annotated[int, Field(ge=2000, le=2100)]
# The steps a resolution decides, by their names in the procedure.
PRIORITISE, WAIT, DECLINE = "prioritise", "put_on_waiting_list", "decline"


class Declined(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    proposal_id: Id
    reason: Reason


class DrawInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    pool_id: Id
    year: Year
    amount: Euros
    reason: Reason


class ResolutionInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decided_on: CenturyDate
    session_id: Id | None = None
    prioritised: list[Id] = Field(default_factory=list, max_length=500)
    declined: list[Declined] = Field(default_factory=list, max_length=500)
    waiting_list: list[Id] = Field(default_factory=list, max_length=500)
    reserve_draws: list[DrawInput] = Field(default_factory=list, max_length=20)
    note: MultiLine = Field(default="", max_length=20_000)


class PoolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: OneLine = Field(min_length=3, max_length=200)
    year: Year
    amount: Euros
    alliance_ids: list[Id] = Field(min_length=1, max_length=100)


class StandaloneDraw(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    alliance_id: Id
    year: Year
    amount: Euros
    reason: Reason
    round_id: Id | None = None


@dataclass(frozen=True)
class PoolView:
    id: int
    name: str
    year: int
    amount: int
    drawn: int
    remaining: int
    alliance_ids: list[int]
    draws: list[DrawRecord]  # as stored


@dataclass(frozen=True)
class ResolutionView:
    id: int
    round_id: int
    version: int
    session_id: int | None
    decided_on: date
    note: str
    prioritised: list[int]
    declined: list[dict[str, Any]]
    waiting_list: list[int]
    reserve_draws: list[int]
    ranking: dict[str, Any]
    recorded_by: int | None
    recorded_at: datetime
    current: bool


class PriorisationService:
    def __init__(self, proposals: ProposalService) -> None:
        self.proposals = proposals
        self.db = proposals.db
        self.procedures = proposals.procedures

    # --- the ranking -------------------------------------------------------------------------------------

    def ranking(self, actor: Actor, round_id: int, year: int | None = None, *, now: datetime) -> Ranking:
        require_aware(now)
        if year is not None and not 2000 <= year <= 2100:
            raise InvalidInput([FieldProblem("year", "must be between 2000 and 2100")])
        with self.db.read() as session:
            round_ = self._round(session, actor, round_id)
            return self._ranking(session, round_, year)

    def _ranking(self, session: Session, round_: models.Round, year: int | None) -> Ranking:
        return round_ranking(session, self.procedures, round_, year)

    # --- resolutions -------------------------------------------------------------------------------------

    def resolve(self, actor: Actor, round_id: int, data: Any, *, now: datetime,
                request_id: str | None = None) -> ResolutionView:
        require_aware(now)
        body = parse_model(ResolutionInput, data)
        self._check_resolution(body)
        with self.db.write() as session:
            round_ = self._round(session, actor, round_id)
            if not may_resolve(actor, round_):  # the ranking page offers its form by the same answer
                raise Forbidden(f"role '{actor.role}' may not record the steering group's resolution")
            # Two resolutions of the round at once take turns: each gets its own version, each sees the other's steps.
            store.lock_round(session, round_id)
            if body.session_id is not None:
                check_meeting(session, body.session_id, alliance_id=round_.alliance_id)
            rows = {r.id: r for r in store.round_proposals(session, round_id)}
            listed = body.prioritised + [d.proposal_id for d in body.declined] + body.waiting_list
            strangers = [pid for pid in listed if pid not in rows]
            if strangers:
                raise InvalidInput([FieldProblem("proposals", f"proposal {pid} is not a proposal of this round "
                                                              "that reached the steering group")
                                    for pid in strangers])
            draw_ids = [self._draw(session, actor, d.pool_id, alliance_id=round_.alliance_id, year=d.year,
                                   amount=to_cents(d.amount), reason=d.reason, round_id=round_id, now=now,
                                   field=f"reserve_draws[{i}]")
                        for i, d in enumerate(body.reserve_draws)]
            reason = body.note or f"Beschluss der Lenkungsgruppe vom {body.decided_on:%d.%m.%Y}"
            failures: list[FailedRule] = []
            for pid in body.prioritised:
                failures += self._decide(session, actor, rows[pid], PRIORITISE, reason=reason, now=now,
                                         request_id=request_id, body=body)
            for pid in body.waiting_list:
                failures += self._decide(session, actor, rows[pid], WAIT, reason=reason, now=now,
                                         request_id=request_id, body=body)
            for declined in body.declined:
                failures += self._decide(session, actor, rows[declined.proposal_id], DECLINE, reason=declined.reason,
                                         now=now, request_id=request_id, body=body)
            if failures:
                raise GuardFailed(failures)
            versions = store.resolutions(session, round_id)
            ranking = self._ranking(session, round_, None)
            resolution_id = store.insert_resolution(session, {
                "round_id": round_id, "version": (versions[-1].version if versions else 0) + 1,
                "session_id": body.session_id, "decided_on": body.decided_on, "note": body.note,
                "body": {"prioritised": body.prioritised,
                         "declined": [d.model_dump() for d in body.declined],
                         "waiting_list": body.waiting_list, "reserve_draws": draw_ids},
                "ranking": ranking_document(ranking), "recorded_by": actor.user_id, "recorded_at": now})
            return next(v for v in self._resolutions(session, round_id) if v.id == resolution_id)

    def resolutions(self, actor: Actor, round_id: int) -> list[ResolutionView]:
        with self.db.read() as session:
            self._round(session, actor, round_id)
            return self._resolutions(session, round_id)

    @staticmethod
    def _check_resolution(body: ResolutionInput) -> None:
        problems = []
        if not 2000 <= body.decided_on.year <= 2100:
            problems.append(FieldProblem("decided_on", "must be between 2000 and 2100"))
        listed = body.prioritised + [d.proposal_id for d in body.declined] + body.waiting_list
        for pid in sorted({p for p in listed if listed.count(p) > 1}):
            problems.append(FieldProblem("proposals", f"proposal {pid} is listed more than once"))
        texts = [body.note, *(d.reason for d in body.declined), *(d.reason for d in body.reserve_draws)]
        if any("\x00" in t for t in texts):
            problems.append(FieldProblem("body", "texts must not contain a NUL character"))
        if problems:
            raise InvalidInput(problems)

    def _decide(self, session: Session, actor: Actor, row: ProposalRecord, transition: str, *, reason: str,
                now: datetime, request_id: str | None, body: ResolutionInput) -> list[FailedRule]:
        """Fire one step of the resolution; a proposal already where the step leads is left as it is."""
        procedure = self.proposals.machine_of(row).procedure
        step = procedure.transitions.get(transition)
        if step is None:
            raise InvalidTransition(f"{procedure.ref} has no step '{transition}'; its rounds are not prioritised "
                                    "by resolution", transition=transition)
        current = repo.proposal(session, row.id)
        assert current is not None
        if current.state == step.to or (transition == PRIORITISE and current.binds_budget):
            return []  # decided so already (or further: forwarded, approved), by an earlier version
        label = f"proposal {row.id} ('{row.title}')"
        try:
            self.proposals.step(session, actor, row.id, transition, expected_version=current.version, now=now,
                                reason=reason, request_id=request_id, meeting_id=body.session_id)
        except GuardFailed as exc:
            return [FailedRule(rule=f.rule, why=f"{label}: {f.why}") for f in exc.failures]
        except InvalidTransition as exc:
            return [FailedRule(rule="state", why=f"{label}: {exc.detail}")]
        return []

    def _resolutions(self, session: Session, round_id: int) -> list[ResolutionView]:
        rows = store.resolutions(session, round_id)
        last = rows[-1].version if rows else None
        return [ResolutionView(
            id=r.id, round_id=r.round_id, version=r.version, session_id=r.session_id, decided_on=r.decided_on,
            note=r.note, prioritised=list(r.body.get("prioritised", [])), declined=list(r.body.get("declined", [])),
            waiting_list=list(r.body.get("waiting_list", [])), reserve_draws=list(r.body.get("reserve_draws", [])),
            ranking=dict(r.ranking), recorded_by=r.recorded_by, recorded_at=r.recorded_at,
            current=r.version == last) for r in rows]

    # --- reserve pools -----------------------------------------------------------------------------------

    def create_pool(self, actor: Actor, data: Any) -> PoolView:
        if actor.role not in OPERATORS:
            raise Forbidden(f"role '{actor.role}' may not set up reserve pools")
        pool = parse_model(PoolInput, data)
        with self.db.write() as session:
            for aid in pool.alliance_ids:
                if repo.get(session, models.Alliance, aid) is None:
                    raise InvalidInput([FieldProblem("alliance_ids", f"no alliance {aid}")])
            if any(p.name == pool.name and p.year == pool.year for p in store.pools(session)):
                raise Conflict(f"a reserve pool '{pool.name}' for {pool.year} exists already")
            pool_id = store.insert_pool(session, {"name": pool.name, "year": pool.year,
                                                  "amount": to_cents(pool.amount),
                                                  "alliance_ids": sorted(set(pool.alliance_ids))})
            return self._pool(session, pool_id)

    def pools(self, actor: Actor) -> list[PoolView]:
        if actor.role not in (*OPERATORS, Role.MANAGER, Role.REVIEWER):
            raise Forbidden(f"role '{actor.role}' may not see reserve pools")
        with self.db.read() as session:
            return [self._pool(session, p.id) for p in store.pools(session)
                    if actor.role in OPERATORS or actor.alliance_id in (p.alliance_ids or [])]

    def draw(self, actor: Actor, pool_id: int, data: Any, *, now: datetime) -> PoolView:
        require_aware(now)
        draw = parse_model(StandaloneDraw, data)
        require_steward(actor, draw.alliance_id, "draw on a reserve for the alliance")
        with self.db.write() as session:
            if draw.round_id is not None:
                round_ = repo.get(session, models.Round, draw.round_id)
                if round_ is None or round_.alliance_id != draw.alliance_id:
                    raise InvalidInput([FieldProblem("round_id", f"no round {draw.round_id} of this alliance")])
            self._draw(session, actor, pool_id, alliance_id=draw.alliance_id, year=draw.year,
                       amount=to_cents(draw.amount), reason=draw.reason, round_id=draw.round_id, now=now,
                       field="amount")
            return self._pool(session, pool_id)

    def _draw(self, session: Session, actor: Actor, pool_id: int, *, alliance_id: int, year: int, amount: int,
              reason: str, round_id: int | None, now: datetime, field: str) -> int:
        # The pool row stays locked until the transaction ends: two drawings at once cannot both take the rest.
        pool = store.pool_row(session, pool_id, lock=True)
        if pool is None or (actor.role not in OPERATORS and alliance_id not in (pool.alliance_ids or [])):
            raise InvalidInput([FieldProblem(f"{field}.pool_id" if "[" in field else "pool_id",
                                             f"no reserve pool {pool_id} open to alliance {alliance_id}")])
        problems = []
        if alliance_id not in (pool.alliance_ids or []):
            problems.append(FieldProblem("alliance_id", f"alliance {alliance_id} may not draw on '{pool.name}'"))
        if year != pool.year:
            problems.append(FieldProblem(f"{field}.year" if "[" in field else "year",
                                         f"the pool '{pool.name}' is for {pool.year}"))
        remaining = pool.amount - store.drawn_from(session, pool_id)
        if amount <= 0:
            problems.append(FieldProblem(field if "[" not in field else f"{field}.amount", "must be more than 0"))
        elif amount > remaining:
            problems.append(FieldProblem(field if "[" not in field else f"{field}.amount",
                                         f"{format_eur(amount)} is more than the {format_eur(remaining)} left "
                                         f"in '{pool.name}'"))
        if problems:
            raise InvalidInput(problems)
        return store.insert_draw(session, {"pool_id": pool_id, "alliance_id": alliance_id, "year": year,
                                           "amount": amount, "reason": reason, "round_id": round_id,
                                           "drawn_by": actor.user_id, "drawn_at": now})

    @staticmethod
    def _pool(session: Session, pool_id: int) -> PoolView:
        pool = store.pool_row(session, pool_id)
        assert pool is not None
        draws = list(store.draws(session, pool_id=pool_id))
        drawn = sum(d.amount for d in draws)
        return PoolView(id=pool.id, name=pool.name, year=pool.year, amount=pool.amount, drawn=drawn,
                        remaining=pool.amount - drawn, alliance_ids=list(pool.alliance_ids or []), draws=draws)

    # --- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _round(session: Session, actor: Actor, round_id: int) -> models.Round:
        return visible_round(actor, round_id, repo.get(session, models.Round, round_id))


def ranking_document(ranking: Ranking) -> dict[str, Any]:
    """The ranking as plain JSON, for the resolution's record."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, datetime):
            return value.isoformat()
        if hasattr(value, "as_tuple"):  # Decimal
            return str(value)
        return value
    document: dict[str, Any] = plain(asdict(ranking))
    return document

