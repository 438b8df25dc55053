"""What the review store reads, as typed records instead of SQLAlchemy rows (issue 23, point 4).

As in workflow/proposals/records.py: a record's fields are its select's columns, with their names and in their
order (`record_columns`), and the store makes it as `Record(*row)`. A record of a whole table has a field for
every column of the table (tests/workflow/test_records.py holds them to the schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.proposals.records import AuditRecord


@dataclass(frozen=True, slots=True)
class DecisionRecord(AuditRecord):
    """A step decided in a steering-group meeting: its audit row and the proposal's title."""

    title: str


@dataclass(frozen=True, slots=True)
class SchemeRecord:
    """A row of round_scoring_schemes: the scoring scheme a manager set for a round."""

    id: int
    round_id: int
    scheme: dict[str, Any]
    set_by: int | None
    set_at: datetime


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    """A row of scores: one member's sheet for one proposal."""

    id: int
    proposal_id: int
    scorer_id: int
    points: dict[str, Any]
    ko: dict[str, Any]
    comment: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConditionRecord:
    """A row of conditions: a condition (Auflage) of a second reading."""

    id: int
    proposal_id: int
    reading_seq: int
    position: int
    text: str
    responsible: str
    due_on: date | None
    status: str
    answer: str | None
    evidence: list[str]
    answered_at: datetime | None
    answered_by: int | None
    judged_at: datetime | None
    judged_by: int | None
    judgement_note: str | None
    session_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """A row of steering_sessions: a meeting of an alliance's steering group."""

    id: int
    alliance_id: int
    title: str
    held_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgendaItemRecord:
    """A row of agenda_items: a proposal on a meeting's agenda."""

    id: int
    session_id: int
    proposal_id: int
    position: int
    purpose: str


@dataclass(frozen=True, slots=True)
class AgendaLine(AgendaItemRecord):
    """An agenda item with the proposal's title and state, for the meeting's view."""

    title: str
    state: str


@dataclass(frozen=True, slots=True)
class ResolutionRecord:
    """A row of resolutions: one version of the steering group's priorisation of a round."""

    id: int
    round_id: int
    version: int
    session_id: int | None
    decided_on: date
    note: str
    body: dict[str, Any]
    ranking: dict[str, Any]
    recorded_by: int | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PoolRecord:
    """A row of reserve_pools: money set aside for a year, for the alliances named."""

    id: int
    name: str
    year: int
    amount: int
    alliance_ids: list[int]


@dataclass(frozen=True, slots=True)
class DrawRecord:
    """A row of reserve_draws: money an alliance drew from a pool."""

    id: int
    pool_id: int
    alliance_id: int
    year: int
    amount: int
    reason: str
    round_id: int | None
    drawn_by: int | None
    drawn_at: datetime


@dataclass(frozen=True, slots=True)
class EarlyStartRecord:
    """A row of early_starts: a request to start before the approval (vorzeitiger Maßnahmebeginn)."""

    id: int
    proposal_id: int
    wanted_from: date
    reason: str
    requested_by: int | None
    requested_at: datetime
    status: str
    answer_note: str | None
    answered_by: int | None
    answered_at: datetime | None
