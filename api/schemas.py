"""Request and response bodies of the HTTP API. Amounts are decimal strings in EUR ("19800.00"): exact, readable.

Request bodies for drafts are the engine's own input models (workflow/procedure/inputs.py): one definition of what a
valid proposal is, shown in /docs with examples from here. Response bodies read the engine's read models
(`Out.model_validate(view)`, `from_attributes`); a field whose answer differs from the attribute says how by its
type (api/formats.py) or its alias.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AliasPath, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from api.formats import Count, EurAmount, EurAmountOrNone, InLanguage, With, language
from workflow.procedure.inputs import MAX_ID, CenturyDate, CenturyTime, Euros
from workflow.procedure.labels import Labels as EngineLabels
from workflow.procedure.rules import GUARDS
from workflow.procedure.text_fields import MultiLine, OneLine

# Response bodies read the engine's read models.
READS = ConfigDict(from_attributes=True)


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
    model_config = READS
    key: str
    version: int
    title: Labels
    initial: str
    states: Count
    transitions: Count


class StateOut(BaseModel):
    model_config = READS
    name: str
    label: Labels
    terminal: bool
    editable: bool
    bank_stage: bool
    binds_budget: bool


class InputOut(BaseModel):
    model_config = READS
    name: str
    type: str
    required: bool
    label: Labels


class GuardOut(BaseModel):
    # A guard of workflow/procedure/rules.py (GUARDS), named in a transition.
    model_config = READS
    name: str
    description: str


def _guard(name: Any) -> Any:
    return GUARDS[name] if isinstance(name, str) else name


class TransitionOut(BaseModel):
    model_config = READS
    name: str
    label: Labels
    sources: list[str] = Field(serialization_alias="from")
    to: str
    roles: list[str]
    guards: list[Annotated[GuardOut, BeforeValidator(_guard)]]
    inputs: list[InputOut]


class ProcedureOut(BaseModel):
    model_config = READS
    key: str
    version: int
    title: Labels
    initial: str
    states: list[StateOut]
    transitions: list[TransitionOut]

    @field_validator("states", mode="before")
    @classmethod
    def _named(cls, states: Any) -> Any:
        """A procedure keeps its states by name; a StateDef does not know its own."""
        if not isinstance(states, dict):
            return states
        return [{"name": name, **dict(state)} for name, state in states.items()]

    @field_validator("transitions", mode="before")
    @classmethod
    def _listed(cls, transitions: Any) -> Any:
        return list(transitions.values()) if isinstance(transitions, dict) else transitions


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
    model_config = READS
    alliance_id: int
    year: int
    amount: EurAmount


class AllianceOut(BaseModel):
    # An alliance as stored, with its budgets and its funding bank's name (read beside it).
    model_config = READS
    id: int
    name: str
    region: str
    action_concept_adopted_on: date | None
    budgets: list[BudgetOut]
    funding_bank_id: int | None = None
    funding_bank: str | None = None  # the organisation's name

    @classmethod
    def of(cls, alliance: object, budgets: list[Any], funding_bank: str | None) -> AllianceOut:
        return cls.model_validate(With(alliance, budgets=budgets, funding_bank=funding_bank))


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
    model_config = READS
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
    model_config = READS
    year: int
    staff_fte: float
    total_cost: EurAmount
    grant_requested: EurAmount
    own_share: EurAmount
    own_share_source: str
    staff_costs: EurAmountOrNone = Field(description="salary lines; null for steering-group members")
    material_costs: EurAmountOrNone = Field(description="null for steering-group members")


class DeadlineOut(BaseModel):
    model_config = READS
    id: int
    kind: str = Field(description="the deadline's name in the procedure, e.g. revision")
    label: str
    due_at: datetime
    overdue: bool = Field(description="the due moment has passed and the deadline is still open")
    state: str | None

    @field_validator("label", mode="before")
    @classmethod
    def _in_language(cls, labels: Any, info: ValidationInfo) -> Any:
        """In the caller's language; the deadline's name where the procedure gives no label in it."""
        return labels.get(language(info), info.data.get("kind")) if isinstance(labels, dict) else labels


class FailedRuleOut(BaseModel):
    model_config = READS
    rule: str
    why: str


def _needs_reason(guards: Any) -> Any:
    return "reason_given" in guards if isinstance(guards, tuple | list) else guards


class AllowedTransitionOut(BaseModel):
    # An AllowedTransition: its TransitionDef's name, label and inputs, its target, the rules blocking it.
    model_config = READS
    name: str = Field(validation_alias=AliasPath("transition", "name"))
    label: InLanguage = Field(validation_alias=AliasPath("transition", "label"))
    to: str = Field(validation_alias="target")
    reason_required: Annotated[bool, BeforeValidator(_needs_reason)] = Field(
        validation_alias=AliasPath("transition", "guards"))
    inputs: list[InputOut] = Field(validation_alias=AliasPath("transition", "inputs"))
    blocked_by: list[FailedRuleOut] = Field(description="rules that would refuse it now; empty when it can be fired")


class ProposalOut(BaseModel):
    # A ProposalView; labels in the language of the validation context (`context={"language": ...}`).
    model_config = READS
    id: int
    title: str
    summary: str
    target_group: str
    goals: str
    partners: list[str]
    state: str
    state_label: InLanguage
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
    allowed_transitions: list[AllowedTransitionOut] = Field(validation_alias="allowed")

    @classmethod
    def of(cls, view: object, language: str) -> ProposalOut:
        return cls.model_validate(view, context={"language": language})


class ProposalSummaryOut(BaseModel):
    model_config = READS
    id: int
    title: str
    state: str
    state_label: InLanguage
    terminal: bool
    version: int
    round_id: int
    alliance_id: int
    organisation_id: int
    updated_at: datetime

    @classmethod
    def of(cls, item: object, language: str) -> ProposalSummaryOut:
        return cls.model_validate(item, context={"language": language})


class ProposalPage(BaseModel):
    items: list[ProposalSummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class HistoryEventOut(BaseModel):
    model_config = READS
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
