"""The steering group's rounds: the list with counts by state, and a round's board of proposals by state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import Ctx, Now
from api.web.errors import PageRoute
from api.web.render import language_of, render
from api.web.session import Viewer
from workflow.context import Context
from workflow.people.actors import Actor
from workflow.people.desks import require_rounds_desk
from workflow.persistence import models
from workflow.procedure.definition import Procedure
from workflow.procedure.inputs import MAX_ID
from workflow.proposals.views import ProposalSummary
from workflow.review.access import rounds_scope, visible_round
from workflow.review.ranking import Entry

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE = 200


def seen_round(ctx: Context, actor: Actor, round_id: int) -> models.Round:
    """The round, if the viewer belongs to its alliance's steering group (or runs the service); else not found
    (review/access.py decides)."""
    return visible_round(actor, round_id, ctx.admin.round(round_id))


def procedure_of(ctx: Context, round_: models.Round) -> Procedure:
    return ctx.procedures.get(round_.procedure_key, round_.procedure_version)


def state_order(ctx: Context, procedure: Procedure, proposals: list[ProposalSummary]) -> list[str]:
    """The round's states in its procedure's order, then those only the versions its proposals were migrated to
    have (in theirs)."""
    order = list(procedure.states)
    for key, version in sorted({(p.procedure_key, p.procedure_version) for p in proposals}):
        order += [s for s in ctx.procedures.get(key, version).states if s not in order]
    return order


def all_visible(ctx: Context, actor: Actor, *, round_id: int | None = None) -> list[ProposalSummary]:
    """Every proposal the actor may see (of the round), every page of it."""
    found: list[ProposalSummary] = []
    after = 0
    while True:
        page, more = ctx.proposals.visible(actor, round_id=round_id, after_id=after, limit=PAGE)
        found += page
        if not more or not page:
            return found
        after = page[-1].id


@dataclass(frozen=True)
class Card:
    proposal: ProposalSummary
    organisation: str
    entry: Entry | None  # its line in the ranking (grant, score, quorum), if it reached the steering group


@dataclass(frozen=True)
class Column:
    state: str
    label: str
    cards: list[Card]


@router.get("/rounds", response_class=HTMLResponse)
def rounds_page(request: Request, ctx: Ctx, viewer: Viewer) -> HTMLResponse:
    actor = viewer.actor
    require_rounds_desk(actor)
    rounds = ctx.admin.rounds(rounds_scope(actor))
    lang = language_of(request)
    listed = []
    for r in rounds:
        assert r.id is not None
        proposals = all_visible(ctx, actor, round_id=r.id)
        order = state_order(ctx, procedure_of(ctx, r), proposals)
        labels = {p.state: p.state_label[lang] for p in proposals}
        counts = Counter(p.state for p in proposals)
        by_state = [(labels[s], counts[s]) for s in order if s in counts]
        listed.append({"round": r, "total": sum(counts.values()), "by_state": by_state})
    return render(request, "rounds/list.html", rounds=listed)


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def round_board(request: Request, round_id: Id, ctx: Ctx, viewer: Viewer, now: Now) -> HTMLResponse:
    actor = viewer.actor
    round_ = seen_round(ctx, actor, round_id)
    procedure = procedure_of(ctx, round_)
    proposals = all_visible(ctx, actor, round_id=round_id)
    ranking = ctx.priorisation.ranking(actor, round_id, now=now)
    entries = {e.candidate.proposal_id: e for e in ranking.entries}
    names = ctx.admin.organisation_names([p.organisation_id for p in proposals])
    scheme = ctx.scoring.scheme(actor, round_id).scheme
    lang = language_of(request)
    columns = []
    for state in state_order(ctx, procedure, proposals):
        cards = [Card(proposal=p, organisation=names.get(p.organisation_id, "–"), entry=entries.get(p.id))
                 for p in proposals if p.state == state]
        if cards:
            columns.append(Column(state=state, label=cards[0].proposal.state_label[lang], cards=cards))
    return render(request, "rounds/board.html", round=round_, columns=columns, year=ranking.year,
                  quorum=scheme.quorum if scheme else None, max_total=scheme.max_total if scheme else None,
                  count=len(proposals))
