"""The priorisation view of a round: the ranking with the budget line and its chart, the managing member's
resolution form, the past resolutions, and the priority list as CSV and XLSX for the bank."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Ctx, Now, RequestId
from api.web import exports
from api.web.budget_chart import budget_chart
from api.web.errors import PageRoute
from api.web.forms import form_text
from api.web.pages.rounds import procedure_of, seen_round
from api.web.render import language_of, money, render, texts_for
from api.web.session import Form, Viewer
from workflow.context import Context
from workflow.errors import GuardFailed, InvalidInput
from workflow.people.actors import Actor
from workflow.persistence import models
from workflow.procedure.inputs import MAX_ID
from workflow.review.access import may_resolve
from workflow.review.ranking import Ranking

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
YearText = Annotated[str | None, Query(max_length=20)]
DECISIONS = ("prioritise", "waiting_list", "decline")
NAMED = re.compile(r"^proposal (\d+)\b")


def _year(typed: str | None) -> int | None:
    if typed is None or not typed.strip():
        return None
    try:
        return int(typed)
    except ValueError:
        raise InvalidInput([]) from None


def _page(request: Request, ctx: Context, actor: Actor, round_: models.Round, ranking: Ranking, *,
          status: int = 200, year_typed: str = "", values: dict[str, str] | None = None,
          errors: dict[str, list[str]] | None = None) -> HTMLResponse:
    assert round_.id is not None
    lang = language_of(request)
    procedure = procedure_of(ctx, round_)
    steward = may_resolve(actor, round_)  # the resolution form, and the sessions to name in it
    labels = {name: state.label.get(lang) for name, state in procedure.states.items()}
    open_ids = {e.candidate.proposal_id for e in ranking.entries
                if not e.candidate.terminal and not e.candidate.binds_budget}
    resolutions = ctx.priorisation.resolutions(actor, round_.id)
    return render(
        request, "ranking/page.html", status=status, round=round_, ranking=ranking, labels=labels,
        chart=budget_chart(ranking, t=texts_for(request), money=lambda c: money(c, lang)),
        resolutions=resolutions, steward=steward,
        sessions=ctx.meetings.list(actor, round_.alliance_id) if steward else [], open_ids=open_ids,
        year_typed=year_typed or str(ranking.year), values=values or {}, errors=errors or {},
        decisions=exports.decisions(resolutions),
        titles={e.candidate.proposal_id: e.candidate.title for e in ranking.entries})


@router.get("/rounds/{round_id}/ranking", response_class=HTMLResponse)
def ranking_page(request: Request, *, round_id: Id, ctx: Ctx, viewer: Viewer, now: Now,
                 year: YearText = None) -> HTMLResponse:
    actor = viewer.actor
    round_ = seen_round(ctx, actor, round_id)
    try:
        ranking = ctx.priorisation.ranking(actor, round_id, _year(year), now=now)
    except InvalidInput:
        t = texts_for(request)
        ranking = ctx.priorisation.ranking(actor, round_id, now=now)
        return _page(request, ctx, actor, round_, ranking, status=422, year_typed=year or "",
                     errors={"year": [t("st_year_invalid")]})
    return _page(request, ctx, actor, round_, ranking)


def _read_resolution(form: Any, ranking: Ranking, t: Any) -> tuple[dict[str, Any], dict[str, str],
                                                                     dict[str, list[str]], list[int]]:
    """The resolution as the service takes it, what was typed, the form's own problems, the declined in order."""
    values: dict[str, str] = {name: form_text(form, name, strip=True) for name in ("decided_on", "session_id", "note")}
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {"prioritised": [], "waiting_list": [], "declined": [], "note": values["note"]}
    declined: list[int] = []
    for entry in ranking.entries:
        pid = entry.candidate.proposal_id
        decision = values[f"decision.{pid}"] = form_text(form, f"decision.{pid}")
        reason = values[f"reason.{pid}"] = form_text(form, f"reason.{pid}", strip=True)
        if decision == "prioritise":
            body["prioritised"].append(pid)
        elif decision == "waiting_list":
            body["waiting_list"].append(pid)
        elif decision == "decline":
            body["declined"].append({"proposal_id": pid, "reason": reason})
            declined.append(pid)
            if not reason:
                errors[f"reason.{pid}"] = [t("st_reason_missing")]
    try:
        body["decided_on"] = date.fromisoformat(values["decided_on"])
    except ValueError:
        errors["decided_on"] = [t("st_decided_on_invalid")]
    if values["session_id"]:
        body["session_id"] = values["session_id"]
    if not body["prioritised"] and not body["waiting_list"] and not body["declined"]:
        errors[""] = [t("st_resolution_empty")]
    return body, values, errors, declined


