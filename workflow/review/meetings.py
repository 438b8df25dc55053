"""Steering-group sessions: dates, agendas, and minutes made of the decisions taken in them.

Putting a proposal on a session's agenda for its hearing sets the hearing date through the procedure's own step
(the one that takes a `next_session` date and stays in the state), so the hearing deadline and its reminders
come from the procedure like any other; the minutes are the audit events that name the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session

from workflow.errors import Conflict, FieldProblem, InvalidInput, NotFound
from workflow.people.actors import Actor
from workflow.persistence import models
from workflow.procedure.inputs import MAX_ID, clean_line, parse_model
from workflow.procedure.text_fields import OneLine
from workflow.proposals import store as repo
from workflow.proposals.queries import history_entry
from workflow.proposals.records import ProposalRecord
from workflow.proposals.service import ProposalService
from workflow.proposals.views import HistoryEntry
from workflow.proposals.visibility import shown_inputs
from workflow.review import store
from workflow.review.access import in_alliance, require_steward
from workflow.review.records import MeetingRecord
from workflow.timeutil import DEFAULT_ZONE, require_aware


class NewMeeting(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: OneLine = Field(min_length=3, max_length=200)
    held_at: AwareDatetime


class NewAgendaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposal_id: int = Field(ge=1, le=MAX_ID)
    purpose: Literal["hearing", "second_reading", "decision"] = "hearing"


@dataclass(frozen=True)
class MeetingView:
    id: int
    alliance_id: int
    title: str
    held_at: datetime


@dataclass(frozen=True)
class AgendaEntry:
    position: int
    proposal_id: int
    title: str
    state: str
    purpose: str


@dataclass(frozen=True)
class Decision:
    proposal_id: int
    title: str
    entry: HistoryEntry


@dataclass(frozen=True)
class MeetingDetail:
    session: MeetingView
    agenda: list[AgendaEntry]
    decisions: list[Decision]
    resolutions: list[int]  # ids of the resolutions recorded in the session


class MeetingService:
    def __init__(self, proposals: ProposalService) -> None:
        self.proposals = proposals
        self.db = proposals.db

    def create(self, actor: Actor, alliance_id: int, data: Any, *, now: datetime) -> MeetingView:
        require_aware(now)
        new = parse_model(NewMeeting, data)
        clean_line("title", new.title)
        if not 2000 <= new.held_at.year <= 2100:
            raise InvalidInput([FieldProblem("held_at", "must be between 2000 and 2100")])
        require_steward(actor, alliance_id, "schedule steering-group sessions")
        with self.db.write() as session:
            if repo.get(session, models.Alliance, alliance_id) is None:
                raise NotFound(f"alliance {alliance_id} not found")
            session_id = store.insert_session(session, {"alliance_id": alliance_id, "title": new.title,
                                                        "held_at": new.held_at, "created_at": now})
            row = store.session_row(session, session_id)
            assert row is not None
            return _view(row)

    def list(self, actor: Actor, alliance_id: int) -> list[MeetingView]:
        if not in_alliance(actor, alliance_id):
            raise NotFound(f"alliance {alliance_id} has no sessions you may see")
        with self.db.read() as session:
            return [_view(r) for r in store.sessions_of(session, alliance_id)]

    def get(self, actor: Actor, session_id: int) -> MeetingDetail:
        with self.db.read() as session:
            return self._detail(session, actor, self._session(session, actor, session_id))

    def add_to_agenda(self, actor: Actor, session_id: int, data: Any, *, now: datetime,
                      request_id: str | None = None) -> MeetingDetail:
        require_aware(now)
        item = parse_model(NewAgendaItem, data)
        with self.db.write() as session:
            row = self._session(session, actor, session_id)
            require_steward(actor, row.alliance_id, "set the agenda")
            proposal = self.proposals.visible_row(session, actor, item.proposal_id)
            if proposal.alliance_id != row.alliance_id:
                raise NotFound(f"proposal {item.proposal_id} not found")
            if store.agenda_item(session, session_id, item.proposal_id) is not None:
                raise Conflict(f"proposal {item.proposal_id} is on this session's agenda already")
            store.add_agenda_item(session, session_id, item.proposal_id, item.purpose)
            if item.purpose == "hearing":
                self._set_hearing(session, actor, proposal, row, now=now, request_id=request_id)
            return self._detail(session, actor, row)

    # --- internals ---------------------------------------------------------------------------------------

    def _set_hearing(self, session: Session, actor: Actor, proposal: ProposalRecord, row: MeetingRecord, *,
                     now: datetime, request_id: str | None) -> None:
        """Fire the procedure's step that sets the hearing date, if the proposal's state has one."""
        machine = self.proposals.machine_of(proposal)
        step = next((t for t in machine.procedure.transitions_from(proposal.state)
                     if t.to == proposal.state and any(i.name == "next_session" for i in t.inputs)
                     and actor.role.value in t.roles), None)
        if step is None:
            return
        day = row.held_at.astimezone(DEFAULT_ZONE).date().isoformat()
        self.proposals.step(session, actor, proposal.id, step.name, expected_version=proposal.version, now=now,
                            reason=f"Anhörung in der Sitzung '{row.title}'", inputs={"next_session": day},
                            request_id=request_id, meeting_id=row.id)

    def _session(self, session: Session, actor: Actor, session_id: int) -> MeetingRecord:
        row = store.session_row(session, session_id)
        if row is None or not in_alliance(actor, row.alliance_id):
            raise NotFound(f"session {session_id} not found")
        return row

    @staticmethod
    def _detail(session: Session, actor: Actor, row: MeetingRecord) -> MeetingDetail:
        return MeetingDetail(
            session=_view(row),
            agenda=[AgendaEntry(position=a.position, proposal_id=a.proposal_id, title=a.title, state=a.state,
                                purpose=a.purpose) for a in store.agenda(session, row.id)],
            decisions=[Decision(proposal_id=d.proposal_id, title=d.title, entry=history_entry(
                d, shown_inputs(actor, kind=d.kind, author_id=d.actor_id, inputs=d.inputs)))
                for d in store.decisions_in(session, row.id)],
            resolutions=store.resolutions_in_session(session, row.id),
        )


def _view(row: MeetingRecord) -> MeetingView:
    return MeetingView(id=row.id, alliance_id=row.alliance_id, title=row.title, held_at=row.held_at)

