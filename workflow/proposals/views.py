"""What use cases return: plain, immutable read models. api/ turns them into JSON, the CLI into tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflow.errors import FailedRule
from workflow.procedure.definition import TransitionDef
from workflow.proposals.records import AuditRecord


@dataclass(frozen=True)
class PlanYearView:
    year: int
    staff_fte: float
    total_cost: int
    grant_requested: int
    own_share: int
    own_share_source: str
    # None where the viewer may not see salary lines (steering-group members).
    staff_costs: int | None
    material_costs: int | None


@dataclass(frozen=True)
class DeadlineView:
    id: int
    kind: str
    due_at: datetime
    state: str | None
    label: dict[str, str] = field(default_factory=dict)
    overdue: bool = False


@dataclass(frozen=True)
class AllowedTransition:
    transition: TransitionDef
    target: str
    # Rules that would refuse the transition right now; empty when it can be fired.
    blocked_by: tuple[FailedRule, ...] = ()


@dataclass(frozen=True)
class ProposalView:
    id: int
    title: str
    summary: str
    target_group: str
    goals: str
    partners: list[str]
    state: str
    state_label: dict[str, str]
    terminal: bool
    editable: bool
    version: int
    procedure_key: str
    procedure_version: int
    round_id: int
    alliance_id: int
    organisation_id: int
    created_at: datetime
    updated_at: datetime
    funding_plan: list[PlanYearView] = field(default_factory=list)
    deadlines: list[DeadlineView] = field(default_factory=list)
    allowed: list[AllowedTransition] = field(default_factory=list)


@dataclass(frozen=True)
class ProposalSummary:
    """A line of a list: enough to find the proposal and see where it stands."""

    id: int
    title: str
    state: str
    state_label: dict[str, str]
    terminal: bool
    version: int
    round_id: int
    alliance_id: int
    organisation_id: int
    updated_at: datetime
    # The version it runs on: its round's, unless a migration moved it on.
    procedure_key: str = ""
    procedure_version: int = 0


# An entry of a proposal's history is its audit row, with the inputs its reader may see (queries.history_entry).
HistoryEntry = AuditRecord


@dataclass(frozen=True)
class StepResult:
    proposal_id: int
    transition: str
    from_state: str
    to_state: str
    version: int
