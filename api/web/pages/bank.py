"""The bank's page: the proposals forwarded to it with their bank record (forwarding, decision, amounts).

A bank officer sees what the alliances naming their bank forwarded; a managing member their alliance's forwarded
proposals (the visibility rule is the service's). Approving and rejecting are the procedure's own steps, on the
proposal page.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Ctx
from api.web.errors import PageRoute
from api.web.pages.rounds import all_visible
from api.web.render import language_of, render
from api.web.session import Viewer
from workflow.people.desks import require_bank_desk
from workflow.proposals.views import ProposalSummary
from workflow.review.bank import BankRecord


@dataclass(frozen=True)
class Forwarded:
    proposal: ProposalSummary
    state: str
    record: BankRecord


router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)


@router.get("/bank", response_class=HTMLResponse)
def bank_page(request: Request, ctx: Ctx, viewer: Viewer) -> HTMLResponse:
    actor = viewer.actor
    require_bank_desk(actor)
    lang = language_of(request)
    rows: list[Forwarded] = []
    for p in all_visible(ctx, actor):
        state = ctx.procedures.get(p.procedure_key, p.procedure_version).state(p.state)
        if not state.bank_stage:
            continue
        rows.append(Forwarded(proposal=p, state=state.label.get(lang), record=ctx.bank.record(actor, p.id)))
    names = ctx.admin.organisation_names([r.proposal.organisation_id for r in rows])
    pending = [r for r in rows if r.record.decision is None]
    decided = [r for r in rows if r.record.decision is not None]
    return render(request, "bank/page.html", pending=pending, decided=decided, names=names)

