"""Use cases on proposals: create and edit a draft, fire a transition, read a proposal and its history.

Each write is one transaction: state, version, audit row and deadlines commit together or not at all. The checks
of a transition run in a fixed order, so that callers get the most useful error first:

    not visible -> NotFound; stale version -> StaleVersion; unknown transition -> InvalidTransition;
    role may not fire it -> Forbidden; not possible from the current state -> InvalidTransition;
    bad inputs -> InvalidInput; rules do not hold -> GuardFailed (all failing rules, not just the first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlmodel import Session

from workflow import repository as repo
from workflow.actors import Actor
from workflow.db import Database
from workflow.errors import (
    FailedRule,
    FieldProblem,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)
from workflow.inputs import DraftContent, NewDraft, normalise_transition_inputs, parse_model
from workflow.machine import ProcedureMachine
from workflow.registry import ProcedureRegistry
from workflow.roles import Role
from workflow.rules import GUARDS, Facts, Need
from workflow.timeutil import require_aware
from workflow.views import (
    AllowedTransition,
    DeadlineView,
    HistoryEntry,
    PlanYearView,
    ProposalView,
    StepResult,
)
from workflow.visibility import can_see, sees_salaries


class ProposalService:
    def __init__(self, database: Database, procedures: ProcedureRegistry) -> None:
        self.db = database
        self.procedures = procedures

    # --- drafts ------------------------------------------------------------------------------------------

    def create_draft(
        self, actor: Actor, data: Mapping[str, Any] | NewDraft, *, now: datetime, request_id: str | None = None
    ) -> ProposalView:
        require_aware(now)
        if actor.role != Role.APPLICANT or actor.organisation_id is None:
            raise Forbidden("only applicants of an organisation create proposals")
        draft = parse_model(NewDraft, data)
        with self.db.write() as session:
            round_ = repo.round_row(session, draft.round_id)
            if round_ is None:
                raise InvalidInput([FieldProblem("round_id", f"no submission round {draft.round_id}")])
            if now >= round_.closes_at:
                raise InvalidInput([FieldProblem(
                    "round_id", f"round '{round_.name}' closed at {round_.closes_at.isoformat()}; "
                                "a proposal in it could no longer be submitted")])
            machine = self.procedures.machine(round_.procedure_key, round_.procedure_version)
            procedure = machine.procedure
            initial = procedure.state(procedure.initial)
            proposal_id = repo.insert_proposal(session, {
                "round_id": round_.id,
                "alliance_id": round_.alliance_id,
                "organisation_id": actor.organisation_id,
                "title": draft.title,
                "summary": draft.summary or "",
                "target_group": draft.target_group or "",
                "goals": draft.goals or "",
                "partners": draft.partners or [],
                "state": procedure.initial,
                "version": 1,
                "procedure_key": procedure.key,
                "procedure_version": procedure.version,
                "created_by": actor.user_id,
                "created_at": now,
                "updated_at": now,
                "reached_bank_at": now if initial.bank_stage else None,
                "binds_budget": initial.binds_budget,
            })
            repo.replace_plan(session, proposal_id, (y.as_row() for y in draft.funding_plan or []))
            self._audit(session, actor, proposal_id=proposal_id, seq=1, now=now, kind="created",
                        transition=None, from_state=None, to_state=procedure.initial, reason=None,
                        inputs={}, request_id=request_id, machine=machine)
            return self._view(session, actor, self._load(session, actor, proposal_id), now)

    def edit_draft(
        self,
        actor: Actor,
        proposal_id: int,
        changes: Mapping[str, Any] | DraftContent,
        *,
        expected_version: int,
        now: datetime,
        request_id: str | None = None,
    ) -> ProposalView:
        require_aware(now)
        content = parse_model(DraftContent, changes)
        fields = content.model_fields_set
        if not fields:
            raise InvalidInput([FieldProblem("body", "no changes given")])
        with self.db.write() as session:
            row = self._load(session, actor, proposal_id)
            if actor.role != Role.APPLICANT:
                raise Forbidden("only the applicant edits a proposal's content")
            self._check_version(row, expected_version)
            machine = self._machine(row)
            if not machine.procedure.state(row.state).editable:
                raise InvalidTransition(
                    f"a proposal in state '{row.state}' cannot be edited "
                    f"(editable in: {', '.join(s for s, d in machine.procedure.states.items() if d.editable)})",
                    state=row.state, transition="edit")
            values: dict[str, Any] = {
                name: getattr(content, name) for name in fields if name != "funding_plan"
            }
            values["updated_at"] = now
            if not repo.update_proposal(session, proposal_id, expected_version, values):
                raise self._stale(session, proposal_id, expected_version)
            if "funding_plan" in fields:
                repo.replace_plan(session, proposal_id, (y.as_row() for y in content.funding_plan or []))
            self._audit(session, actor, proposal_id=proposal_id, seq=expected_version + 1, now=now, kind="edited",
                        transition=None, from_state=row.state, to_state=row.state, reason=None,
                        inputs={"fields": sorted(fields)}, request_id=request_id, machine=machine)
            return self._view(session, actor, self._load(session, actor, proposal_id), now)

    # --- transitions -------------------------------------------------------------------------------------

    def fire(
        self,
        actor: Actor,
        proposal_id: int,
        transition: str,
        *,
        expected_version: int,
        now: datetime,
        reason: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> StepResult:
        require_aware(now)
        with self.db.write() as session:
            row = self._load(session, actor, proposal_id)
            self._check_version(row, expected_version)
            machine = self._machine(row)
            definition = machine.procedure.transitions.get(transition)
            if definition is None:
                raise InvalidTransition(
                    f"'{transition}' is not a transition of {machine.procedure.ref} "
                    f"(known: {', '.join(machine.procedure.transitions)})", state=row.state, transition=transition)
            if actor.role not in definition.roles:
                raise Forbidden(f"role '{actor.role}' may not fire '{transition}' "
                                f"(allowed: {', '.join(definition.roles)})")
            target = machine.target(row.state, transition)
            if target is None:
                raise InvalidTransition(
                    f"'{transition}' is not possible from state '{row.state}' "
                    f"(possible from: {', '.join(definition.sources)})", state=row.state, transition=transition)
            values = normalise_transition_inputs(definition, inputs)
            reason = reason.strip() if reason and reason.strip() else None
            facts = self._facts(session, row, definition.guards, now=now, reason=reason, inputs=values)
            failures = _evaluate(definition.guards, facts)
            if failures:
                raise GuardFailed(failures)

            target_def = machine.procedure.state(target)
            update: dict[str, Any] = {"state": target, "updated_at": now, "binds_budget": target_def.binds_budget}
            if target_def.bank_stage and row.reached_bank_at is None:
                update["reached_bank_at"] = now
            if not repo.update_proposal(session, proposal_id, expected_version, update):
                raise self._stale(session, proposal_id, expected_version)
            if target != row.state:
                repo.cancel_state_deadlines(session, proposal_id, row.state, now)
            self._audit(session, actor, proposal_id=proposal_id, seq=expected_version + 1, now=now,
                        kind="transition", transition=transition, from_state=row.state, to_state=target,
                        reason=reason, inputs=values, request_id=request_id, machine=machine)
        return StepResult(proposal_id=proposal_id, transition=transition, from_state=row.state, to_state=target,
                          version=expected_version + 1)

    # --- reading -----------------------------------------------------------------------------------------

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
        with self.db.read() as session:
            self._load(session, actor, proposal_id)
            return [
                HistoryEntry(seq=r.seq, at=r.at, kind=r.kind, actor_id=r.actor_id, actor_name=r.actor_name,
                             actor_role=r.actor_role, transition=r.transition, from_state=r.from_state,
                             to_state=r.to_state, reason=r.reason, inputs=dict(r.inputs or {}),
                             request_id=r.request_id, procedure_version=r.procedure_version)
                for r in repo.history(session, proposal_id)
            ]

    # --- internals ---------------------------------------------------------------------------------------

    def _load(self, session: Session, actor: Actor, proposal_id: int) -> Row[Any]:
        row = repo.proposal(session, proposal_id)
        if row is None or not can_see(actor, row):
            raise NotFound(f"proposal {proposal_id} not found")
        return row

    def _machine(self, row: Row[Any]) -> ProcedureMachine:
        return self.procedures.machine(row.procedure_key, row.procedure_version)

    @staticmethod
    def _check_version(row: Row[Any], expected_version: int) -> None:
        if row.version != expected_version:
            raise StaleVersion(
                f"proposal {row.id} is at version {row.version}, the request was made from version "
                f"{expected_version}; reload it and decide again", expected=expected_version, current=row.version)

    @staticmethod
    def _stale(session: Session, proposal_id: int, expected_version: int) -> StaleVersion:
        current = repo.proposal(session, proposal_id)
        version = None if current is None else current.version
        return StaleVersion(f"proposal {proposal_id} was changed by someone else (now at version {version}); "
                            "reload it and decide again", expected=expected_version, current=version)

    def _facts(self, session: Session, row: Row[Any], guards: Iterable[str], *, now: datetime,
               reason: str | None, inputs: dict[str, Any]) -> Facts:
        needs: set[Need] = set()
        for name in guards:
            needs |= GUARDS[name].needs
        plan = repo.plan_facts(session, row.id) if Need.PLAN in needs or Need.BUDGET in needs else ()
        return Facts(
            now=now,
            reason=reason,
            inputs=inputs,
            plan=plan,
            round=repo.round_facts(session, row.round_id) if Need.ROUND in needs else None,
            budget=(repo.budget_facts(session, row.alliance_id, (y.year for y in plan), row.id)
                    if Need.BUDGET in needs else {}),
        )

    def _allowed(self, session: Session, actor: Actor, row: Row[Any], now: datetime, *,
                 any_role: bool = False) -> list[AllowedTransition]:
        result: list[AllowedTransition] = []
        for definition in self._machine(row).possible_from(row.state):
            if not any_role and actor.role not in definition.roles:
                continue
            # Rules on what the caller will send (a reason) cannot be judged before they send it.
            guards = [g for g in definition.guards if not GUARDS[g].on_request]
            facts = self._facts(session, row, guards, now=now, reason=None, inputs={})
            result.append(AllowedTransition(transition=definition, target=definition.to,
                                            blocked_by=tuple(_evaluate(guards, facts))))
        return result

    def _view(self, session: Session, actor: Actor, row: Row[Any], now: datetime) -> ProposalView:
        procedure = self._machine(row).procedure
        state = procedure.state(row.state)
        salaries = sees_salaries(actor)
        return ProposalView(
            id=row.id, title=row.title, summary=row.summary, target_group=row.target_group, goals=row.goals,
            partners=list(row.partners or []), state=row.state, state_label=state.label.model_dump(),
            terminal=state.terminal, editable=state.editable, version=row.version,
            procedure_key=row.procedure_key, procedure_version=row.procedure_version, round_id=row.round_id,
            alliance_id=row.alliance_id, organisation_id=row.organisation_id, created_at=row.created_at,
            updated_at=row.updated_at,
            funding_plan=[
                PlanYearView(year=p.year, staff_fte=p.staff_fte, total_cost=p.total_cost,
                             grant_requested=p.grant_requested, own_share=p.own_share,
                             own_share_source=p.own_share_source,
                             staff_costs=p.staff_costs if salaries else None,
                             material_costs=p.material_costs if salaries else None)
                for p in repo.plan(session, row.id)
            ],
            deadlines=[DeadlineView(id=d.id, kind=d.kind, due_at=d.due_at, state=d.state)
                       for d in repo.open_deadlines(session, row.id)],
            allowed=self._allowed(session, actor, row, now),
        )

    @staticmethod
    def _audit(session: Session, actor: Actor, *, proposal_id: int, seq: int, now: datetime, kind: str,
               transition: str | None, from_state: str | None, to_state: str, reason: str | None,
               inputs: dict[str, Any], request_id: str | None, machine: ProcedureMachine) -> None:
        repo.insert_audit(session, {
            "proposal_id": proposal_id, "seq": seq, "at": now, "kind": kind, "actor_id": actor.user_id,
            "actor_name": actor.name, "actor_role": actor.role.value, "transition": transition,
            "from_state": from_state, "to_state": to_state, "reason": reason, "inputs": inputs,
            "request_id": request_id, "procedure_key": machine.procedure.key,
            "procedure_version": machine.procedure.version,
        })


def _evaluate(guards: Iterable[str], facts: Facts) -> list[FailedRule]:
    failures = []
    for name in guards:
        why = GUARDS[name].check(facts)
        if why is not None:
            failures.append(FailedRule(rule=name, why=why))
    return failures

