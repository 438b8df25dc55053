"""Bodies of the steering group's endpoints: scoring, conditions, sessions, priorisation, reserves, the bank.

Request bodies are the engine's own input models (workflow/review/*.py), as for drafts: one definition of what is
valid. Responses read the services' views (`Out.model_validate(view)`, `from_attributes`); amounts are EUR strings
("19800.00") and scores are decimal strings ("4.33"), both exact (api/formats.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.formats import DecimalOrNone, DecimalString, EurAmount, EurAmountOrNone, With
from api.schemas import READS, HistoryEventOut, Labels
from workflow.procedure.inputs import CenturyTime
from workflow.procedure.text_fields import OneLine
from workflow.review.ranking import BudgetLine, Candidate, Entry, Ranking
from workflow.review.scoring import ScoringView
from workflow.timeutil import DEFAULT_ZONE

# --- scoring -------------------------------------------------------------------------------------------------

class CriterionOut(BaseModel):
    model_config = READS
    key: str
    label: Labels
    weight: int
    max_points: int


class KoCriterionOut(BaseModel):
    model_config = READS
    key: str
    label: Labels


class ScoringSchemeOut(BaseModel):
    model_config = READS
    scorers: str = Field(description="who scores: reviewer (the steering group's voting members) or bank")
    fixed: bool = Field(description="the procedure fixes the scheme; no round may change it")
    criteria: list[CriterionOut]
    ko: list[KoCriterionOut]
    min_share: int = Field(description="percent of the maximum weighted total below which a proposal cannot be "
                                       "prioritised")
    quorum: int = Field(description="scores of members without a conflict of interest needed for the decision")
    blind: bool = Field(description="members see the others' scores only after scoring themselves")
    tie_break: str
    max_total: int = Field(description="the maximum weighted total")


class SchemeOut(BaseModel):
    model_config = READS
    round_id: int
    scheme: ScoringSchemeOut | None = Field(description="null while the round has none")
    source: str = Field(description="procedure, round or none")
    changeable: bool = Field(description="the manager may still replace it (not fixed, nobody has scored yet)")


class MemberOut(BaseModel):
    model_config = READS
    user_id: int
    name: str
    scored: bool
    conflict: str | None = Field(description="why the member may not score this proposal; null if they may")


class SheetOut(BaseModel):
    model_config = READS
    scorer_id: int
    scorer_name: str
    points: dict[str, int]
    ko: dict[str, bool]
    comment: str
    updated_at: datetime


class ResultOut(BaseModel):
    model_config = READS
    scores: int = Field(description="sheets that count (members without a conflict of interest)")
    per_criterion: dict[str, DecimalString] = Field(description="mean points per criterion, two places")
    total: DecimalString = Field(description="weighted sum of the means, two places")
    max_total: int
    share: DecimalString = Field(description="percent of the maximum, two places")
    ko_failed: list[str]
    passes: bool = Field(description="scored, no k.o. criterion failed, at least the scheme's minimum share")


class ScoringOut(BaseModel):
    model_config = READS
    proposal_id: int
    scheme: ScoringSchemeOut | None
    members: list[MemberOut]
    quorum_reached: bool
    result: ResultOut | None = Field(description="null while the caller may not see it yet")
    own: SheetOut | None = Field(description="the caller's own sheet")
    sheets: list[SheetOut] = Field(description="the other members' sheets the caller may see")
    hidden_until_scored: bool = Field(description="the caller sees the others' scores after giving their own")

    @classmethod
    def of(cls, v: ScoringView) -> ScoringOut:
        """Whether the result passes is the scheme's to say: a Result does not know its scheme."""
        result = None if v.result is None or v.scheme is None else With(v.result, passes=v.result.passes(v.scheme))
        return cls.model_validate(With(v, result=result))


SCHEME_EXAMPLE = {
    "scorers": "reviewer", "min_share": 30, "quorum": 3, "blind": True, "tie_break": "earlier_submission_first",
    "criteria": [
        {"key": "regional_need", "label": {"de": "Regionaler Fachkräftebedarf", "en": "Regional need"},
         "weight": 3, "max_points": 5},
        {"key": "concept", "label": {"de": "Qualität des Konzepts", "en": "Quality of the concept"},
         "weight": 2, "max_points": 5}],
    "ko": [{"key": "documents_complete", "label": {"de": "Antragsunterlagen vollständig",
                                                   "en": "Documents complete"}}],
}
SCORE_EXAMPLE = {"points": {"regional_need": 4, "concept": 3}, "ko": {"documents_complete": True},
                 "comment": "Gute Vernetzung, Verstetigung offen"}


# --- conditions ----------------------------------------------------------------------------------------------

