"""The bank hand-off of a proposal: the record of forwarding and decision, and requests to start early."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from api.deps import Caller, Ctx, Now
from api.review_schemas import EARLY_ANSWER_EXAMPLE, EARLY_START_EXAMPLE, BankRecordOut, EarlyStartOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.bank import EarlyStartAnswer, EarlyStartInput

router = APIRouter(prefix="/proposals/{proposal_id}", tags=["bank"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/bank-record", response_model=BankRecordOut)
def bank_record(proposal_id: Id, ctx: Ctx, caller: Caller) -> BankRecordOut:
    """When the proposal was forwarded and with which documents, the bank's reference, decision and date, the
    approved amount per year beside the requested one, and the requests to start early."""
    return BankRecordOut.model_validate(ctx.bank.record(caller, proposal_id))


@router.post("/early-start", status_code=201, response_model=EarlyStartOut)
def request_early_start(
    proposal_id: Id, ctx: Ctx, caller: Caller, now: Now,
    body: Annotated[EarlyStartInput, Body(openapi_examples={"request": {"summary": "a request",
                                                                        "value": EARLY_START_EXAMPLE}})],
) -> EarlyStartOut:
    """Ask to start before the grant decision (vorzeitiger Maßnahmebeginn; the applicant)."""
    return EarlyStartOut.model_validate(ctx.bank.request_early_start(caller, proposal_id, body, now=now))


@router.post("/early-start/{request_id}/answer", response_model=EarlyStartOut)
def answer_early_start(
    proposal_id: Id, request_id: Id, ctx: Ctx, caller: Caller, now: Now,
    body: Annotated[EarlyStartAnswer, Body(openapi_examples={"granted": {"summary": "granted",
                                                                         "value": EARLY_ANSWER_EXAMPLE}})],
) -> EarlyStartOut:
    """Record the bank's answer (the bank officer, or the alliance's managing member on the bank's letter)."""
    return EarlyStartOut.model_validate(ctx.bank.answer_early_start(caller, proposal_id, request_id, body, now=now))
