"""Second-reading conditions (Auflagen): the applicant answers each one, the steering group judges each one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from api.deps import Caller, Ctx, Now, RequestId
from api.review_schemas import ANSWER_EXAMPLE, JUDGEMENT_EXAMPLE, ConditionOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.conditions import AnswerInput, JudgementInput

router = APIRouter(prefix="/proposals/{proposal_id}/conditions", tags=["conditions"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[ConditionOut])
def list_conditions(proposal_id: Id, ctx: Ctx, caller: Caller) -> list[ConditionOut]:
    """Every condition of every second reading, oldest first; `current` marks those of the latest one."""
    return [ConditionOut.model_validate(c) for c in ctx.conditions.conditions(caller, proposal_id)]


@router.post("/{condition_id}/answer", response_model=ConditionOut)
def answer_condition(
    proposal_id: Id, condition_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[AnswerInput, Body(openapi_examples={"answer": {"summary": "an answer with evidence",
                                                                   "value": ANSWER_EXAMPLE}})],
) -> ConditionOut:
    """Answer a condition while the proposal is being revised (the applicant); a new answer replaces the last."""
    condition = ctx.conditions.answer(caller, proposal_id, condition_id, body, now=now, request_id=rid)
    return ConditionOut.model_validate(condition)


@router.post("/{condition_id}/judgement", response_model=ConditionOut)
def judge_condition(
    proposal_id: Id, condition_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[JudgementInput, Body(openapi_examples={"met": {"summary": "met, decided in a session",
                                                                   "value": JUDGEMENT_EXAMPLE}})],
) -> ConditionOut:
    """Mark a condition met or not in the second reading (admins, or the alliance's managing member)."""
    condition = ctx.conditions.judge(caller, proposal_id, condition_id, body, now=now, request_id=rid)
    return ConditionOut.model_validate(condition)
