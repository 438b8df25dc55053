"""Reading proposals: one proposal with what the caller may do next, lists, history.

The write use cases (service.py) build on these, so that a proposal is loaded, checked for visibility and
presented the same way whether it was just read or just changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from workflow.errors import FailedRule, FieldProblem, InvalidInput, NotFound
from workflow.people.actors import Actor
from workflow.persistence.db import Database
from workflow.procedure.machine import ProcedureMachine
from workflow.procedure.registry import ProcedureRegistry
from workflow.procedure.rules import GUARDS, Facts, Need
from workflow.proposals import store as repo
from workflow.proposals.records import AuditRecord, FundingYearRecord, ProposalRecord
from workflow.proposals.views import (
    AllowedTransition,
    DeadlineView,
    HistoryEntry,
    PlanYearView,
    ProposalSummary,
    ProposalView,
)
from workflow.proposals.visibility import can_see, redacted, shown_events, shown_inputs
from workflow.review.facts import condition_facts, scoring_facts
from workflow.timeutil import require_aware

MAX_PAGE = 200
PLAN_YEAR_KEYS = ("year", "staff_fte", "staff_costs", "material_costs", "total_cost", "grant_requested",
                  "own_share", "own_share_source")


class ProposalQueries:
    def __init__(self, database: Database, procedures: ProcedureRegistry) -> None:
        self.db = database
        self.procedures = procedures

    # --- one proposal -----------------------------------------------------------------------------------------

    def get(self, actor: Actor, proposal_id: int, *, now: datetime) -> ProposalView:
        require_aware(now)
        with self.db.read() as session:
            return self._view(session, actor, self._load(session, actor, proposal_id), now)

    def allowed_transitions(self, actor: Actor, proposal_id: int, *, now: datetime) -> list[AllowedTransition]:
        """What the actor may fire now, each with the rules that would refuse it at this moment."""
        require_aware(now)
        with self.db.read() as session:
            return self._allowed(session, actor, self._load(session, actor, proposal_id), now)

    def next_steps(self, actor: Actor, proposal_id: int, *, now: datetime) -> list[AllowedTransition]:
        """Every transition out of the current state, whoever may fire it (for operators and overviews)."""
        require_aware(now)
        with self.db.read() as session:
            return self._allowed(session, actor, self._load(session, actor, proposal_id), now, any_role=True)

    def history(self, actor: Actor, proposal_id: int) -> list[HistoryEntry]:
        """The events the actor may see, each with what they may see of its inputs
        (workflow/proposals/visibility.py)."""
        with self.db.read() as session:
            self._load(session, actor, proposal_id)
            events = shown_events(actor, repo.history(session, proposal_id), self._reached_alliance)
            return [history_entry(e, shown_inputs(actor, kind=e.kind, author_id=e.actor_id, inputs=e.inputs))
                    for e in events]

    # --- lists -------------------------------------------------------------------------------------------

    def visible(
        self,
        actor: Actor,
        *,
        state: str | None = None,
        round_id: int | None = None,
        alliance_id: int | None = None,
        after_id: int = 0,
        limit: int = 50,
    ) -> tuple[list[ProposalSummary], bool]:
        """A page of the proposals the actor may see, filtered, in id order after `after_id` (keyset pagination),
        and whether more follow."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput([FieldProblem("limit", f"must be between 1 and {MAX_PAGE}")])
        with self.db.read() as session:
            rows = repo.visible_proposals_page(session, actor, state=state, round_id=round_id,
                                               alliance_id=alliance_id, after_id=after_id, limit=limit + 1)
        return [self._summary(r) for r in rows[:limit]], len(rows) > limit

    # --- internals ---------------------------------------------------------------------------------------

    def _load(self, session: Session, actor: Actor, proposal_id: int) -> ProposalRecord:
        row = repo.proposal(session, proposal_id)
        if row is None or not can_see(actor, row):
            raise NotFound(f"proposal {proposal_id} not found")
        return row

    def _machine(self, row: ProposalRecord) -> ProcedureMachine:
        return self.procedures.machine(row.procedure_key, row.procedure_version)

    def _reached_alliance(self, event: AuditRecord) -> bool:
        """Whether an audit event brought its proposal into a state the steering group sees, in the procedure
        version it ran on (a version or state this installation does not know counts as not)."""
        try:
            procedure = self.procedures.get(event.procedure_key, event.procedure_version)
        except NotFound:
            return False
        state = procedure.states.get(event.to_state)
        return state is not None and state.alliance_stage

    def _facts(self, session: Session, row: ProposalRecord, guards: Iterable[str], *, now: datetime,
               reason: str | None, inputs: dict[str, Any], for_update: bool = False) -> Facts:
        """What the guards need to judge, and nothing more; `for_update` locks what a write will rely on."""
        needs: set[Need] = set()
        for name in guards:
            needs |= GUARDS[name].needs
        plan = repo.plan_facts(session, row.id) if Need.PLAN in needs or Need.BUDGET in needs else ()
        procedure = self._machine(row).procedure
        return Facts(
            now=now,
            reason=reason,
            inputs=inputs,
            plan=plan,
            round=repo.round_facts(session, row.round_id) if Need.ROUND in needs else None,
            budget=(repo.budget_facts(session, row.alliance_id, (y.year for y in plan), row.id, lock=for_update)
                    if Need.BUDGET in needs else {}),
            scoring=scoring_facts(session, procedure, row) if Need.SCORES in needs else None,
            conditions=condition_facts(session, row.id) if Need.CONDITIONS in needs else (),
        )

    def _allowed(self, session: Session, actor: Actor, row: ProposalRecord, now: datetime, *,
                 any_role: bool = False) -> list[AllowedTransition]:
        definitions = [d for d in self._machine(row).possible_from(row.state) if any_role or actor.role in d.roles]
        # Rules on what the caller will send (a reason) cannot be judged before they send it.
        judged = {d.name: [g for g in d.guards if not GUARDS[g].on_request] for d in definitions}
        # One set of facts for every step: they are all judged at the same moment, on the same proposal.
        facts = self._facts(session, row, {g for guards in judged.values() for g in guards}, now=now, reason=None,
                            inputs={})
        return [AllowedTransition(transition=d, target=d.to, blocked_by=tuple(evaluate(judged[d.name], facts)))
                for d in definitions]

    def _view(self, session: Session, actor: Actor, row: ProposalRecord, now: datetime) -> ProposalView:
        procedure = self._machine(row).procedure
        state = procedure.state(row.state)
        return ProposalView(
            id=row.id, title=row.title, summary=row.summary, target_group=row.target_group, goals=row.goals,
            partners=list(row.partners or []), state=row.state, state_label=state.label.model_dump(),
            terminal=state.terminal, editable=state.editable, version=row.version,
            procedure_key=row.procedure_key, procedure_version=row.procedure_version, round_id=row.round_id,
            alliance_id=row.alliance_id, organisation_id=row.organisation_id, created_at=row.created_at,
            updated_at=row.updated_at,
            funding_plan=[PlanYearView(**redacted(actor, plan_year(p))) for p in repo.plan(session, row.id)],
            deadlines=[DeadlineView(id=d.id, kind=d.kind, due_at=d.due_at, state=d.state, overdue=d.due_at <= now,
                                    label=procedure.deadlines[d.kind].label.model_dump()
                                    if d.kind in procedure.deadlines else {"de": d.kind, "en": d.kind})
                       for d in repo.open_deadlines(session, row.id)],
            allowed=self._allowed(session, actor, row, now),
        )

    def _summary(self, row: ProposalRecord) -> ProposalSummary:
        state = self._machine(row).procedure.state(row.state)
        return ProposalSummary(id=row.id, title=row.title, state=row.state, state_label=state.label.model_dump(),
                               terminal=state.terminal, version=row.version, round_id=row.round_id,
                               alliance_id=row.alliance_id, organisation_id=row.organisation_id,
                               updated_at=row.updated_at, procedure_key=row.procedure_key,
                               procedure_version=row.procedure_version)


def evaluate(guards: Iterable[str], facts: Facts) -> list[FailedRule]:
    failures = []
    for name in guards:
        why = GUARDS[name].check(facts)
        if why is not None:
            failures.append(FailedRule(rule=name, why=why))
    return failures



def plan_year(row: FundingYearRecord) -> dict[str, Any]:
    """A stored plan year as the same dict `FundingYearInput.as_row` writes (amounts in cents)."""
    return {key: getattr(row, key) for key in PLAN_YEAR_KEYS}


def history_entry(row: AuditRecord, inputs: dict[str, Any]) -> HistoryEntry:
    """An audit row as the history shows it, with the inputs the reader may see."""
    return replace(row, inputs=inputs)
