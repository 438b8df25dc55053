"""Changes to proposals: create and edit a draft, take a step (fire a transition).

A step is taken inside a transaction its caller opened (`with db.write() as session: service.step(session, ...)`),
so that an adapter can do more in the same transaction (read the new view, store an idempotent answer, take
further steps of a resolution) and everything commits together or not at all. Everything a step writes is in
`step`: the state and version, the deadlines, the effects of its inputs, the audit row, the outbox rows of its
notifier and the waiting list's offer when it frees budget money; the last two are given to the service when it
is built (workflow/context.py), never attached afterwards.

The checks of a transition run in a fixed order, so that callers get the most useful error first:

    not visible -> NotFound; stale version -> StaleVersion; unknown transition -> InvalidTransition;
    role may not fire it -> Forbidden; not possible from the current state -> InvalidTransition;
    bad inputs -> InvalidInput; rules do not hold -> GuardFailed (all failing rules, not just the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from workflow.deadlines.planner import OpenDeadline, plan_step, schedule_start
from workflow.errors import (
    FieldProblem,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    StaleVersion,
)
from workflow.metrics import record_step
from workflow.people.actors import Actor
from workflow.persistence.db import Database
from workflow.procedure.inputs import DraftContent, NewDraft, clean_text, normalise_transition_inputs, parse_model
from workflow.procedure.machine import ProcedureMachine
from workflow.procedure.registry import ProcedureRegistry
from workflow.proposals import store as repo
from workflow.proposals.permissions import writes_proposals
from workflow.proposals.queries import ProposalQueries, evaluate, plan_year
from workflow.proposals.records import ProposalRecord
from workflow.proposals.views import ProposalView, StepResult
from workflow.review.effects import apply_input_effects
from workflow.review.meeting_ref import check_meeting
from workflow.timeutil import require_aware, show


class Notifier(Protocol):
    """Writes the outbox rows that tell people and systems of a step (workflow/notify/steps.py)."""

    def write(self, session: Session, *, proposal: ProposalRecord, actor: Actor, transition: str, from_state: str,
              to_state: str, version: int, now: datetime) -> int: ...


class FreedMoneyOffer(Protocol):
    """Offers budget money a step freed to the waiting list (workflow/review/waiting_list.py)."""

    def offer(self, session: Session, row: ProposalRecord, now: datetime) -> None: ...


class ProposalService(ProposalQueries):
    """Changes to proposals; reading is inherited from ProposalQueries."""

    def __init__(self, database: Database, procedures: ProcedureRegistry, *, notifier: Notifier,
                 freed_money: FreedMoneyOffer) -> None:
        super().__init__(database, procedures)
        # Two of a step's effects, in its transaction: the outbox rows, and the waiting list's offer.
        self.notifier = notifier
        self.freed_money = freed_money

    # --- reading inside a caller's transaction -----------------------------------------------------------

    def visible_row(self, session: Session, actor: Actor, proposal_id: int) -> ProposalRecord:
        """The proposal's row, if the actor may see it (NotFound if not), read in the caller's transaction."""
        return self._load(session, actor, proposal_id)

    def machine_of(self, row: ProposalRecord) -> ProcedureMachine:
        """The state machine of the procedure version the proposal runs on."""
        return self._machine(row)

    def show(self, session: Session, actor: Actor, proposal_id: int, *, now: datetime) -> ProposalView:
        """The proposal as the actor sees it, read in the caller's transaction (after a step: the step's result)."""
        return self._view(session, actor, self._load(session, actor, proposal_id), now)

    # --- drafts ------------------------------------------------------------------------------------------

    def create_draft(
        self, actor: Actor, data: Mapping[str, Any] | NewDraft, *, now: datetime, request_id: str | None = None
    ) -> ProposalView:
        """`check_draft` and `create` in a transaction of their own."""
        draft = self.check_draft(actor, data, now=now)
        with self.db.write() as session:
            return self.create(session, actor, draft, now=now, request_id=request_id)

    @staticmethod
    def check_draft(actor: Actor, data: Mapping[str, Any] | NewDraft, *, now: datetime) -> NewDraft:
        """Whether the actor may create proposals at all, and the draft they sent, checked before any transaction
        (so that a request refused for these reasons is refused the same with or without an Idempotency-Key)."""
        require_aware(now)
        if not writes_proposals(actor):
            raise Forbidden("only applicants of an organisation create proposals")
        return parse_model(NewDraft, data)

    def create(self, session: Session, actor: Actor, draft: NewDraft, *, now: datetime,
               request_id: str | None = None) -> ProposalView:
        """Create the checked draft inside the caller's transaction: the proposal, its plan, its first deadlines
        and its `created` audit row."""
        require_aware(now)
        round_ = repo.round_row(session, draft.round_id)
        if round_ is None:
            raise InvalidInput([FieldProblem("round_id", f"no submission round {draft.round_id}")])
        if now >= round_.closes_at:
            raise InvalidInput([FieldProblem(
                "round_id", f"round '{round_.name}' closed at {show(round_.closes_at)}; "
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
            "reached_alliance_at": now if initial.alliance_stage else None,
            "reached_bank_at": now if initial.bank_stage else None,
            "binds_budget": initial.binds_budget,
        })
        repo.replace_plan(session, proposal_id, (y.as_row() for y in draft.funding_plan or []))
        self._step_deadlines(session, machine, proposal_id, from_state=None, to_state=procedure.initial, inputs={},
                             now=now)
        self._audit(session, actor, proposal_id=proposal_id, seq=1, now=now, kind="created",
                    transition=None, from_state=None, to_state=procedure.initial, reason=None,
                    inputs={}, request_id=request_id, machine=machine)
        return self.show(session, actor, proposal_id, now=now)

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
            if not writes_proposals(actor):
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
            # The history keeps what changed, from what to what: the plan a steering group reviewed in the first
            # reading must stay reconstructable after the applicant revised it.
            changed = {name: {"from": getattr(row, name), "to": value} for name, value in values.items()}
            values["updated_at"] = now
            if not repo.update_proposal(session, proposal_id, expected_version, values):
                raise self._stale(session, proposal_id, expected_version)
            if "funding_plan" in fields:
                new_plan = [y.as_row() for y in content.funding_plan or []]
                changed["funding_plan"] = {"from": [plan_year(r) for r in repo.plan(session, proposal_id)],
                                           "to": new_plan}
                repo.replace_plan(session, proposal_id, new_plan)
            self._audit(session, actor, proposal_id=proposal_id, seq=expected_version + 1, now=now, kind="edited",
                        transition=None, from_state=row.state, to_state=row.state, reason=None,
                        inputs={"fields": sorted(fields), "changes": changed}, request_id=request_id,
                        machine=machine)
            return self._view(session, actor, self._load(session, actor, proposal_id), now)

    # --- steps ------------------------------------------------------------------------------------------

    def step(
        self,
        session: Session,
        actor: Actor,
        proposal_id: int,
        transition: str,
        *,
        expected_version: int,
        now: datetime,
        reason: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        meeting_id: int | None = None,
    ) -> StepResult:
        """Take one step inside the caller's transaction: the one way every adapter changes a proposal's state.

        Nothing is committed here: when the caller's block raises, the state, deadlines, audit row, outbox rows and
        offer written below roll back with everything else it wrote. `meeting_id`: the steering-group meeting
        (Sitzung) the step was decided in, stored as the audit row's session_id."""
        require_aware(now)
        row = self._load(session, actor, proposal_id)
        self._check_version(row, expected_version)
        machine = self._machine(row)
        definition, target = machine.step_target(row.state, actor.role, transition)
        values = normalise_transition_inputs(definition, inputs)
        reason = (clean_text("reason", reason) or None) if reason else None  # no control or bidi character
        if meeting_id is not None:
            check_meeting(session, meeting_id, alliance_id=row.alliance_id)
        facts = self._facts(session, row, definition.guards, now=now, reason=reason, inputs=values, for_update=True)
        failures = evaluate(definition.guards, facts)
        if failures:
            raise GuardFailed(failures)

        version = expected_version + 1
        target_def = machine.procedure.state(target)
        binding = target_def.binds_budget if target_def.binds_budget != row.binds_budget else None
        if not repo.step_proposal(session, proposal_id, expected_version, state=target, now=now,
                                  binds_budget=binding, alliance_stage=target_def.alliance_stage,
                                  bank_stage=target_def.bank_stage):
            raise self._stale(session, proposal_id, expected_version)
        self._step_deadlines(session, machine, proposal_id, from_state=row.state, to_state=target, inputs=values,
                             now=now)
        apply_input_effects(session, definition, values, proposal_id=proposal_id, seq=version, now=now,
                            meeting_id=meeting_id)
        self._audit(session, actor, proposal_id=proposal_id, seq=version, now=now,
                    kind="transition", transition=transition, from_state=row.state, to_state=target,
                    reason=reason, inputs=values, request_id=request_id, machine=machine, meeting_id=meeting_id)
        self.notifier.write(session, proposal=row, actor=actor, transition=transition, from_state=row.state,
                            to_state=target, version=version, now=now)
        record_step(session, machine.procedure.key, transition)
        # Money is freed when the proposal stops binding budget, or when a step sets amounts below the request.
        if row.binds_budget and (not target_def.binds_budget or any(d.type == "amounts_by_year"
                                                                    for d in definition.inputs)):
            self.freed_money.offer(session, row, now)
        return StepResult(proposal_id=proposal_id, transition=transition, from_state=row.state, to_state=target,
                          version=version)

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
        meeting_id: int | None = None,
    ) -> StepResult:
        """`step` in a transaction of its own, for callers with nothing else to do in it (the CLI, the demo)."""
        with self.db.write() as session:
            return self.step(session, actor, proposal_id, transition, expected_version=expected_version, now=now,
                             reason=reason, inputs=inputs, request_id=request_id, meeting_id=meeting_id)

    # --- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _check_version(row: ProposalRecord, expected_version: int) -> None:
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

    @staticmethod
    def _step_deadlines(session: Session, machine: ProcedureMachine, proposal_id: int, *, from_state: str | None,
                        to_state: str, inputs: dict[str, Any], now: datetime) -> None:
        """Close the deadlines the step leaves behind and open those it starts, in the step's transaction."""
        procedure = machine.procedure
        wanted = [d for d in procedure.deadlines.values() if d.scope == "proposal" and to_state in d.states]
        open_rows = repo.open_deadlines(session, proposal_id)
        if not wanted and not open_rows:
            return
        needs_plan = any(d.due.plan_end or d.due.before_each_later_year for d in wanted)
        # The deadlines this step enters by moving (not by a date input): one that ran out before is not reopened.
        entering = [name for name, d in procedure.deadlines.items()
                    if d.scope == "proposal" and to_state in d.states and from_state not in d.states
                    and d.due.input is None]
        plan = plan_step(
            procedure, from_state=from_state, to_state=to_state, inputs=inputs, now=now,
            open_deadlines=[OpenDeadline(r.id, r.kind) for r in open_rows],
            plan_years=[r.year for r in repo.plan(session, proposal_id)] if needs_plan else [],
            ran_out=frozenset(
                (name, due) for name in entering for due in repo.ran_out_deadlines(
                    session, proposal_id, name, len(procedure.deadlines[name].reminder_offsets))
            ) if from_state is not None else frozenset(),
        )
        repo.cancel_deadlines(session, plan.cancel, now)
        rows = []
        for new in plan.create:
            stage, next_fire_at = schedule_start(procedure.deadlines[new.kind], new.due_at, now)
            rows.append({"proposal_id": proposal_id, "kind": new.kind, "procedure_key": procedure.key,
                         "procedure_version": procedure.version, "state": to_state, "due_at": new.due_at,
                         "status": "open", "stage": stage, "next_fire_at": next_fire_at, "created_at": now})
        repo.insert_deadlines(session, rows)

    @staticmethod
    def _audit(session: Session, actor: Actor, *, proposal_id: int, seq: int, now: datetime, kind: str,
               transition: str | None, from_state: str | None, to_state: str, reason: str | None,
               inputs: dict[str, Any], request_id: str | None, machine: ProcedureMachine,
               meeting_id: int | None = None) -> None:
        repo.insert_audit(session, {
            "proposal_id": proposal_id, "seq": seq, "at": now, "kind": kind, "actor_id": actor.user_id,
            "actor_name": actor.name, "actor_role": actor.role.value, "transition": transition,
            "from_state": from_state, "to_state": to_state, "reason": reason, "inputs": inputs,
            "request_id": request_id, "procedure_key": machine.procedure.key,
            "procedure_version": machine.procedure.version, "session_id": meeting_id,
        })
