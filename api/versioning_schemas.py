"""Request and response bodies of procedure versions, diffs and migrations. Version rows and a migration's
preview are read from the engine's read models (`from_attributes`); diffs and migrations from their fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import READS


class VersionOut(BaseModel):
    model_config = READS
    key: str
    version: int
    title: str
    source: str
    fingerprint: str = Field(description="digest of the definition's content; a published version keeps it")
    published_at: datetime | None
    states: int
    transitions: int
    rounds: int
    running: int = Field(description="proposals on this version in a non-terminal state")
    finished: int
    latest: bool


class FieldChangeOut(BaseModel):
    field: str
    before: Any = None
    after: Any = None
    added: list[str] = []
    removed: list[str] = []


class ItemChangeOut(BaseModel):
    kind: Literal["added", "removed", "renamed", "changed"]
    name: str
    label: dict[str, str]
    old_name: str | None = None
    fields: list[FieldChangeOut] = []


class DiffOut(BaseModel):
    key: str
    from_version: int
    to_version: int
    procedure: list[FieldChangeOut]
    states: list[ItemChangeOut]
    transitions: list[ItemChangeOut]
    deadlines: list[ItemChangeOut]
    state_names: dict[str, str] = Field(description="every state of the older version that still exists: "
                                                    "old name -> new name")
    text: list[str] = Field(description="the same, as lines of text for people (in the caller's language)")


class MigrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"plan": {"migration": {"id": "fachkraefterichtlinie-2027", "procedure": "saxony-regional", "from": 1,
                                "to": 2, "deadlines": "keep"},
                  "states": {}, "deadlines": {"forwarded_to_bank": "recreate"}},
         "dry_run": True},
    ]})
    plan: str | dict[str, Any] = Field(description="the migration plan: its TOML text, or the same as JSON")
    dry_run: bool = Field(default=True, description="only list what would happen (the default); false starts it")
    limit: int = Field(default=100, ge=0, le=1000, description="dry run: how many proposals to list")


class StateMoveOut(BaseModel):
    model_config = READS
    source: str
    target: str
    because: str
    deadlines: str
    proposals: int
    notes: list[str]


class DeadlineNoteOut(BaseModel):
    model_config = READS
    kind: str
    due_at: datetime


class DeadlineMovesOut(BaseModel):
    model_config = READS
    kept: list[DeadlineNoteOut]
    cancelled: list[DeadlineNoteOut]
    created: list[DeadlineNoteOut]
    without_date: list[str]


class ProposalMoveOut(BaseModel):
    model_config = READS
    proposal_id: int
    title: str
    from_state: str
    to_state: str
    deadlines: DeadlineMovesOut


class DryRunOut(BaseModel):
    dry_run: Literal[True] = True
    plan: dict[str, Any]
    states: list[StateMoveOut]
    proposals_total: int
    proposals: list[ProposalMoveOut] = Field(description="the first `limit` proposals, in id order")


class MigrationOut(BaseModel):
    id: int
    plan_id: str
    procedure_key: str
    from_version: int
    to_version: int
    status: Literal["running", "done"]
    planned: int = Field(description="running proposals on the older version when it was started")
    moved: int
    remaining: int
    progress: float = Field(description="moved / (moved + remaining), 0..1")
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    running_now: bool = Field(description="a process holds it right now (the CLI, or the scheduler's tick)")
    last_error: str | None