def _refusal_fields(exc: GuardFailed | InvalidInput, declined: list[int]) -> dict[str, list[str]]:
    """A refused resolution's messages by the form field they belong to: each named proposal's row, the date..."""
    errors: dict[str, list[str]] = {}
    if isinstance(exc, GuardFailed):
        for failure in exc.failures:
            named = NAMED.match(failure.why)
            errors.setdefault(f"decision.{named.group(1)}" if named else "", []).append(failure.why)
        return errors
    for p in exc.problems:
        parts = p.field.split(".")
        if parts[0] == "declined" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(declined):
            field = f"reason.{declined[int(parts[1])]}"
        elif parts[0] in ("decided_on", "session_id", "note"):
            field = parts[0]
        else:
            named = NAMED.match(p.problem)
            field = f"decision.{named.group(1)}" if named else ""
        errors.setdefault(field, []).append(p.problem)
    return errors


@router.post("/rounds/{round_id}/resolutions")
def record_resolution(request: Request, *, round_id: Id, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId,
                      form: Form) -> Response:
    actor = viewer.actor
    round_ = seen_round(ctx, actor, round_id)
    ranking = ctx.priorisation.ranking(actor, round_id, now=now)
    body, values, errors, declined = _read_resolution(form, ranking, texts_for(request))
    if not errors:
        try:
            ctx.priorisation.resolve(actor, round_id, body, now=now, request_id=rid)
            return RedirectResponse(f"/app/rounds/{round_id}/ranking#resolutions", status_code=303)
        except (GuardFailed, InvalidInput) as exc:
            errors = _refusal_fields(exc, declined)
    return _page(request, ctx, actor, round_, ranking, status=422, values=values, errors=errors)


def _priority_list(request: Request, ctx: Context, actor: Actor, round_id: int, year: str | None, *,
                   now: datetime) -> exports.PriorityList:
    round_ = seen_round(ctx, actor, round_id)
    ranking = ctx.priorisation.ranking(actor, round_id, _year(year), now=now)
    procedure = procedure_of(ctx, round_)
    return exports.PriorityList(
        round_id=round_id, round_name=round_.name, ranking=ranking,
        state_labels={name: state.label.get(exports.LANGUAGE) for name, state in procedure.states.items()},
        resolutions=ctx.priorisation.resolutions(actor, round_id))


@router.get("/rounds/{round_id}/priority-list.csv")
def priority_list_csv(request: Request, *, round_id: Id, ctx: Ctx, viewer: Viewer, now: Now,
                      year: YearText = None) -> Response:
    data = _priority_list(request, ctx, viewer.actor, round_id, year, now=now)
    return Response(exports.to_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": exports.disposition(exports.file_name(data, "csv"))})


@router.get("/rounds/{round_id}/priority-list.xlsx")
def priority_list_xlsx(request: Request, *, round_id: Id, ctx: Ctx, viewer: Viewer, now: Now,
                       year: YearText = None) -> Response:
    data = _priority_list(request, ctx, viewer.actor, round_id, year, now=now)
    return Response(exports.to_xlsx(data),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": exports.disposition(exports.file_name(data, "xlsx"))})
