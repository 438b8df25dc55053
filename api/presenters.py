"""From the engine's read models to response bodies, in the caller's language."""

from __future__ import annotations

from api import schemas
from workflow.persistence import models
from workflow.procedure.definition import InputDef, Procedure
from workflow.procedure.rules import GUARDS
from workflow.proposals.money import to_euros
from workflow.proposals.views import HistoryEntry, ProposalSummary, ProposalView


def euros(cents: int | None) -> str | None:
    return None if cents is None else str(to_euros(cents))


def _input(spec: InputDef) -> schemas.InputOut:
    return schemas.InputOut(name=spec.name, type=spec.type, required=spec.required,
                            label=schemas.Labels(**spec.label.model_dump()))


def proposal(view: ProposalView, language: str) -> schemas.ProposalOut:
    return schemas.ProposalOut(
        id=view.id, title=view.title, summary=view.summary, target_group=view.target_group, goals=view.goals,
        partners=view.partners, state=view.state, state_label=view.state_label[language], terminal=view.terminal,
        editable=view.editable, version=view.version, procedure_key=view.procedure_key,
        procedure_version=view.procedure_version, round_id=view.round_id, alliance_id=view.alliance_id,
        organisation_id=view.organisation_id, created_at=view.created_at, updated_at=view.updated_at,
        funding_plan=[
            schemas.PlanYearOut(year=y.year, staff_fte=y.staff_fte, total_cost=str(to_euros(y.total_cost)),
                                grant_requested=str(to_euros(y.grant_requested)), own_share=str(to_euros(y.own_share)),
                                own_share_source=y.own_share_source, staff_costs=euros(y.staff_costs),
                                material_costs=euros(y.material_costs))
            for y in view.funding_plan
        ],
        deadlines=[schemas.DeadlineOut(id=d.id, kind=d.kind, label=d.label.get(language, d.kind), due_at=d.due_at,
                                       overdue=d.overdue, state=d.state) for d in view.deadlines],
        allowed_transitions=[
            schemas.AllowedTransitionOut(
                name=a.transition.name, label=a.transition.label.get(language), to=a.target,
                reason_required="reason_given" in a.transition.guards,
                inputs=[_input(i) for i in a.transition.inputs],
                blocked_by=[schemas.FailedRuleOut(rule=f.rule, why=f.why) for f in a.blocked_by])
            for a in view.allowed
        ],
    )


def summary(item: ProposalSummary, language: str) -> schemas.ProposalSummaryOut:
    return schemas.ProposalSummaryOut(
        id=item.id, title=item.title, state=item.state, state_label=item.state_label[language],
        terminal=item.terminal, version=item.version, round_id=item.round_id, alliance_id=item.alliance_id,
        organisation_id=item.organisation_id, updated_at=item.updated_at)


def history(entry: HistoryEntry) -> schemas.HistoryEventOut:
    return schemas.HistoryEventOut(
        seq=entry.seq, at=entry.at, kind=entry.kind, actor_id=entry.actor_id, actor_name=entry.actor_name,
        actor_role=entry.actor_role, transition=entry.transition, from_state=entry.from_state,
        to_state=entry.to_state, reason=entry.reason, inputs=entry.inputs, request_id=entry.request_id,
        procedure_version=entry.procedure_version)


def procedure_summary(p: Procedure) -> schemas.ProcedureSummary:
    return schemas.ProcedureSummary(key=p.key, version=p.version, title=schemas.Labels(**p.title.model_dump()),
                                    initial=p.initial, states=len(p.states), transitions=len(p.transitions))


def procedure(p: Procedure) -> schemas.ProcedureOut:
    return schemas.ProcedureOut(
        key=p.key, version=p.version, title=schemas.Labels(**p.title.model_dump()), initial=p.initial,
        states=[schemas.StateOut(name=n, label=schemas.Labels(**s.label.model_dump()), terminal=s.terminal,
                                 editable=s.editable, bank_stage=s.bank_stage, binds_budget=s.binds_budget)
                for n, s in p.states.items()],
        transitions=[schemas.TransitionOut(
            name=t.name, label=schemas.Labels(**t.label.model_dump()), sources=list(t.sources), to=t.to,
            roles=list(t.roles), guards=[schemas.GuardOut(name=g, description=GUARDS[g].description) for g in t.guards],
            inputs=[_input(i) for i in t.inputs]) for t in p.transitions.values()],
    )


def alliance(row: models.Alliance, budgets: list[models.Budget], funding_bank: str | None = None
             ) -> schemas.AllianceOut:
    assert row.id is not None
    return schemas.AllianceOut(id=row.id, name=row.name, region=row.region,
                               action_concept_adopted_on=row.action_concept_adopted_on,
                               budgets=[budget(b) for b in budgets], funding_bank_id=row.funding_bank_id,
                               funding_bank=funding_bank)


def budget(row: models.Budget) -> schemas.BudgetOut:
    return schemas.BudgetOut(alliance_id=row.alliance_id, year=row.year, amount=str(to_euros(row.amount)))


def round_(row: models.Round) -> schemas.RoundOut:
    assert row.id is not None
    return schemas.RoundOut(id=row.id, alliance_id=row.alliance_id, name=row.name, opens_at=row.opens_at,
                            closes_at=row.closes_at, procedure_key=row.procedure_key,
                            procedure_version=row.procedure_version)
