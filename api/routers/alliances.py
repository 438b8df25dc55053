"""Alliances (Fachkräfteallianzen) and their yearly budgets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import schemas
from api.deps import Caller, Ctx, Now
from api.notify_schemas import ActionConceptIn, WebhookIn, WebhookOut
from workflow.context import Context
from workflow.persistence import models
from workflow.procedure.inputs import MAX_ID
from workflow.proposals.money import to_cents

router = APIRouter(prefix="/alliances", tags=["alliances"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=201, response_model=schemas.AllianceOut)
def create_alliance(body: schemas.AllianceIn, ctx: Ctx, caller: Caller, now: Now) -> schemas.AllianceOut:
    """Create an alliance (admins)."""
    row = ctx.admin.create_alliance(caller, body.name, region=body.region,
                                    action_concept_adopted_on=body.action_concept_adopted_on,
                                    funding_bank=body.funding_bank, now=now)
    return _out(ctx, [(row, [])])[0]


@router.get("", response_model=list[schemas.AllianceOut])
def list_alliances(ctx: Ctx, _: Caller) -> list[schemas.AllianceOut]:
    return _out(ctx, ctx.admin.alliances())


@router.get("/{alliance_id}", response_model=schemas.AllianceOut)
def get_alliance(alliance_id: Id, ctx: Ctx, _: Caller) -> schemas.AllianceOut:
    return _out(ctx, [ctx.admin.alliance(alliance_id)])[0]


@router.put("/{alliance_id}/funding-bank", response_model=schemas.AllianceOut)
def put_funding_bank(alliance_id: Id, body: schemas.FundingBankIn, ctx: Ctx, caller: Caller) -> schemas.AllianceOut:
    """Name the alliance's funding bank (admins): its bank officers, and only they, see the alliance's proposals
    once forwarded to the bank. A bank officer is a user in the bank role of that organisation."""
    ctx.admin.set_funding_bank(caller, alliance_id, body.funding_bank)
    return _out(ctx, [ctx.admin.alliance(alliance_id)])[0]


@router.put("/{alliance_id}/budgets/{year}", response_model=schemas.BudgetOut)
def put_budget(alliance_id: Id, year: Annotated[int, Path(ge=2000, le=2100)], body: schemas.BudgetIn, ctx: Ctx,
               caller: Caller) -> schemas.BudgetOut:
    """Set the Regionalbudget of one calendar year (admins, or the alliance's managing member)."""
    return schemas.BudgetOut.model_validate(ctx.admin.set_budget(caller, alliance_id, year, to_cents(body.amount)))


@router.put("/{alliance_id}/webhook", response_model=WebhookOut)
def put_webhook(alliance_id: Id, body: WebhookIn, ctx: Ctx, caller: Caller) -> WebhookOut:
    """Where the alliance's systems hear of its reminders and escalations (admins, or its managing member).

    Each call makes a new signing secret, returned only in this answer.
    """
    row, secret = ctx.admin.set_webhook(caller, alliance_id, body.url)
    return WebhookOut(alliance_id=alliance_id, url=row.webhook_url, secret=secret)


@router.put("/{alliance_id}/action-concept", response_model=schemas.AllianceOut)
def put_action_concept(alliance_id: Id, body: ActionConceptIn, ctx: Ctx, caller: Caller,
                       now: Now) -> schemas.AllianceOut:
    """Record the adoption of an updated action concept: its two years (and their reminders) start again."""
    ctx.admin.renew_action_concept(caller, alliance_id, body.adopted_on, now=now)
    return _out(ctx, [ctx.admin.alliance(alliance_id)])[0]


def _out(ctx: Context, rows: list[tuple[models.Alliance, list[models.Budget]]]) -> list[schemas.AllianceOut]:
    """Alliances with their budgets and the name of their funding bank."""
    banks = ctx.admin.organisation_names([a.funding_bank_id for a, _ in rows])
    return [schemas.AllianceOut.of(a, budgets, banks.get(a.funding_bank_id or 0)) for a, budgets in rows]
