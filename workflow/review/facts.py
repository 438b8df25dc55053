"""What the scoring and condition guards judge, loaded from the database for one proposal."""

from __future__ import annotations

from pydantic import ValidationError
from sqlmodel import Session

from workflow.procedure.definition import Procedure
from workflow.procedure.rules import ConditionFact, ScoringFacts
from workflow.proposals import store as repo
from workflow.proposals.records import ProposalRecord
from workflow.review import store
from workflow.review.results import Member, ProposalParties, conflict_of, result_of
from workflow.review.scheme import ScoringScheme


def scheme_for(session: Session, procedure: Procedure, round_id: int) -> ScoringScheme | None:
    """The round's scheme: the procedure's when fixed, else the one the manager set, else the procedure's default."""
    if procedure.scoring is not None and procedure.scoring.fixed:
        return procedure.scoring
    stored = store.round_scheme(session, round_id)
    if stored is not None:
        try:
            return ScoringScheme.model_validate(stored.scheme)
        except ValidationError:  # written by this code, so only a hand-edited row gets here
            return procedure.scoring
    return procedure.scoring


def parties(proposal: ProposalRecord) -> ProposalParties:
    return ProposalParties(organisation_id=proposal.organisation_id, partners=tuple(proposal.partners or ()))


def scorers(session: Session, scheme: ScoringScheme, proposal: ProposalRecord) -> list[Member]:
    """The alliance's voting members; or, where the bank scores, the officers of the alliance's funding bank (none
    when it names none), never another bank's."""
    if scheme.scorers == "reviewer":
        return store.members(session, role="reviewer", alliance_id=proposal.alliance_id)
    bank = repo.funding_bank_of(session, proposal.alliance_id)
    return [] if bank is None else store.members(session, role=scheme.scorers, organisation_id=bank)


def scoring_facts(session: Session, procedure: Procedure, proposal: ProposalRecord) -> ScoringFacts:
    scheme = scheme_for(session, procedure, proposal.round_id)
    if scheme is None:
        return ScoringFacts(scheme=None, sheets=(), eligible=0, result=None)
    who = parties(proposal)
    eligible = {m.user_id for m in scorers(session, scheme, proposal) if conflict_of(m, who) is None}
    counted = tuple(s for s in store.sheets(store.score_rows(session, proposal.id)) if s.scorer_id in eligible)
    return ScoringFacts(scheme=scheme, sheets=counted, eligible=len(eligible), result=result_of(scheme, list(counted)))


def condition_facts(session: Session, proposal_id: int) -> tuple[ConditionFact, ...]:
    return tuple(ConditionFact(position=r.position, status=r.status)
                 for r in store.latest_reading(store.condition_rows(session, proposal_id)))
