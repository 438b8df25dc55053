"""The applicant's pages: "my proposals", the draft form (new and edit) with its funding plan, the calendar feed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from api.deps import Ctx, Now, RequestId
from api.web.errors import PageRoute
from api.web.forms import form_text, is_clean_text, is_one_line
from api.web.render import grouped, language_of, render, texts_for
from api.web.session import Form, Viewer
from api.web.texts import Texts
from workflow.context import Context
from workflow.errors import FieldProblem, InvalidInput, InvalidTransition, StaleVersion
from workflow.people.desks import desks_of
from workflow.procedure.inputs import MAX_EUROS, MAX_ID, MAX_YEARS
from workflow.proposals.permissions import require_editable, require_writer
from workflow.proposals.views import ProposalView

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# The plan's columns: form name -> the funding plan's field.
PLAN_COLUMNS = {"year": "year", "fte": "staff_fte", "staff": "staff_costs", "material": "material_costs",
                "grant": "grant_requested", "own": "own_share", "source": "own_share_source"}
AMOUNT_COLUMNS = ("staff", "material", "grant", "own")
MAX_ROWS = 50  # rows a (scripted) form may send; more than MAX_YEARS filled ones are refused with a message
PLAN_FIELD = re.compile(r"^plan-(\d{1,2})-([a-z]+)$")
LIST_PAGE = 50


# --- numbers as people type them --------------------------------------------------------------------------------

# German notation first ("18.000,50", "18.000", "0,5"), then English ("18,000.50", "18000.50"): a '.' followed by
# exactly three digits groups thousands, as a German reader means it; "12,345" is 12.345 (and has too many cents).
GERMAN_NUMBER = re.compile(r"\d{1,3}(\.\d{3})*(,\d+)?|\d+(,\d+)?")
ENGLISH_NUMBER = re.compile(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?")


def parse_decimal(typed: str, language: str = "de") -> Decimal | None:
    """The number a person typed, in German or English notation, or None if the text is no number. The page's
    language decides what an ambiguous "18,000" means (18 in German, 18000 in English)."""
    text = re.sub(r"[\s\u00a0\u202f€]|EUR", "", typed)
    german = GERMAN_NUMBER.fullmatch(text) is not None
    english = ENGLISH_NUMBER.fullmatch(text) is not None
    if german and not (english and language == "en"):
        plain = text.replace(".", "").replace(",", ".")
    elif english:
        plain = text.replace(",", "")
    else:
        return None
    try:
        return Decimal(plain)
    except InvalidOperation:
        return None


def parse_amount(typed: str, t: Texts) -> tuple[Decimal | None, str | None]:
    """An amount in euros (two places at most), or the message to show next to the field."""
    amount = parse_decimal(typed, t.language)
    if amount is None:
        return None, t("applicant_amount_invalid", typed=typed.strip()[:40])
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, t("applicant_amount_cents")
    if amount > MAX_EUROS:
        return None, t("applicant_amount_too_large")
    return amount, None


def euros_typed(cents: int | None, language: str) -> str:
    """An amount as the form shows it again: 18.000,50 in German, 18,000.50 in English."""
    return "" if cents is None else grouped(cents, language)


def fte_typed(value: float, language: str) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",") if language == "de" else text


# --- the draft form ---------------------------------------------------------------------------------------------

@dataclass
class DraftForm:
    """What the form shows: typed texts (never parsed values, so nothing typed is lost) and messages by field."""

    title: str = ""
    summary: str = ""
    target_group: str = ""
    goals: str = ""
    partners: str = ""
    rows: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def blank_row() -> dict[str, str]:
    return {column: "" for column in PLAN_COLUMNS}


def with_spare_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Enough empty rows to add years without the script: at least three rows, and two spare ones."""
    spare = max(2, 3 - len(rows))
    return rows + [blank_row() for _ in range(min(spare, MAX_YEARS + 2 - len(rows)))]


def form_of_view(view: ProposalView, language: str) -> DraftForm:
    rows = [{"year": str(y.year), "fte": fte_typed(y.staff_fte, language),
             "staff": euros_typed(y.staff_costs, language), "material": euros_typed(y.material_costs, language),
             "grant": euros_typed(y.grant_requested, language), "own": euros_typed(y.own_share, language),
             "source": y.own_share_source} for y in view.funding_plan]
    return DraftForm(title=view.title, summary=view.summary, target_group=view.target_group, goals=view.goals,
                     partners="\n".join(view.partners), rows=rows)


