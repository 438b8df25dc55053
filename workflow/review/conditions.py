"""Second-reading conditions (Auflagen): the applicant answers each, the steering group judges each.

A condition's life is in its row (asked, answered, judged, with who and when) and in the proposal's history: each
answer and each judgement is an audit event of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from workflow.errors import Conflict, Forbidden, NotFound
from workflow.people.actors import Actor
from workflow.procedure.definition import StateDef
from workflow.procedure.inputs import parse_model
from workflow.procedure.text_fields import MultiLine, OneLine
from workflow.proposals.permissions import writes_proposals
from workflow.proposals.queries import ProposalQueries
from workflow.proposals.records import ProposalRecord
from workflow.review import store
from workflow.review.access import is_steward, require_steward
from workflow.review.meeting_ref import check_meeting
from workflow.review.records import ConditionRecord
from workflow.timeutil import require_aware

Text = Annotated[MultiLine, Field(min_length=1, max_length=20_000)]


class AnswerInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Text
    # What backs the answer up: e.g. "Kooperationsvereinbarung mit der HTWK vom 08.06.2016".
    evidence: list[Annotated[OneLine, Field(min_length=1, max_length=500)]] = Field(default_factory=list, max_length=20)


class JudgementInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    met: bool
    note: MultiLine = Field(default="", max_length=5_000)
    session_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@dataclass(frozen=True)
class ConditionView:
    id: int
    reading_seq: int
    position: int
    current: bool  # part of the latest second reading
    text: str
    responsible: str
    due_on: date | None
    status: str
    answer: str | None
    evidence: list[str]
    answered_at: datetime | None
    judged_at: datetime | None
    judgement_note: str | None
    session_id: int | None
    created_at: datetime


def judged_now(state: StateDef) -> bool:
    """Conditions are judged in the second reading: after the revised proposal came back, before a final state."""
    return not state.editable and not state.terminal


def may_judge(actor: Actor, alliance_id: int, state: StateDef) -> bool:
    """Whether `judge` would take the actor's judgement of a proposal of the alliance in this state."""
    return is_steward(actor, alliance_id) and judged_now(state)


class ConditionService(ProposalQueries):
    def conditions(self, actor: Actor, proposal_id: int) -> list[ConditionView]:
        with self.db.read() as session:
            self._load(session, actor, proposal_id)
            return condition_views(store.condition_rows(session, proposal_id))

    def answer(self, actor: Actor, proposal_id: int, condition_id: int, data: Any, *, now: datetime,
               request_id: str | None = None) -> ConditionView:
        require_aware(now)
        answer = parse_model(AnswerInput, data)
        with self.db.write() as session:
            row, condition = self._condition(session, actor, proposal_id, condition_id)
            if not writes_proposals(actor):
                raise Forbidden("the applicant answers the conditions of a second reading")
            if not self._machine(row).procedure.state(row.state).editable:
                raise Conflict(f"conditions are answered while the proposal is being revised; it is in '{row.state}'")
            values = {"status": "answered", "answer": answer.text, "evidence": answer.evidence, "answered_at": now,
                      "answered_by": actor.user_id}
            store.update_condition(session, condition_id, values)
            store.record_act(session, actor, row, kind="condition", now=now, request_id=request_id, inputs={
                "condition_id": condition_id, "position": condition.position, "action": "answered",
                "text": answer.text, "evidence": answer.evidence})
            return self._condition_view(session, proposal_id, condition_id)

    def judge(self, actor: Actor, proposal_id: int, condition_id: int, data: Any, *, now: datetime,
              request_id: str | None = None) -> ConditionView:
        require_aware(now)
        judgement = parse_model(JudgementInput, data)
        with self.db.write() as session:
            row, condition = self._condition(session, actor, proposal_id, condition_id)
            require_steward(actor, row.alliance_id, "judge conditions")
            state = self._machine(row).procedure.state(row.state)
            if not judged_now(state):
                raise Conflict("conditions are judged in the second reading, after the revised proposal came back; "
                               f"the proposal is in '{row.state}'")
            if judgement.session_id is not None:
                check_meeting(session, judgement.session_id, alliance_id=row.alliance_id)
            status = "met" if judgement.met else "not_met"
            store.update_condition(session, condition_id, {
                "status": status, "judged_at": now, "judged_by": actor.user_id,
                "judgement_note": judgement.note or None, "session_id": judgement.session_id or condition.session_id})
            store.record_act(session, actor, row, kind="condition", now=now, request_id=request_id, inputs={
                "condition_id": condition_id, "position": condition.position, "action": "judged", "status": status,
                "note": judgement.note}, session_id=judgement.session_id)
            return self._condition_view(session, proposal_id, condition_id)

    # --- internals ---------------------------------------------------------------------------------------

    def _condition(self, session: Session, actor: Actor, proposal_id: int, condition_id: int
                   ) -> tuple[ProposalRecord, ConditionRecord]:
        # Read the proposal's state and reading only once a step changing them at the same moment is done.
        store.lock_proposal(session, proposal_id)
        row = self._load(session, actor, proposal_id)
        rows = store.condition_rows(session, proposal_id)
        condition = next((c for c in rows if c.id == condition_id), None)
        if condition is None:
            raise NotFound(f"proposal {proposal_id} has no condition {condition_id}")
        if condition not in store.latest_reading(rows):
            raise Conflict(f"condition {condition_id} belongs to an earlier second reading, which is decided")
        return row, condition

    @staticmethod
    def _condition_view(session: Session, proposal_id: int, condition_id: int) -> ConditionView:
        return next(v for v in condition_views(store.condition_rows(session, proposal_id)) if v.id == condition_id)


def condition_views(rows: Sequence[ConditionRecord]) -> list[ConditionView]:
    """A proposal's condition rows as read models, each marked whether it belongs to the latest second reading."""
    latest = {r.id for r in store.latest_reading(rows)}
    return [ConditionView(id=r.id, reading_seq=r.reading_seq, position=r.position, current=r.id in latest,
                          text=r.text, responsible=r.responsible, due_on=r.due_on, status=r.status, answer=r.answer,
                          evidence=list(r.evidence or []), answered_at=r.answered_at, judged_at=r.judged_at,
                          judgement_note=r.judgement_note, session_id=r.session_id, created_at=r.created_at)
            for r in rows]
