"""A round's ranking as it stands, and the offer to the waiting list when a step frees budget money.

Both need only the procedures and the step's own session, not the proposal service: so the proposal service can
be given the offer when it is built (it is one of a step's effects, see workflow/proposals/service.py) while the
priorisation, which takes steps through the proposal service, reads its rankings from here too.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflow.alliances import store as alliance_store
from workflow.notify.store import insert_outbox
from workflow.persistence import models
from workflow.procedure.definition import StateDef
from workflow.procedure.registry import ProcedureRegistry
from workflow.proposals import store as repo
from workflow.proposals.money import format_eur
from workflow.proposals.records import ProposalRecord
from workflow.review import store
from workflow.review.facts import scheme_for, scoring_facts
from workflow.review.ranking import BudgetLine, Candidate, Ranking, rank
from workflow.timeutil import DEFAULT_ZONE


def round_ranking(session: Session, procedures: ProcedureRegistry, round_: models.Round,
                  year: int | None) -> Ranking:
    """The round's proposals that reached the steering group, ranked, with the budget line of `year` (the year the
    round closed in when None) and the waiting proposal the free money now covers, if any."""
    assert round_.id is not None
    year = year or round_.closes_at.astimezone(DEFAULT_ZONE).year
    procedure = procedures.get(round_.procedure_key, round_.procedure_version)
    scheme = scheme_for(session, procedure, round_.id)

    def state_of(row: ProposalRecord) -> StateDef:
        # A proposal's own version: a migration may have moved it on from its round's.
        return procedures.get(row.procedure_key, row.procedure_version).state(row.state)

    rows = [r for r in store.round_proposals(session, round_.id) if state_of(r).alliance_stage]
    grants = store.grants(session, [r.id for r in rows], year)
    candidates = []
    for r in rows:
        facts = scoring_facts(session, procedure, r)
        result = facts.result if facts.result is not None and facts.result.scores else None
        quorum = facts.scheme is not None and len(facts.sheets) >= facts.scheme.quorum <= facts.eligible
        requested, approved = grants.get(r.id, (0, None))
        state = state_of(r)
        candidates.append(Candidate(
            proposal_id=r.id, title=r.title, state=r.state, terminal=state.terminal,
            binds_budget=bool(r.binds_budget), submitted_at=r.reached_alliance_at, requested=requested,
            approved=approved, total=result.total if result else None, share=result.share if result else None,
            passes=bool(result and scheme and quorum and result.passes(scheme)), quorum_reached=quorum,
            ko_failed=result.ko_failed if result else ()))
    budget = alliance_store.budget(session, round_.alliance_id, year)
    reserve = repo.reserve_drawn(session, round_.alliance_id, [year]).get(year, 0)
    elsewhere = store.bound_outside_round(session, round_.alliance_id, round_.id, year)
    available = (budget.amount if budget else 0) + reserve - elsewhere
    bound_here = sum(c.grant for c in candidates if c.binds_budget)
    tie_break = scheme.tie_break if scheme else "earlier_submission_first"
    line = BudgetLine(year=year, budget=budget.amount if budget else None, reserve=reserve,
                      bound_elsewhere=elsewhere, available=available, bound_here=bound_here,
                      free=available - bound_here)
    waiting = waiting_order(session, round_.id)
    offer = next((c.proposal_id for pid in waiting for c in candidates
                  if c.proposal_id == pid and not c.binds_budget and not c.terminal
                  and c.grant <= line.free), None)
    return Ranking(round_id=round_.id, year=year, tie_break=tie_break,
                   min_share=scheme.min_share if scheme else None, line=line,
                   entries=rank(candidates, tie_break=tie_break, available=available), offer=offer)


def waiting_order(session: Session, round_id: int) -> list[int]:
    """The waiting list in order: the latest resolution's, then those earlier versions put on it.

    A proposal leaves the waiting list by a step (prioritised, declined, withdrawn), not by a later version
    leaving it out; the caller keeps only those still waiting (not bound, not terminal).
    """
    order: list[int] = []
    for resolution in reversed(store.resolutions(session, round_id)):
        order += [pid for pid in resolution.body.get("waiting_list", []) if pid not in order]
    return order


class WaitingListOffer:
    """Tells the alliance's managers which waiting proposal freed money now covers (an in-app message each)."""

    def __init__(self, procedures: ProcedureRegistry) -> None:
        self.procedures = procedures

    def offer(self, session: Session, row: ProposalRecord, now: datetime) -> None:
        """A step (or a migration's move) freed budget money; `row` is the proposal as it was before it.

        The budget is the alliance's, so the waiting lists of all its rounds are looked at, oldest round first.
        Runs in the step's transaction: the offer commits with the step or not at all.
        """
        current = repo.proposal(session, row.id)
        if current is not None and current.binds_budget and not any(
                p.grant_approved is not None and p.grant_approved < p.grant_requested
                for p in repo.plan(session, row.id)):
            # Still bound in full: the bank approved as requested. (Approved amounts are set once, by the bank's
            # decision, so before it the whole request was bound.) Nothing was freed, there is nothing to offer.
            return
        ranking = next((r for r in (round_ranking(session, self.procedures, round_, None)
                                    for round_ in alliance_store.rounds(session, row.alliance_id))
                        if r.offer is not None), None)
        if ranking is None or ranking.offer is None:
            return
        offered = next(e.candidate for e in ranking.entries if e.candidate.proposal_id == ranking.offer)
        managers = store.manager_ids(session, row.alliance_id)
        subject = (f"Mittel frei: '{offered.title}' kann von der Warteliste nachrücken / "
                   f"Funds freed: '{offered.title}' may move up from the waiting list")
        body = (f"'{row.title}' bindet keine Mittel mehr in voller Höhe. Frei im Jahr {ranking.year}: "
                f"{format_eur(ranking.line.free)}. Nächster Antrag auf der Warteliste, der gedeckt ist: "
                f"'{offered.title}' ({format_eur(offered.grant)}).")
        insert_outbox(session, [{
            "key": f"offer:p{offered.proposal_id}:after:p{row.id}:v{row.version}:u{uid}:inapp", "channel": "inapp",
            "kind": "offer", "topic": "waiting_list", "user_id": uid, "alliance_id": row.alliance_id,
            "proposal_id": offered.proposal_id, "deadline_id": None, "address": None, "subject": subject[:300],
            "body": body, "payload": {"freed_by": row.id, "offer": offered.proposal_id, "year": ranking.year,
                                      "free": ranking.line.free},
            "status": "sent", "attempts": 0, "next_attempt_at": None, "created_at": now, "sent_at": now,
        } for uid in managers])
