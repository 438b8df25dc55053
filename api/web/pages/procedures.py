"""The procedures as pages: which ones this installation knows, and each one drawn and written out in tables."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import Ctx
from api.web.diagram import procedure_svg
from api.web.errors import PageRoute
from api.web.render import language_of, render, texts_for
from api.web.session import Viewer
from api.web.texts import catalogue
from workflow.deadlines.definition import DeadlineDef, Duration
from workflow.procedure.definition import Procedure
from workflow.procedure.rules import GUARDS
from workflow.versioning.diff import diff
from workflow.versioning.readable import no_changes, sections

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)


@router.get("/procedures")
def procedure_list(request: Request, ctx: Ctx, viewer: Viewer) -> Response:
    return render(request, "procedure/list.html", procedures=ctx.procedures.all())


@router.get("/procedures/{key}/{from_version}/changes/{to_version}")
def procedure_changes(request: Request, ctx: Ctx, viewer: Viewer, *, key: str, from_version: int,
                      to_version: int) -> Response:
    """What changed between two versions, in the words `foerderweg procedure diff` uses, grouped by heading."""
    change = diff(ctx.procedures, key, from_version, to_version)
    language = language_of(request)
    return render(request, "procedure/changes.html", procedure=ctx.procedures.get(key, to_version),
                  from_version=from_version, to_version=to_version, empty=change.empty,
                  no_changes=no_changes(language), sections=sections(change, language))


@router.get("/procedures/{key}/{version}")
def procedure_page(request: Request, ctx: Ctx, viewer: Viewer, *, key: str, version: int,
                   state: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    procedure = ctx.procedures.get(key, version)
    language = language_of(request)
    highlight = state if state in procedure.states else None
    previous = ctx.procedures.previous(key, version)
    return render(request, "procedure/show.html", procedure=procedure, highlight=highlight,
                  previous=previous.version if previous is not None else None,
                  diagram=procedure_svg(procedure, language=language, highlight=highlight),
                  states=_states(procedure, request), deadlines=_deadlines(procedure, request),
                  guards=_guards(procedure, request))


def _guards(procedure: Procedure, request: Request) -> dict[str, str]:
    """Each rule's description in the viewer's language (the rule's own English description if not translated)."""
    t = texts_for(request)
    names = {g for tr in procedure.transitions.values() for g in tr.guards}
    return {g: t(f"procedure_guard_{g}") if f"procedure_guard_{g}" in catalogue() else GUARDS[g].description
            for g in names}


def _states(procedure: Procedure, request: Request) -> list[dict[str, Any]]:
    """What happens in each state, in words, from the same flags the engine reads."""
    t = texts_for(request)
    language = language_of(request)
    rows = []
    for name, state in procedure.states.items():
        happens = []
        if name == procedure.initial:
            happens.append(t("procedure_state_initial"))
        if state.terminal:
            happens.append(t("procedure_state_terminal"))
        if state.editable:
            happens.append(t("procedure_state_editable"))
        if name in procedure.scoring_states:
            happens.append(t("procedure_state_scoring"))
        if state.bank_stage:
            happens.append(t("procedure_state_bank"))
        elif state.alliance_stage:
            happens.append(t("procedure_state_alliance"))
        elif not state.terminal:
            happens.append(t("procedure_state_private"))
        if state.binds_budget:
            happens.append(t("procedure_state_budget"))
        open_deadlines = [d.label.get(language) for d in procedure.deadlines.values() if name in d.states]
        if open_deadlines:
            happens.append(t("procedure_state_deadlines", names=", ".join(open_deadlines)))
        rows.append({"name": name, "label": state.label.get(language), "terminal": state.terminal,
                     "happens": happens,
                     "next": [tr.label.get(language) for tr in procedure.transitions_from(name)]})
    return rows


def _duration(text: str, request: Request) -> str:
    d = Duration.parse(text)
    return texts_for(request)(f"procedure_duration_{d.unit}", n=d.amount)


def _deadlines(procedure: Procedure, request: Request) -> list[dict[str, Any]]:
    t = texts_for(request)
    language = language_of(request)
    return [_deadline(procedure, d, t, language, request) for d in procedure.deadlines.values()]


def _deadline(procedure: Procedure, d: DeadlineDef, t: Any, language: str, request: Request) -> dict[str, Any]:
    due = d.due
    if due.input is not None:
        labels = {i.name: i.label.get(language) for tr in procedure.transitions.values() for i in tr.inputs}
        when = t("procedure_due_input", label=labels.get(due.input, due.input))
    elif due.round_closes:
        when = t("procedure_due_round_closes")
    else:
        when = t(f"procedure_due_{due.source}", duration=_duration(str(getattr(due, due.source)), request))
    recipients = ", ".join(t(f"procedure_recipient_{r}") for r in d.recipients)
    reminders = (t("procedure_reminders", offsets=", ".join(_duration(str(o), request) for o in d.reminder_offsets),
                   recipients=recipients) if d.reminder_offsets else t("procedure_reminders_none"))
    overdue = []
    if d.overdue.notify:
        overdue.append(t("procedure_overdue_notify",
                         recipients=", ".join(t(f"procedure_recipient_{r}") for r in d.overdue.notify)))
    if d.repeat is not None:
        overdue.append(t("procedure_overdue_repeat", duration=_duration(str(d.repeat), request)))
    step = d.overdue_transition
    if step is not None and step in procedure.transitions:
        overdue.append(t("procedure_overdue_transition", step=procedure.transitions[step].label.get(language)))
    states = [procedure.states[s].label.get(language) for s in d.states if s in procedure.states]
    if d.scope == "round":
        states = [t("procedure_round_scope")]
    return {"label": d.label.get(language), "todo": d.todo.get(language) if d.todo else "", "when": when,
            "states": states, "reminders": reminders, "overdue": overdue or [t("procedure_overdue_nothing")]}