def read_form(form: FormData, t: Texts) -> tuple[DraftForm, dict[str, Any], list[int]]:
    """The typed form, the content for the service (what could be read), and the form row of each plan year."""
    typed = DraftForm(title=form_text(form, "title"), summary=form_text(form, "summary"),
                      target_group=form_text(form, "target_group"), goals=form_text(form, "goals"),
                      partners=form_text(form, "partners"))
    indexes = sorted({int(m.group(1)) for key in form if (m := PLAN_FIELD.match(key)) and int(m.group(1)) < MAX_ROWS})
    rows = [{column: form_text(form, f"plan-{i}-{column}").strip() for column in PLAN_COLUMNS} for i in indexes]
    rows = [row for row in rows if any(row.values())]
    typed.rows = rows
    content: dict[str, Any] = {"title": typed.title.strip(), "summary": typed.summary.strip(),
                               "target_group": typed.target_group.strip(), "goals": typed.goals.strip(),
                               "partners": [p.strip() for p in typed.partners.splitlines() if p.strip()]}
    if len(typed.title.strip()) < 3:
        typed.add("title", t("applicant_title_missing"))
    check_characters(typed, t)
    if len(rows) > MAX_YEARS:
        typed.add("plan", t("applicant_too_many_years", most=MAX_YEARS))
    plan: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        year: dict[str, Any] = {"own_share_source": row["source"]}
        if not re.fullmatch(r"\d{4}", row["year"]) or not 2000 <= int(row["year"]) <= 2100:
            typed.add(f"plan-{position}-year", t("applicant_year_invalid"))
        else:
            year["year"] = int(row["year"])
        if row["fte"]:
            fte = parse_decimal(row["fte"], t.language)
            if fte is None or fte > 100 or fte.as_tuple().exponent < -2:  # type: ignore[operator]
                typed.add(f"plan-{position}-fte", t("applicant_fte_invalid"))
            else:
                year["staff_fte"] = str(fte)
        for column in AMOUNT_COLUMNS:
            if row[column]:
                amount, problem = parse_amount(row[column], t)
                if problem:
                    typed.add(f"plan-{position}-{column}", problem)
                else:
                    year[PLAN_COLUMNS[column]] = str(amount)
        plan.append(year)
    content["funding_plan"] = plan
    return typed, content, list(range(len(rows)))


def check_characters(typed: DraftForm, t: Texts) -> None:
    """Titles and names are one line; no text holds a control or a bidi character (workflow.procedure.text_fields)."""
    if len(typed.title.strip()) >= 3 and not is_one_line(typed.title):
        typed.add("title", t("applicant_one_line"))
    if not all(is_one_line(p) for p in typed.partners.splitlines()):
        typed.add("partners", t("applicant_one_line"))
    for name in ("summary", "target_group", "goals"):
        if not is_clean_text(getattr(typed, name)):
            typed.add(name, t("applicant_control_characters"))
    for position, row in enumerate(typed.rows):
        if not is_one_line(row["source"]):
            typed.add(f"plan-{position}-source", t("applicant_one_line"))


def field_of(problem: FieldProblem) -> str:
    """The form field a service's complaint belongs to ('' for the form as a whole)."""
    parts = problem.field.split(".")
    if parts[0] == "funding_plan":
        if len(parts) >= 3 and parts[1].isdigit():
            column = {v: k for k, v in PLAN_COLUMNS.items()}.get(parts[2])
            return f"plan-{parts[1]}-{column}" if column else "plan"
        return "plan"
    return parts[0] if parts[0] in ("title", "summary", "target_group", "goals", "partners") else ""


def service_problems(typed: DraftForm, exc: InvalidInput, t: Texts) -> None:
    for problem in exc.problems:
        name = field_of(problem)
        typed.add(name, t("applicant_title_missing") if name == "title" else problem.problem)


def show_form(request: Request, typed: DraftForm, *, action: str, heading: str, status: int = 200,
              version: int | None = None, round_name: str = "", notice: str = "",
              proposal_id: int | None = None) -> Response:
    return render(request, "applicant/draft.html", status=status, form=typed, rows=with_spare_rows(typed.rows),
                  action=action, heading=heading, version=version, round_name=round_name, notice=notice,
                  proposal_id=proposal_id, max_rows=MAX_YEARS)


# --- my proposals ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    id: int
    title: str
    state_label: str
    terminal: bool
    next_label: str
    next_due: datetime | None
    overdue: bool


def _lines(ctx: Context, viewer: Viewer, language: str, now: datetime, after: int) -> tuple[list[Line], bool]:
    actor = viewer.actor
    items, more = ctx.proposals.visible(actor, after_id=after, limit=LIST_PAGE)
    round_items = [i for i in ctx.calendar.open_for(actor) if i.proposal_id is None and i.round_id is not None]
    lines = []
    for item in items:
        view = ctx.proposals.get(actor, item.id, now=now)
        procedure = ctx.procedures.get(view.procedure_key, view.procedure_version)
        due = [(d.due_at, d.label.get(language, d.kind), d.overdue) for d in view.deadlines if d.state != "done"]
        if view.state == procedure.initial:  # a draft: its round's submission deadline is what is due
            due += [(r.due_at, r.label.get(language, r.kind), r.due_at <= now) for r in round_items
                    if r.round_id == view.round_id]
        first = min(due, default=None, key=lambda d: d[0])
        lines.append(Line(id=item.id, title=item.title, state_label=item.state_label[language],
                          terminal=item.terminal, next_label=first[1] if first else "",
                          next_due=first[0] if first else None, overdue=bool(first and first[2])))
    return lines, more


