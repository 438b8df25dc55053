"""What the notifications store reads, as typed records instead of SQLAlchemy rows (issue 23, point 4).

As in workflow/proposals/records.py: a record's fields are its select's columns, with their names and in their
order (`record_columns`), and the store makes it as `Record(*row)`. A record of a whole table has a field for
every column of the table (tests/workflow/test_records.py holds them to the schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SweptDeadline:
    """What the sweep and the notifications read of a claimed deadline (each time column read costs a conversion
    per row, so not all of them)."""

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


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A row of outbox_messages."""

    id: int
    key: str
    channel: str
    kind: str
    topic: str
    user_id: int | None
    alliance_id: int | None
    proposal_id: int | None
    deadline_id: int | None
    address: str | None
    subject: str
    body: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    claim: str | None
    lease_until: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Delivery(OutboxRecord):
    """A claimed outbox message to send, with its alliance's webhook secret (None: none, or no alliance)."""

    webhook_secret: str | None


@dataclass(frozen=True, slots=True)
class AllianceAddress:
    """An alliance's name and webhook URL, for the notifications of a batch."""

    id: int
    name: str
    webhook_url: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a notification tells: where it reaches them and in which language."""

    id: int
    name: str
    email: str | None
    language: str
    organisation_id: int | None


@dataclass(frozen=True, slots=True)
class AudienceRow:
    """One row of a step's audience: the alliance's webhook URL on every row, and one applicant (None when there
    is nobody to tell) with one channel they muted (None: none), one row per mute."""

    webhook_url: str | None
    id: int | None
    name: str | None
    email: str | None
    language: str | None
    channel: str | None
