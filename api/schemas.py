"""Request and response bodies of the HTTP API. Amounts are decimal strings in EUR ("19800.00"): exact, readable.

Request bodies for drafts are the engine's own input models (workflow/procedure/inputs.py): one definition of what a
valid proposal is, shown in /docs with examples from here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflow.procedure.inputs import MAX_ID, CenturyDate, CenturyTime, Euros
from workflow.procedure.labels import Labels as EngineLabels
from workflow.procedure.text_fields import MultiLine, OneLine


class Problem(BaseModel):
    """RFC 9457 problem details; `failed_rules` for refused rules, `errors` for invalid fields."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    failed_rules: list[dict[str, str]] | None = None
    errors: list[dict[str, str]] | None = None
    current_version: int | None = None


# --- procedures --------------------------------------------------------------------------------------------

# Labels are the engine's own model: one "Labels" in the document, in requests (a scoring scheme's criteria) and
# in answers alike.
Labels = EngineLabels


class ProcedureSummary(BaseModel):
    key: str
    version: int
    title: Labels
    initial: str
    states: int
    transitions: int


class StateOut(BaseModel):
    name: str
    label: Labels
    terminal: bool
    editable: bool
    bank_stage: bool
    binds_budget: bool


class InputOut(BaseModel):
    name: str
    type: str
    required: bool
    label: Labels


class GuardOut(BaseModel):
    name: str
    description: str


class TransitionOut(BaseModel):
    name: str
    label: Labels
    sources: list[str] = Field(serialization_alias="from")
    to: str
    roles: list[str]
    guards: list[GuardOut]
    inputs: list[InputOut]


class ProcedureOut(BaseModel):
    key: str
    version: int
    title: Labels
    initial: str
    states: list[StateOut]
    transitions: list[TransitionOut]


# --- alliances and rounds ------------------------------------------------------------------------------------

class AllianceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Fachkräfteallianz Leipzig (FKA-L)", "region": "Kreisfreie Stadt Leipzig",
         "action_concept_adopted_on": "2016-05-12", "funding_bank": "Sächsische Aufbaubank"}]})
    name: OneLine = Field(min_length=1, max_length=200)
    region: OneLine = Field(default="", max_length=200)
    action_concept_adopted_on: CenturyDate | None = None
    funding_bank: OneLine | None = Field(default=None, min_length=1, max_length=200, description=(
        "the organisation whose bank officers see and decide the alliance's forwarded proposals (created if new); "
        "without one, no bank officer sees them"))


class FundingBankIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"funding_bank": "Sächsische Aufbaubank"}]})
    funding_bank: OneLine | None = Field(min_length=1, max_length=200, description=(
        "the organisation's exact name (created if new); null: no bank officer sees the alliance's proposals"))


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": "600000.00"}]})
    amount: Euros


class BudgetOut(BaseModel):
    alliance_id: int
    year: int
    amount: str


class AllianceOut(BaseModel):
    id: int
    name: str
    region: str
    action_concept_adopted_on: date | None
    budgets: list[BudgetOut]
    funding_bank_id: int | None = None
    funding_bank: str | None = None  # the organisation's name


class RoundIn(BaseModel):
    """A call for proposals. Times without an offset are Europe/Berlin wall-clock times."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"alliance_id": 1, "name": "2. Einreichungstermin 2026", "opens_at": "2026-05-01T00:00:00+02:00",
         "closes_at": "2026-06-01T00:00:00+02:00"}]})
    alliance_id: int = Field(ge=1, le=MAX_ID)
    name: OneLine = Field(min_length=1, max_length=200)
    opens_at: CenturyTime
    closes_at: CenturyTime
    procedure_key: str | None = Field(default=None, max_length=100)
    procedure_version: int | None = Field(default=None, ge=1)


class RoundOut(BaseModel):
    id: int
    alliance_id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    procedure_key: str
    procedure_version: int


# --- proposals ---------------------------------------------------------------------------------------------

class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"transition": "submit"},
        {"transition": "request_revision", "reason": "Beschluss der Lenkungsgruppe vom 24.05.2016",
         "inputs": {"conditions": ["Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"],
                    "revision_deadline": "2016-06-13", "next_session": "2016-06-15"}},
        {"transition": "decline", "reason": "Nicht priorisiert: Mittel für MINT-Projekte ausgeschöpft",
         "session_id": 2}]})
    transition: str = Field(min_length=1, max_length=100)
    reason: MultiLine | None = Field(default=None, max_length=20_000)
    inputs: dict[str, Any] = Field(default_factory=dict)
    session_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                   description="the steering-group session the step was decided in (its minutes)")


class PlanYearOut(BaseModel):
    year: int
    staff_fte: float
    total_cost: str
    grant_requested: str
    own_share: str
    own_share_source: str
    staff_costs: str | None = Field(description="salary lines; null for steering-group members")
    material_costs: str | None = Field(description="null for steering-group members")


class DeadlineOut(BaseModel):
    id: int
    kind: str = Field(description="the deadline's name in the procedure, e.g. revision")
    label: str
    due_at: datetime
    overdue: bool = Field(description="the due moment has passed and the deadline is still open")
    state: str | None


class FailedRuleOut(BaseModel):
    rule: str
    why: str


class AllowedTransitionOut(BaseModel):
    name: str
    label: str
    to: str
    reason_required: bool
    inputs: list[InputOut]
    blocked_by: list[FailedRuleOut] = Field(description="rules that would refuse it now; empty when it can be fired")


class ProposalOut(BaseModel):
    id: int
    title: str
    summary: str
    target_group: str
    goals: str
    partners: list[str]
    state: str
    state_label: str
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
    funding_plan: list[PlanYearOut]
    deadlines: list[DeadlineOut]
    allowed_transitions: list[AllowedTransitionOut]


class ProposalSummaryOut(BaseModel):
    id: int
    title: str
    state: str
    state_label: str
    terminal: bool
    version: int
    round_id: int
    alliance_id: int
    organisation_id: int
    updated_at: datetime


class ProposalPage(BaseModel):
    items: list[ProposalSummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class HistoryEventOut(BaseModel):
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
    procedure_version: int