@router.get("/proposals")
def my_proposals(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now,
                 after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Response:
    language = language_of(request)
    lines, more = _lines(ctx, viewer, language, now, after)
    rounds = []
    if desks_of(viewer.actor).own_proposals:  # the open rounds, to start a proposal in
        names = {a.id: a.name for a, _ in ctx.admin.alliances()}
        rounds = [(r, names.get(r.alliance_id, "")) for r in ctx.admin.rounds() if r.is_open(now)]
    return render(request, "applicant/list.html", lines=lines, rounds=rounds,
                  next_after=lines[-1].id if more and lines else None)


# --- new draft and edit -----------------------------------------------------------------------------------------

def _open_round(ctx: Context, round_id: int, now: datetime) -> Any:
    found = ctx.admin.round(round_id)
    if not found.is_open(now):
        raise InvalidTransition(f"round '{found.name}' is not open", transition="create")
    return found


@router.get("/proposals/new")
def new_draft_form(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now,
                   round: Annotated[int, Query(ge=1, le=MAX_ID)]) -> Response:
    require_writer(viewer.actor)
    found = _open_round(ctx, round, now)
    t = texts_for(request)
    return show_form(request, DraftForm(), action=f"/app/proposals/new?round={round}",
                     heading=t("applicant_new_heading"), round_name=found.name)


@router.post("/proposals/new")
def create_draft(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId, form: Form,
                 round: Annotated[int, Query(ge=1, le=MAX_ID)]) -> Response:
    require_writer(viewer.actor)
    found = ctx.admin.round(round)
    t = texts_for(request)
    typed, content, _ = read_form(form, t)
    if not typed.errors:
        try:
            view = ctx.proposals.create_draft(viewer.actor, {"round_id": round, **content}, now=now, request_id=rid)
            return RedirectResponse(f"/app/proposals/{view.id}?saved=1", status_code=303)
        except InvalidInput as exc:
            service_problems(typed, exc, t)
    return show_form(request, typed, action=f"/app/proposals/new?round={round}", status=422,
                     heading=t("applicant_new_heading"), round_name=found.name)


def _editable(ctx: Context, viewer: Viewer, proposal_id: int, now: datetime) -> ProposalView:
    view = ctx.proposals.get(viewer.actor, proposal_id, now=now)
    require_editable(viewer.actor, view)
    return view


@router.get("/proposals/{proposal_id}/edit")
def edit_form(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, proposal_id: Id) -> Response:
    view = _editable(ctx, viewer, proposal_id, now)
    t = texts_for(request)
    return show_form(request, form_of_view(view, language_of(request)), action=f"/app/proposals/{proposal_id}/edit",
                     heading=t("applicant_edit_heading"), version=view.version, proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/edit")
def save_draft(request: Request, *, ctx: Ctx, viewer: Viewer, now: Now, rid: RequestId, form: Form,
               proposal_id: Id) -> Response:
    view = _editable(ctx, viewer, proposal_id, now)
    t = texts_for(request)
    typed, content, _ = read_form(form, t)
    sent = form_text(form, "version").strip()
    version = int(sent) if sent.isdigit() and len(sent) < 10 else view.version
    status, notice = 422, ""
    if not typed.errors:
        try:
            ctx.proposals.edit_draft(viewer.actor, proposal_id, content, expected_version=version, now=now,
                                     request_id=rid)
            return RedirectResponse(f"/app/proposals/{proposal_id}?saved=1", status_code=303)
        except InvalidInput as exc:
            service_problems(typed, exc, t)
        except StaleVersion:
            # Someone saved in between: keep what was typed, and let a second save knowingly replace theirs.
            status, notice, version = 409, "applicant_stale", ctx.proposals.get(
                viewer.actor, proposal_id, now=now).version
    return show_form(request, typed, action=f"/app/proposals/{proposal_id}/edit", status=status,
                     heading=t("applicant_edit_heading"), version=version, notice=notice, proposal_id=proposal_id)


# --- the calendar feed ------------------------------------------------------------------------------------------

@router.get("/calendar.ics")
def calendar(ctx: Ctx, viewer: Viewer, now: Now) -> Response:
    """The viewer's open deadlines as an iCalendar file, to import or subscribe to."""
    return Response(ctx.calendar.ics(viewer.actor, now=now), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="foerderweg-termine.ics"'})
