"""The bank hand-off as one record: what was forwarded when, the bank's reference, decision, date and approved
amounts per year, and requests to start early (vorzeitiger Maßnahmebeginn) with their answers.

Forwarding and the decision are the procedure's own steps (their inputs are in the audit trail); this module
reads them back as one record and keeps the early-start requests, which do not change the proposal's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from workflow.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.procedure.inputs import CenturyDate, parse_model
from workflow.procedure.text_fields import MultiLine
from workflow.proposals import store as repo
from workflow.proposals.queries import ProposalQueries
from workflow.review import store
from workflow.timeutil import require_aware


class EarlyStartInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    wanted_from: CenturyDate
    reason: MultiLine = Field(min_length=3, max_length=5_000)


class EarlyStartAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    granted: bool
    note: MultiLine = Field(default="", max_length=5_000)


@dataclass(frozen=True)
class EarlyStartView:
    id: int
    wanted_from: date
    reason: str
    requested_at: datetime
    status: str  # requested | granted | refused
    answer_note: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class YearAmounts:
    year: int
    requested: int
    approved: int | None


@dataclass(frozen=True)
class BankRecord:
    proposal_id: int
    forwarded_at: datetime | None
    documents: list[str]
    decision: str | None  # approve | reject (the step's name), None while pending
    decided_at: datetime | None
    bank_reference: str | None
    decision_date: str | None
    reason: str | None
    amounts: list[YearAmounts]
    early_starts: list[EarlyStartView]


BANK_STEPS = ("approve", "reject")


class BankService(ProposalQueries):
    def record(self, actor: Actor, proposal_id: int) -> BankRecord:
        with self.db.read() as session:
            row = self._load(session, actor, proposal_id)
            history = repo.history(session, proposal_id)
            forward = next((h for h in reversed(history) if h.transition == "forward"), None)
            decision = next((h for h in reversed(history) if h.transition in BANK_STEPS), None)
            inputs = dict(decision.inputs or {}) if decision is not None else {}
            return BankRecord(
                proposal_id=row.id, forwarded_at=forward.at if forward else None,
                documents=list((forward.inputs or {}).get("documents", [])) if forward else [],
                decision=decision.transition if decision else None, decided_at=decision.at if decision else None,
                bank_reference=inputs.get("bank_reference"), decision_date=inputs.get("decision_date"),
                reason=decision.reason if decision else None,
                amounts=[YearAmounts(year=p.year, requested=p.grant_requested, approved=p.grant_approved)
                         for p in repo.plan(session, proposal_id)],
                early_starts=_early(session, proposal_id))

    def request_early_start(self, actor: Actor, proposal_id: int, data: Any, *, now: datetime) -> EarlyStartView:
        require_aware(now)
        request = parse_model(EarlyStartInput, data)
        if not 2000 <= request.wanted_from.year <= 2100:
            raise InvalidInput([FieldProblem("wanted_from", "must be between 2000 and 2100")])
        with self.db.write() as session:
            store.lock_proposal(session, proposal_id)  # two requests at once: the second sees the first
            row = self._load(session, actor, proposal_id)
            if actor.role != Role.APPLICANT:
                raise Forbidden("the applicant asks to start early")
            state = self._machine(row).procedure.state(row.state)
            if state.terminal or row.reached_alliance_at is None:
                raise Conflict("an early start is asked for a submitted proposal that awaits its decision; "
                               f"this one is in '{row.state}'")
            if any(e.status == "requested" for e in store.early_starts(session, proposal_id)):
                raise Conflict("an earlier request to start early is still unanswered")
            request_id = store.insert_early_start(session, {
                "proposal_id": proposal_id, "wanted_from": request.wanted_from, "reason": request.reason,
                "requested_by": actor.user_id, "requested_at": now, "status": "requested"})
            store.record_act(session, actor, row, kind="early_start", now=now, inputs={
                "early_start": request_id, "action": "requested", "wanted_from": request.wanted_from.isoformat()})
            return next(e for e in _early(session, proposal_id) if e.id == request_id)

    def answer_early_start(self, actor: Actor, proposal_id: int, request_id: int, data: Any, *,
                           now: datetime) -> EarlyStartView:
        require_aware(now)
        answer = parse_model(EarlyStartAnswer, data)
        with self.db.write() as session:
            store.lock_proposal(session, proposal_id)  # two answers at once: the second sees the first
            row = self._load(session, actor, proposal_id)
            if actor.role not in (Role.BANK, Role.MANAGER):
                raise Forbidden("the bank answers a request to start early (or the manager, on the bank's letter)")
            if actor.role == Role.MANAGER and actor.alliance_id != row.alliance_id:
                raise NotFound(f"proposal {proposal_id} not found")
            request = next((e for e in store.early_starts(session, proposal_id) if e.id == request_id), None)
            if request is None:
                raise NotFound(f"proposal {proposal_id} has no early-start request {request_id}")
            if request.status != "requested":
                raise Conflict(f"the request was answered already ({request.status})")
            status = "granted" if answer.granted else "refused"
            store.update_early_start(session, request_id, {"status": status, "answer_note": answer.note or None,
                                                           "answered_by": actor.user_id, "answered_at": now})
            store.record_act(session, actor, row, kind="early_start", now=now,
                             inputs={"early_start": request_id, "action": status, "note": answer.note})
            return next(e for e in _early(session, proposal_id) if e.id == request_id)


def _early(session: Session, proposal_id: int) -> list[EarlyStartView]:
    return [EarlyStartView(id=e.id, wanted_from=e.wanted_from, reason=e.reason, requested_at=e.requested_at,
                           status=e.status, answer_note=e.answer_note, answered_at=e.answered_at)
            for e in store.early_starts(session, proposal_id)]

