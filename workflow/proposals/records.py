"""What the proposals store reads, as typed records instead of SQLAlchemy rows (issue 23, point 4).

A record's fields are the columns of its select, with the same names, in the same order: the store selects the
columns of a record in its field order (`store.record_columns`) and builds it from the row's values, `Record(*row)`,
which costs one object per row and nothing per field. A record of a whole table has a field for every column of
the table (tests/workflow/test_records.py holds them to the schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    """A row of the proposals table."""

    id: int
    round_id: int
    alliance_id: int
    organisation_id: int
    title: str
    summary: str
    target_group: str
    goals: str
    partners: list[str]
    state: str
    version: int
    procedure_key: str
    procedure_version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    reached_alliance_at: datetime | None
    reached_bank_at: datetime | None
    binds_budget: bool


@dataclass(frozen=True, slots=True)
class ProposalHeadline:
    """What a notification says of a proposal: who it belongs to, what it is called, where it stands."""

    id: int
    alliance_id: int
    organisation_id: int
    title: str
    state: str
    procedure_key: str
    procedure_version: int


@dataclass(frozen=True, slots=True)
class ClosedRoundProposal:
    """A proposal whose round has closed, with the procedure version it runs on and the round's closing."""

    id: int
    state: str
    procedure_key: str
    procedure_version: int
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class FundingYearRecord:
    """A row of the funding plan (funding_years): one year of a proposal's plan, amounts in cents."""

    id: int
    proposal_id: int
    year: int
    staff_fte: float
    staff_costs: int
    material_costs: int
    total_cost: int
    grant_requested: int
    own_share: int
    own_share_source: str
    grant_approved: int | None


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """A row of the rounds table."""

    id: int
    alliance_id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    procedure_key: str
    procedure_version: int


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A row of the audit trail (audit_events)."""

    id: int
    proposal_id: int
    seq: int
    at: datetime
    kind: str
    actor_id: int | None
    actor_name: str
    actor_role: str
    transition: str | None
    from_state: str | None
    to_state: str
    reason: str | None
    inputs: dict[str, Any]
    request_id: str | None
    procedure_key: str
    procedure_version: int
    session_id: int | None


@dataclass(frozen=True, slots=True)
class DeadlineRecord:
    """A row of the deadlines table: a proposal's, a round's or an alliance's."""

    id: int
    proposal_id: int | None
    round_id: int | None
    alliance_id: int | None
    kind: str
    procedure_key: str | None
    procedure_version: int | None
    state: str | None
    due_at: datetime
    status: str
    stage: int
    next_fire_at: datetime | None
    claim: str | None
    lease_until: datetime | None
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClosedDeadline:
    """A deadline that is no longer open: its kind, when it was due and how far its reminders went."""

    kind: str
    due_at: datetime
    stage: int


@dataclass(frozen=True, slots=True)
class IdempotencyEntry:
    """A row of idempotency_records: the answer kept for a caller's Idempotency-Key."""

    id: int
    actor_key: str
    key: str
    scope: str
    fingerprint: str
    status: int
    body: dict[str, Any]
    etag: str | None
    created_at: datetime
