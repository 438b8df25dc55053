"""The proposal page: content, funding plan, timeline, conditions, deadlines, and "what I may do next" as one form
per allowed transition; answering a condition; the history as CSV."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Ctx, Now, RequestId
from api.web.cells import csv_file
from api.web.diagram import procedure_svg
from api.web.errors import PageRoute
from api.web.forms import form_text
from api.web.pages.applicant import euros_typed, parse_amount
from api.web.pages.review_section import review_section
from api.web.render import language_of, render, texts_for, when
from api.web.session import Form, Viewer
from api.web.texts import catalogue
from workflow.context import Context
from workflow.errors import FieldProblem, GuardFailed, InvalidInput, StaleVersion
from workflow.procedure.definition import InputDef, Procedure
from workflow.procedure.inputs import MAX_ID
from workflow.proposals.permissions import proposal_actions
from workflow.proposals.views import HistoryEntry

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PLAN_RULE = "funding_plan_complete"
# The rules whose refusal we can explain in the viewer's language (the engine's own words follow as the detail).
EXPLAINED_RULES = ("funding_plan_complete", "round_open", "round_closed", "reason_given", "budget_covers",
                   "quorum_scored", "score_threshold_met", "conditions_answered", "conditions_met")


# --- reading a transition's inputs from the form ----------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _integer(typed: str, t: Any) -> tuple[Any, str | None]:
    return (int(typed), None) if re.fullmatch(r"-?\d{1,9}", typed) else (None, t("proposal_input_integer"))


def _money(typed: str, t: Any) -> tuple[Any, str | None]:
    amount, problem = parse_amount(typed, t)
    return (str(amount) if amount is not None else None), problem


def _amounts(typed: str, t: Any) -> tuple[Any, str | None]:
    amounts: dict[str, str] = {}
    for line in _lines(typed):
        year, _, rest = line.partition(":")
        amount, problem = parse_amount(rest, t)
        if not re.fullmatch(r"\d{4}", year.strip()) or problem:
            return None, t("proposal_input_amounts")
        amounts[year.strip()] = str(amount)
    return amounts, None


def _date(typed: str, t: Any) -> tuple[Any, str | None]:
    """As the date field sends it (YYYY-MM-DD), or as people write it without one (15.06.2026)."""
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", typed)
    return (f"{german.group(3)}-{int(german.group(2)):02d}-{int(german.group(1)):02d}" if german else typed), None


READERS: dict[str, Any] = {"text_list": lambda typed, t: (_lines(typed), None),
                           "conditions": lambda typed, t: (_lines(typed), None),
                           "integer": _integer, "money": _money, "amounts_by_year": _amounts, "date": _date}


def read_input(spec: InputDef, typed: str, t: Any) -> tuple[Any, str | None]:
    """The value the service takes for one declared input, or the message to show next to its field.
    The service checks every value again (workflow/procedure/inputs.py); this only turns what people type into it."""
    if not typed.strip():
        return None, None
    reader = READERS.get(spec.type)
    return reader(typed.strip(), t) if reader else (typed.strip(), None)


# --- the page ---------------------------------------------------------------------------------------------------

def rule_message(t: Any, rule: str, why: str) -> str:
    return f"{t('proposal_rule_' + rule)} ({why})" if rule in EXPLAINED_RULES else why


def history_rows(entries: list[HistoryEntry], procedure: Procedure, language: str, t: Any) -> list[dict[str, Any]]:
    """The timeline in words: when, who, from -> to, which step, why."""
    def state(name: str | None) -> str:
        if name is None:
            return ""
        found = procedure.states.get(name)
        return found.label.get(language) if found else name

    rows = []
    for e in entries:
        step = procedure.transitions.get(e.transition) if e.transition else None
        label = step.label.get(language) if step else (
            t(f"proposal_kind_{e.kind}") if f"proposal_kind_{e.kind}" in catalogue() else e.kind)
        rows.append({"at": e.at, "who": e.actor_name, "role": t(f"role_{e.actor_role}"),
                     "from": state(e.from_state), "to": state(e.to_state), "step": label,
                     "reason": e.reason or "", "changed": e.from_state != e.to_state})
    return rows


def show_page(request: Request, ctx: Context, viewer: Viewer, proposal_id: int, now: datetime, *,
              status: int = 200, active: str = "", typed: dict[str, str] | None = None,
              errors: dict[str, list[str]] | None = None, notice: str = "") -> Response:
    """The proposal as the viewer may see it; `active`, `typed` and `errors` belong to the form just sent."""
    actor = viewer.actor
    language = language_of(request)
    t = texts_for(request)
    view = ctx.proposals.get(actor, proposal_id, now=now)
    procedure = ctx.procedures.get(view.procedure_key, view.procedure_version)
    history = history_rows(ctx.proposals.history(actor, proposal_id), procedure, language, t)
    conditions = [c for c in ctx.conditions.conditions(actor, proposal_id) if c.current]
    actions = proposal_actions(actor, view, conditions)  # what the forms offer: the services' own rules
    errors = errors or {}
    plan_problems = list(errors.get("funding_plan", []))
    if not plan_problems:  # what keeps the applicant's submission back, shown beside the plan before they try
        plan_problems = [rule_message(t, f.rule, f.why) for a in actions.steps for f in a.blocked_by
                         if f.rule == PLAN_RULE][:1]
    steps = [{"name": a.transition.name, "label": a.transition.label.get(language),
              "to": procedure.states[a.target].label.get(language) if a.target in procedure.states
              else a.target,
              "inputs": [{"spec": i, "label": i.label.get(language), "name": f"{a.transition.name}-{i.name}",
                          "kind": i.type} for i in a.transition.inputs],
              "reason_required": "reason_given" in a.transition.guards,
              "blocked": [rule_message(t, f.rule, f.why) for f in a.blocked_by]} for a in actions.steps]
    return render(
        request, "proposal/page.html", status=status, view=view, procedure=procedure, history=history,
        conditions=conditions, steps=steps, active=active, typed=typed or {}, errors=errors, notice=notice,
        plan_problems=plan_problems, answerable=actions.answerable, may_edit=actions.may_edit, show_salaries=any(
            y.staff_costs is not None for y in view.funding_plan),
        review=review_section(ctx, actor, proposal_id),
        diagram=procedure_svg(procedure, language=language, highlight=view.state),
        saved=request.query_params.get("saved") == "1", euros_typed=euros_typed,
    )


@router.get("/proposals/{proposal_id}")
def proposal_page(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, proposal_id: Id) -> Response:
    return show_page(request, ctx, viewer, proposal_id, now)


@router.post("/proposals/{proposal_id}/transitions")
def fire_transition(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId, form: Form,
                    proposal_id: Id) -> Response:
    t = texts_for(request)
    view = ctx.proposals.get(viewer.actor, proposal_id, now=now)
    name = form_text(form, "transition").strip()
    allowed = {a.transition.name: a.transition for a in proposal_actions(viewer.actor, view).steps}
    step = allowed.get(name)
    typed = {key: form_text(form, key) for key in form if isinstance(key, str) and key.startswith(f"{name}-")}
    errors: dict[str, list[str]] = {}
    if step is None:
        return show_page(request, ctx, viewer, proposal_id, now, status=409, notice="proposal_step_gone")
    inputs: dict[str, Any] = {}
    for spec in step.inputs:
        value, problem = read_input(spec, form_text(form, f"{name}-{spec.name}"), t)
        if problem:
            errors.setdefault(f"{name}-{spec.name}", []).append(problem)
        elif value is not None:
            inputs[spec.name] = value
    reason = form_text(form, f"{name}-reason").strip() or None
    sent = form_text(form, "version").strip()
    version = int(sent) if sent.isdigit() and len(sent) < 10 else 0
    if not errors:
        try:
            with ctx.db.write() as session:
                ctx.proposals.step(session, viewer.actor, proposal_id, name, expected_version=version, now=now,
                                   reason=reason, inputs=inputs, request_id=rid)
            return RedirectResponse(f"/app/proposals/{proposal_id}?done={name}", status_code=303)
        except StaleVersion:
            return show_page(request, ctx, viewer, proposal_id, now, status=409, active=name, typed=typed,
                             notice="proposal_stale")
        except InvalidInput as exc:
            for p in exc.problems:
                errors.setdefault(_input_field(name, p), []).append(p.problem)
        except GuardFailed as exc:
            for f in exc.failures:
                message = rule_message(t, f.rule, f.why)
                key = {"reason_given": f"{name}-reason", PLAN_RULE: "funding_plan"}.get(f.rule, name)
                errors.setdefault(key, []).append(message)
                if key != name:  # said next to the form too, so whoever looks at the button reads why
                    errors.setdefault(name, []).append(message)
    return show_page(request, ctx, viewer, proposal_id, now, status=422, active=name, typed=typed, errors=errors)


def _input_field(transition: str, problem: FieldProblem) -> str:
    field = problem.field
    if field.startswith("inputs."):
        return f"{transition}-{field.removeprefix('inputs.').split('.')[0]}"
    return f"{transition}-reason" if field == "reason" else transition


@router.post("/proposals/{proposal_id}/conditions/{condition_id}/answer")
def answer_condition(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId, form: Form,
                     proposal_id: Id, condition_id: Id) -> Response:
    t = texts_for(request)
    answer, evidence = form_text(form, f"answer-{condition_id}"), form_text(form, f"evidence-{condition_id}")
    typed = {f"answer-{condition_id}": answer, f"evidence-{condition_id}": evidence}
    errors: dict[str, list[str]] = {}
    if not answer.strip():
        errors[f"answer-{condition_id}"] = [t("proposal_answer_missing")]
    else:
        try:
            ctx.conditions.answer(viewer.actor, proposal_id, condition_id,
                                  {"text": answer, "evidence": _lines(evidence)}, now=now, request_id=rid)
            return RedirectResponse(f"/app/proposals/{proposal_id}?answered={condition_id}#conditions",
                                    status_code=303)
        except InvalidInput as exc:
            for p in exc.problems:
                key = "evidence" if p.field.startswith("evidence") else "answer"
                errors.setdefault(f"{key}-{condition_id}", []).append(p.problem)
    return show_page(request, ctx, viewer, proposal_id, now, status=422, active=f"condition-{condition_id}",
                     typed=typed, errors=errors)


# --- the history as a spreadsheet -------------------------------------------------------------------------------

@router.get("/proposals/{proposal_id}/history.csv")
def history_csv(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, proposal_id: Id) -> Response:
    language = language_of(request)
    t = texts_for(request)
    view = ctx.proposals.get(viewer.actor, proposal_id, now=now)
    procedure = ctx.procedures.get(view.procedure_key, view.procedure_version)
    rows = history_rows(ctx.proposals.history(viewer.actor, proposal_id), procedure, language, t)
    header = [t(f"proposal_csv_{c}") for c in ("at", "who", "role", "from", "to", "step", "reason")]
    lines = [[when(r["at"], language), r["who"], r["role"], r["from"], r["to"], r["step"], r["reason"]] for r in rows]
    # csv_file writes for German Excel, and gives any text that would start a formula (a reason anyone typed, a
    # name) a leading apostrophe.
    return Response(csv_file([header, *lines]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="antrag-{proposal_id}-verlauf.csv"'})
