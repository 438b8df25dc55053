"""The steering group's forms on a proposal: a member's scores, the managing member's judgement of a condition.

Success leads back to the proposal page (303). A refused form is shown again on a page of its own, with what was
typed and the message next to the field; the rules stay in the services, this only reads the form and words the
refusal for people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Ctx, Now, RequestId
from api.web.errors import PageRoute
from api.web.forms import form_text
from api.web.pages.review_section import review_section
from api.web.render import render, texts_for
from api.web.session import Form, Viewer
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, InvalidInput
from workflow.people.actors import Actor
from workflow.procedure.inputs import MAX_ID
from workflow.review.scheme import ScoringScheme

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _again(request: Request, ctx: Context, actor: Actor, proposal_id: int, *, now: datetime, status: int,
           values: dict[str, str], errors: dict[str, list[str]]) -> Response:
    review = review_section(ctx, actor, proposal_id, values=values, errors=errors)
    return render(request, "rounds/review_form.html", status=status, review=review, proposal_id=proposal_id,
                  errors=errors)


def _sheet_problems(exc: InvalidInput, scheme: ScoringScheme, t: Any) -> dict[str, list[str]]:
    """The service's refusal of a sheet, worded for people, next to each criterion."""
    maxima = {c.key: c.max_points for c in scheme.criteria}
    errors: dict[str, list[str]] = {}
    for p in exc.problems:
        kind, _, key = p.field.partition(".")
        if kind == "points" and key in maxima:
            errors.setdefault(p.field, []).append(t("st_points_range", max=maxima[key]))
        elif kind == "ko" and key in {k.key for k in scheme.ko}:
            errors.setdefault(p.field, []).append(t("st_ko_missing"))
        else:
            errors.setdefault("", []).append(f"{p.field}: {p.problem}")
    return errors


@router.post("/proposals/{proposal_id}/scores")
def score(request: Request, *, proposal_id: Id, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId,
          form: Form) -> Response:
    actor, t = viewer.actor, texts_for(request)
    scheme = ctx.scoring.scores(actor, proposal_id).scheme
    if scheme is None:
        raise Conflict("the round has no scoring scheme yet")
    values: dict[str, str] = {"comment": form_text(form, "comment")}
    errors: dict[str, list[str]] = {}
    points: dict[str, int] = {}
    ko: dict[str, bool] = {}
    for c in scheme.criteria:
        name = f"points.{c.key}"
        typed = values[name] = form_text(form, name, strip=True)
        if not typed:
            continue  # the service names every missing criterion
        try:
            points[c.key] = int(typed)
        except ValueError:
            errors[name] = [t("st_points_not_number", max=c.max_points)]
    for k in scheme.ko:
        name = f"ko.{k.key}"
        typed = values[name] = form_text(form, name)
        if typed in ("yes", "no"):
            ko[k.key] = typed == "yes"
    if not errors:
        try:
            ctx.scoring.score(actor, proposal_id, {"points": points, "ko": ko, "comment": values["comment"]},
                              now=now, request_id=rid)
            return RedirectResponse(f"/app/proposals/{proposal_id}", status_code=303)
        except InvalidInput as exc:
            errors = _sheet_problems(exc, scheme, t)
        except Forbidden as exc:
            # A conflict of interest (or a person who does not score here): the page says why.
            return _again(request, ctx, actor, proposal_id, now=now, status=403, values=values,
                          errors={"": [t("st_score_refused", why=exc.detail)]})
        except Conflict as exc:
            return _again(request, ctx, actor, proposal_id, now=now, status=409, values=values,
                          errors={"": [t("st_score_conflict", why=exc.detail)]})
    return _again(request, ctx, actor, proposal_id, now=now, status=422, values=values, errors=errors)


@router.post("/proposals/{proposal_id}/conditions/{condition_id}/judgement")
def judge(request: Request, *, proposal_id: Id, condition_id: Id, ctx: Ctx, viewer: Viewer, now: Now,
          rid: RequestId, form: Form) -> Response:
    actor, t = viewer.actor, texts_for(request)
    met_name, note_name = f"c{condition_id}.met", f"c{condition_id}.note"
    values = {met_name: form_text(form, met_name), note_name: form_text(form, note_name)}
    errors: dict[str, list[str]] = {}
    status = 422
    if values[met_name] not in ("yes", "no"):
        errors[met_name] = [t("st_judge_choose")]
    else:
        body: dict[str, Any] = {"met": values[met_name] == "yes", "note": values[note_name]}
        try:
            ctx.conditions.judge(actor, proposal_id, condition_id, body, now=now, request_id=rid)
            return RedirectResponse(f"/app/proposals/{proposal_id}#condition-{condition_id}", status_code=303)
        except InvalidInput as exc:
            for p in exc.problems:
                field = note_name if p.field == "note" else f"c{condition_id}"
                errors.setdefault(field, []).append(p.problem)
        except Conflict as exc:
            status = 409
            errors[f"c{condition_id}"] = [t("st_judge_conflict", why=exc.detail)]
    return _again(request, ctx, actor, proposal_id, now=now, status=status, values=values, errors=errors)
