"""Bodies of the steering group's endpoints: scoring, conditions, sessions, priorisation, reserves, the bank.

Request bodies are the engine's own input models (workflow/review/*.py), as for drafts: one definition of what is
valid. Responses present the services' views field by field; amounts are EUR strings ("19800.00") and scores are
decimal strings ("4.33"), both exact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.presenters import euros, history
from api.schemas import HistoryEventOut, Labels
from workflow.procedure.inputs import CenturyTime
from workflow.procedure.text_fields import OneLine
from workflow.proposals.money import to_euros
from workflow.review.bank import BankRecord, EarlyStartView, YearAmounts
from workflow.review.conditions import ConditionView
from workflow.review.meetings import AgendaEntry, Decision, MeetingDetail, MeetingView
from workflow.review.priorisation import DrawView, PoolView, ResolutionView
from workflow.review.ranking import BudgetLine, Candidate, Entry, Ranking
from workflow.review.results import Result
from workflow.review.scheme import ScoringScheme
from workflow.review.scoring import MemberStatus, SchemeView, ScoringView, SheetView
from workflow.timeutil import DEFAULT_ZONE


def _eur(cents: int) -> str:
    return str(to_euros(cents))


def _score(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- scoring -------------------------------------------------------------------------------------------------

class CriterionOut(BaseModel):
    key: str
    label: Labels
    weight: int
    max_points: int


class KoCriterionOut(BaseModel):
    key: str
    label: Labels


class ScoringSchemeOut(BaseModel):
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

    @classmethod
    def of(cls, s: ScoringScheme) -> ScoringSchemeOut:
        return cls(scorers=s.scorers, fixed=s.fixed,
                   criteria=[CriterionOut(key=c.key, label=Labels(**c.label.model_dump()), weight=c.weight,
                                          max_points=c.max_points) for c in s.criteria],
                   ko=[KoCriterionOut(key=k.key, label=Labels(**k.label.model_dump())) for k in s.ko],
                   min_share=s.min_share, quorum=s.quorum, blind=s.blind, tie_break=s.tie_break,
                   max_total=s.max_total)


class SchemeOut(BaseModel):
    round_id: int
    scheme: ScoringSchemeOut | None = Field(description="null while the round has none")
    source: str = Field(description="procedure, round or none")
    changeable: bool = Field(description="the manager may still replace it (not fixed, nobody has scored yet)")

    @classmethod
    def of(cls, v: SchemeView) -> SchemeOut:
        return cls(round_id=v.round_id, scheme=ScoringSchemeOut.of(v.scheme) if v.scheme is not None else None,
                   source=v.source, changeable=v.changeable)


class MemberOut(BaseModel):
    user_id: int
    name: str
    scored: bool
    conflict: str | None = Field(description="why the member may not score this proposal; null if they may")

    @classmethod
    def of(cls, m: MemberStatus) -> MemberOut:
        return cls(user_id=m.user_id, name=m.name, scored=m.scored, conflict=m.conflict)


class SheetOut(BaseModel):
    scorer_id: int
    scorer_name: str
    points: dict[str, int]
    ko: dict[str, bool]
    comment: str
    updated_at: datetime

    @classmethod
    def of(cls, s: SheetView) -> SheetOut:
        return cls(scorer_id=s.scorer_id, scorer_name=s.scorer_name, points=s.points, ko=s.ko, comment=s.comment,
                   updated_at=s.updated_at)


class ResultOut(BaseModel):
    scores: int = Field(description="sheets that count (members without a conflict of interest)")
    per_criterion: dict[str, str] = Field(description="mean points per criterion, two places")
    total: str = Field(description="weighted sum of the means, two places")
    max_total: int
    share: str = Field(description="percent of the maximum, two places")
    ko_failed: list[str]
    passes: bool = Field(description="scored, no k.o. criterion failed, at least the scheme's minimum share")

    @classmethod
    def of(cls, r: Result, scheme: ScoringScheme) -> ResultOut:
        return cls(scores=r.scores, per_criterion={k: str(v) for k, v in r.per_criterion.items()},
                   total=str(r.total), max_total=r.max_total, share=str(r.share), ko_failed=list(r.ko_failed),
                   passes=r.passes(scheme))


class ScoringOut(BaseModel):
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
        return cls(
            proposal_id=v.proposal_id, scheme=ScoringSchemeOut.of(v.scheme) if v.scheme is not None else None,
            members=[MemberOut.of(m) for m in v.members], quorum_reached=v.quorum_reached,
            result=ResultOut.of(v.result, v.scheme) if v.result is not None and v.scheme is not None else None,
            own=SheetOut.of(v.own) if v.own is not None else None, sheets=[SheetOut.of(s) for s in v.sheets],
            hidden_until_scored=v.hidden_until_scored)


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

    @classmethod
    def of(cls, c: ConditionView) -> ConditionOut:
        return cls(id=c.id, reading_seq=c.reading_seq, position=c.position, current=c.current, text=c.text,
                   responsible=c.responsible, due_on=c.due_on, status=c.status, answer=c.answer,
                   evidence=c.evidence, answered_at=c.answered_at, judged_at=c.judged_at,
                   judgement_note=c.judgement_note, session_id=c.session_id, created_at=c.created_at)


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
    id: int
    alliance_id: int
    title: str
    held_at: datetime

    @classmethod
    def of(cls, s: MeetingView) -> SessionOut:
        return cls(id=s.id, alliance_id=s.alliance_id, title=s.title, held_at=s.held_at)


class AgendaEntryOut(BaseModel):
    position: int
    proposal_id: int
    title: str
    state: str
    purpose: str = Field(description="hearing, second_reading or decision")

    @classmethod
    def of(cls, a: AgendaEntry) -> AgendaEntryOut:
        return cls(position=a.position, proposal_id=a.proposal_id, title=a.title, state=a.state, purpose=a.purpose)


class DecisionOut(BaseModel):
    proposal_id: int
    title: str
    entry: HistoryEventOut

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        return cls(proposal_id=d.proposal_id, title=d.title, entry=history(d.entry))


class SessionDetailOut(BaseModel):
    session: SessionOut
    agenda: list[AgendaEntryOut]
    decisions: list[DecisionOut] = Field(description="the minutes: every step taken in the session")
    resolutions: list[int] = Field(description="ids of the resolutions recorded in the session")

    @classmethod
    def of(cls, d: MeetingDetail) -> SessionDetailOut:
        return cls(session=SessionOut.of(d.session), agenda=[AgendaEntryOut.of(a) for a in d.agenda],
                   decisions=[DecisionOut.of(x) for x in d.decisions], resolutions=list(d.resolutions))


AGENDA_EXAMPLE = {"proposal_id": 1, "purpose": "hearing"}


# --- ranking, resolutions, reserve pools ---------------------------------------------------------------------

class CandidateOut(BaseModel):
    proposal_id: int
    title: str
    state: str
    terminal: bool
    binds_budget: bool
    submitted_at: datetime | None
    requested: str = Field(description="the grant requested for the year")
    approved: str | None = Field(description="the grant the bank approved for the year")
    grant: str = Field(description="what counts: the approved grant if any, else the requested one")
    total: str | None = Field(description="weighted total score; null while not scored")
    share: str | None = Field(description="percent of the maximum score")
    passes: bool
    quorum_reached: bool
    ko_failed: list[str]

    @classmethod
    def of(cls, c: Candidate) -> CandidateOut:
        return cls(proposal_id=c.proposal_id, title=c.title, state=c.state, terminal=c.terminal,
                   binds_budget=c.binds_budget, submitted_at=c.submitted_at, requested=_eur(c.requested),
                   approved=euros(c.approved), grant=_eur(c.grant), total=_score(c.total), share=_score(c.share),
                   passes=c.passes, quorum_reached=c.quorum_reached, ko_failed=list(c.ko_failed))


class EntryOut(BaseModel):
    rank: int
    candidate: CandidateOut
    counts: bool = Field(description="counts towards the budget line")
    why_not: str | None = Field(description="why it does not count")
    running_sum: str
    within_budget: bool
    tie_broken: bool = Field(description="ranked after an equal total by the tie-break rule")

    @classmethod
    def of(cls, e: Entry) -> EntryOut:
        return cls(rank=e.rank, candidate=CandidateOut.of(e.candidate), counts=e.counts, why_not=e.why_not,
                   running_sum=_eur(e.running_sum), within_budget=e.within_budget, tie_broken=e.tie_broken)


class BudgetLineOut(BaseModel):
    year: int
    budget: str | None = Field(description="the alliance's budget for the year; null if it has none")
    reserve: str = Field(description="drawn from reserve pools for the year")
    bound_elsewhere: str = Field(description="bound by the alliance's other rounds")
    available: str = Field(description="budget + reserve - bound elsewhere")
    bound_here: str = Field(description="what this round's binding proposals take")
    free: str = Field(description="available - bound here (negative: over budget)")

    @classmethod
    def of(cls, b: BudgetLine) -> BudgetLineOut:
        return cls(year=b.year, budget=euros(b.budget), reserve=_eur(b.reserve),
                   bound_elsewhere=_eur(b.bound_elsewhere), available=_eur(b.available),
                   bound_here=_eur(b.bound_here), free=_eur(b.free))


class RankingOut(BaseModel):
    round_id: int
    year: int
    tie_break: str
    min_share: int | None
    line: BudgetLineOut
    entries: list[EntryOut]
    offer: int | None = Field(description="the next proposal on the waiting list the free money would cover")

    @classmethod
    def of(cls, r: Ranking) -> RankingOut:
        return cls(round_id=r.round_id, year=r.year, tie_break=r.tie_break, min_share=r.min_share,
                   line=BudgetLineOut.of(r.line), entries=[EntryOut.of(e) for e in r.entries], offer=r.offer)


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
    proposal_id: int
    reason: str


class ResolutionOut(BaseModel):
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

    @classmethod
    def of(cls, r: ResolutionView) -> ResolutionOut:
        return cls(id=r.id, round_id=r.round_id, version=r.version, session_id=r.session_id,
                   decided_on=r.decided_on, note=r.note, prioritised=r.prioritised,
                   declined=[DeclinedOut(proposal_id=d["proposal_id"], reason=d["reason"]) for d in r.declined],
                   waiting_list=r.waiting_list, reserve_draws=r.reserve_draws,
                   ranking=RankingOut.of(_stored_ranking(r.ranking)), recorded_by=r.recorded_by,
                   recorded_at=r.recorded_at, current=r.current)


RESOLUTION_EXAMPLE = {
    "decided_on": "2016-06-29", "session_id": 1, "prioritised": [1, 4], "waiting_list": [3],
    "declined": [{"proposal_id": 2, "reason": "Nicht priorisiert: Mittel für MINT-Projekte ausgeschöpft"}],
    "reserve_draws": [{"pool_id": 1, "year": 2016, "amount": "20000.00",
                       "reason": "Leistungsreserve für das MINT-Netzwerk"}],
    "note": "Beschluss der Lenkungsgruppe vom 29.06.2016",
}


class DrawOut(BaseModel):
    id: int
    pool_id: int
    alliance_id: int
    year: int
    amount: str
    reason: str
    round_id: int | None
    drawn_by: int | None
    drawn_at: datetime

    @classmethod
    def of(cls, d: DrawView) -> DrawOut:
        return cls(id=d.id, pool_id=d.pool_id, alliance_id=d.alliance_id, year=d.year, amount=_eur(d.amount),
                   reason=d.reason, round_id=d.round_id, drawn_by=d.drawn_by, drawn_at=d.drawn_at)


class PoolOut(BaseModel):
    id: int
    name: str
    year: int
    amount: str
    drawn: str
    remaining: str
    alliance_ids: list[int] = Field(description="the alliances that may draw on it")
    draws: list[DrawOut]

    @classmethod
    def of(cls, p: PoolView) -> PoolOut:
        return cls(id=p.id, name=p.name, year=p.year, amount=_eur(p.amount), drawn=_eur(p.drawn),
                   remaining=_eur(p.remaining), alliance_ids=p.alliance_ids, draws=[DrawOut.of(d) for d in p.draws])


POOL_EXAMPLE = {"name": "Leistungsreserve Niedersachsen", "year": 2026, "amount": "250000.00",
                "alliance_ids": [1, 2]}
DRAW_EXAMPLE = {"alliance_id": 1, "year": 2026, "amount": "20000.00", "round_id": 1,
                "reason": "Leistungsreserve für das MINT-Netzwerk"}


# --- the bank ------------------------------------------------------------------------------------------------

class YearAmountsOut(BaseModel):
    year: int
    requested: str
    approved: str | None = Field(description="null until the bank approved an amount for the year")

    @classmethod
    def of(cls, y: YearAmounts) -> YearAmountsOut:
        return cls(year=y.year, requested=_eur(y.requested), approved=euros(y.approved))


class EarlyStartOut(BaseModel):
    id: int
    wanted_from: date
    reason: str
    requested_at: datetime
    status: str = Field(description="requested, granted or refused")
    answer_note: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, e: EarlyStartView) -> EarlyStartOut:
        return cls(id=e.id, wanted_from=e.wanted_from, reason=e.reason, requested_at=e.requested_at,
                   status=e.status, answer_note=e.answer_note, answered_at=e.answered_at)


class BankRecordOut(BaseModel):
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

    @classmethod
    def of(cls, b: BankRecord) -> BankRecordOut:
        return cls(proposal_id=b.proposal_id, forwarded_at=b.forwarded_at, documents=b.documents,
                   decision=b.decision, decided_at=b.decided_at, bank_reference=b.bank_reference,
                   decision_date=b.decision_date, reason=b.reason, amounts=[YearAmountsOut.of(y) for y in b.amounts],
                   early_starts=[EarlyStartOut.of(e) for e in b.early_starts])


EARLY_START_EXAMPLE = {"wanted_from": "2016-08-01",
                       "reason": "Schuljahresbeginn: die Angebote müssen zum 1. August stehen"}
EARLY_ANSWER_EXAMPLE = {"granted": True, "note": "Vorzeitiger Maßnahmebeginn ohne Präjudiz zugelassen"}
