"""What the versioning store reads, as typed records instead of SQLAlchemy rows (issue 23, point 4).

As in workflow/proposals/records.py: the store selects a record's columns in its field order (`record_columns`)
and makes it as `Record(*row)`; tests/workflow/test_records.py holds it to the table's columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class MigrationRecord:
    """A row of procedure_migrations: running proposals moving from one procedure version to another."""

    id: int
    plan_id: str
    procedure_key: str
    from_version: int
    to_version: int
    plan: dict[str, Any]
    plan_fingerprint: str
    status: str
    moved: int
    planned: int
    started_by: int | None
    started_by_name: str
    started_at: datetime
    finished_at: datetime | None
    claim: str | None
    lease_until: datetime | None
    last_error: str | None