class ConditionOut(BaseModel):
    model_config = READS
    id: int
    reading_seq: int = Field(description="the history position of the second reading that set it")
    position: int
    current: bool = Field(description="part of the latest second reading")
    text: str
    responsible: str
    due_on: date | None
    status: str = Field(description="open, answered, met or not_met")
    answer: str | None
    evidence: list[str]
    answered_at: datetime | None
    judged_at: datetime | None
    judgement_note: str | None
    session_id: int | None
    created_at: datetime


ANSWER_EXAMPLE = {"text": "Kooperativer Ansatz mit HTWK und Inspirata e.V. vereinbart",
                  "evidence": ["Kooperationsvereinbarung mit der HTWK vom 08.06.2016"]}
JUDGEMENT_EXAMPLE = {"met": True, "note": "Vereinbarung liegt vor", "session_id": 1}


# --- sessions ------------------------------------------------------------------------------------------------

class SessionIn(BaseModel):
    """A steering-group session. A time without an offset is a Europe/Berlin wall-clock time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"title": "Sitzung der Lenkungsgruppe am 24.05.2016", "held_at": "2016-05-24T14:00:00+02:00"}]})
    title: OneLine = Field(min_length=3, max_length=200)
    held_at: CenturyTime

    @field_validator("held_at")
    @classmethod
    def _plausible_year(cls, value: datetime) -> datetime:
        if not 2000 <= value.year <= 2100:
            raise ValueError("must be a time between the years 2000 and 2100")
        # As people write session dates: without an offset, a Berlin wall-clock time.
        return value if value.tzinfo is not None else value.replace(tzinfo=DEFAULT_ZONE)


class SessionOut(BaseModel):
    model_config = READS
    id: int
    alliance_id: int
    title: str
    held_at: datetime


class AgendaEntryOut(BaseModel):
    model_config = READS
    position: int
    proposal_id: int
    title: str
    state: str
    purpose: str = Field(description="hearing, second_reading or decision")


class DecisionOut(BaseModel):
    model_config = READS
    proposal_id: int
    title: str
    entry: HistoryEventOut


class SessionDetailOut(BaseModel):
    model_config = READS
    session: SessionOut
    agenda: list[AgendaEntryOut]
    decisions: list[DecisionOut] = Field(description="the minutes: every step taken in the session")
    resolutions: list[int] = Field(description="ids of the resolutions recorded in the session")


AGENDA_EXAMPLE = {"proposal_id": 1, "purpose": "hearing"}


# --- ranking, resolutions, reserve pools ---------------------------------------------------------------------

class CandidateOut(BaseModel):
    model_config = READS
    proposal_id: int
    title: str
    state: str
    terminal: bool
    binds_budget: bool
    submitted_at: datetime | None
    requested: EurAmount = Field(description="the grant requested for the year")
    approved: EurAmountOrNone = Field(description="the grant the bank approved for the year")
    grant: EurAmount = Field(description="what counts: the approved grant if any, else the requested one")
    total: DecimalOrNone = Field(description="weighted total score; null while not scored")
    share: DecimalOrNone = Field(description="percent of the maximum score")
    passes: bool
    quorum_reached: bool
    ko_failed: list[str]


class EntryOut(BaseModel):
    model_config = READS
    rank: int
    candidate: CandidateOut
    counts: bool = Field(description="counts towards the budget line")
    why_not: str | None = Field(description="why it does not count")
    running_sum: EurAmount
    within_budget: bool
    tie_broken: bool = Field(description="ranked after an equal total by the tie-break rule")


class BudgetLineOut(BaseModel):
    model_config = READS
    year: int
    budget: EurAmountOrNone = Field(description="the alliance's budget for the year; null if it has none")
    reserve: EurAmount = Field(description="drawn from reserve pools for the year")
    bound_elsewhere: EurAmount = Field(description="bound by the alliance's other rounds")
    available: EurAmount = Field(description="budget + reserve - bound elsewhere")
    bound_here: EurAmount = Field(description="what this round's binding proposals take")
    free: EurAmount = Field(description="available - bound here (negative: over budget)")


class RankingOut(BaseModel):
    model_config = READS
    round_id: int
    year: int
    tie_break: str
    min_share: int | None
    line: BudgetLineOut
    entries: list[EntryOut]
    offer: int | None = Field(description="the next proposal on the waiting list the free money would cover")


def _stored_ranking(document: dict[str, Any]) -> Ranking:
    """The ranking a resolution stored (workflow.review.priorisation.ranking_document), read back."""
    def candidate(c: dict[str, Any]) -> Candidate:
        return Candidate(
            proposal_id=c["proposal_id"], title=c["title"], state=c["state"], terminal=c["terminal"],
            binds_budget=c["binds_budget"],
            submitted_at=datetime.fromisoformat(c["submitted_at"]) if c.get("submitted_at") else None,
            requested=c["requested"], approved=c.get("approved"),
            total=Decimal(c["total"]) if c.get("total") is not None else None,
            share=Decimal(c["share"]) if c.get("share") is not None else None, passes=c["passes"],
            quorum_reached=c["quorum_reached"], ko_failed=tuple(c.get("ko_failed") or ()))

    return Ranking(
        round_id=document["round_id"], year=document["year"], tie_break=document["tie_break"],
        min_share=document.get("min_share"), line=BudgetLine(**document["line"]), offer=document.get("offer"),
        entries=[Entry(rank=e["rank"], candidate=candidate(e["candidate"]), counts=e["counts"],
                       why_not=e.get("why_not"), running_sum=e["running_sum"], within_budget=e["within_budget"],
                       tie_broken=e["tie_broken"]) for e in document.get("entries", [])])


class DeclinedOut(BaseModel):
    model_config = READS
    proposal_id: int
    reason: str


class ResolutionOut(BaseModel):
    model_config = READS
    id: int
    round_id: int
    version: int = Field(description="the resolution's version within the round; a later one supersedes")
    session_id: int | None
    decided_on: date
    note: str
    prioritised: list[int]
    declined: list[DeclinedOut]
    waiting_list: list[int]
    reserve_draws: list[int] = Field(description="ids of the reserve drawings made with the resolution")
    ranking: RankingOut = Field(description="the ranking with its budget line as it stood when recorded")
    recorded_by: int | None
    recorded_at: datetime
    current: bool = Field(description="the latest version")

    @field_validator("ranking", mode="before")
    @classmethod
    def _read_back(cls, ranking: Any) -> Any:
        return _stored_ranking(ranking) if isinstance(ranking, dict) else ranking


RESOLUTION_EXAMPLE = {
    "decided_on": "2016-06-29", "session_id": 1, "prioritised": [1, 4], "waiting_list": [3],
    "declined": [{"proposal_id": 2, "reason": "Nicht priorisiert: Mittel für MINT-Projekte ausgeschöpft"}],
    "reserve_draws": [{"pool_id": 1, "year": 2016, "amount": "20000.00",
                       "reason": "Leistungsreserve für das MINT-Netzwerk"}],
    "note": "Beschluss der Lenkungsgruppe vom 29.06.2016",
}


class DrawOut(BaseModel):
    model_config = READS
    id: int
    pool_id: int
    alliance_id: int
    year: int
    amount: EurAmount
    reason: str
    round_id: int | None
    drawn_by: int | None
    drawn_at: datetime


class PoolOut(BaseModel):
    model_config = READS
    id: int
    name: str
    year: int
    amount: EurAmount
    drawn: EurAmount
    remaining: EurAmount
    alliance_ids: list[int] = Field(description="the alliances that may draw on it")
    draws: list[DrawOut]


POOL_EXAMPLE = {"name": "Leistungsreserve Niedersachsen", "year": 2026, "amount": "250000.00",
                "alliance_ids": [1, 2]}
DRAW_EXAMPLE = {"alliance_id": 1, "year": 2026, "amount": "20000.00", "round_id": 1,
                "reason": "Leistungsreserve für das MINT-Netzwerk"}


# --- the bank ------------------------------------------------------------------------------------------------

class YearAmountsOut(BaseModel):
    model_config = READS
    year: int
    requested: EurAmount
    approved: EurAmountOrNone = Field(description="null until the bank approved an amount for the year")


class EarlyStartOut(BaseModel):
    model_config = READS
    id: int
    wanted_from: date
    reason: str
    requested_at: datetime
    status: str = Field(description="requested, granted or refused")
    answer_note: str | None
    answered_at: datetime | None


class BankRecordOut(BaseModel):
    model_config = READS
    proposal_id: int
    forwarded_at: datetime | None
    documents: list[str] = Field(description="what was sent with the forwarding")
    decision: str | None = Field(description="approve or reject (the step's name); null while pending")
    decided_at: datetime | None
    bank_reference: str | None
    decision_date: str | None = Field(description="the date of the bank's letter, YYYY-MM-DD")
    reason: str | None
    amounts: list[YearAmountsOut]
    early_starts: list[EarlyStartOut]


EARLY_START_EXAMPLE = {"wanted_from": "2016-08-01",
                       "reason": "Schuljahresbeginn: die Angebote müssen zum 1. August stehen"}
EARLY_ANSWER_EXAMPLE = {"granted": True, "note": "Vorzeitiger Maßnahmebeginn ohne Präjudiz zugelassen"}
