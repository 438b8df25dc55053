"""The scoring matrix (Bewertungsmatrix): a round's scheme, and the voting members' scores of a proposal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from api.deps import Caller, Ctx, Now, RequestId
from api.review_schemas import SCHEME_EXAMPLE, SCORE_EXAMPLE, SchemeOut, ScoringOut
from workflow.procedure.inputs import MAX_ID
from workflow.review.scheme import ScoringScheme
from workflow.review.scoring import ScoreInput

router = APIRouter(tags=["scoring"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/rounds/{round_id}/scoring-scheme", response_model=SchemeOut)
def get_scheme(round_id: Id, ctx: Ctx, caller: Caller) -> SchemeOut:
    """The scheme the round's proposals are scored by: the procedure's, or the one the manager set."""
    return SchemeOut.model_validate(ctx.scoring.scheme(caller, round_id))


@router.put("/rounds/{round_id}/scoring-scheme", response_model=SchemeOut)
def put_scheme(
    round_id: Id, ctx: Ctx, caller: Caller, now: Now,
    body: Annotated[ScoringScheme, Body(openapi_examples={"scheme": {"summary": "a scheme",
                                                                     "value": SCHEME_EXAMPLE}})],
) -> SchemeOut:
    """Set the round's scheme (admins, or the alliance's managing member) until the first score is given.

    A procedure that fixes its scheme (Lower Saxony's bank criteria) refuses this with 409.
    """
    return SchemeOut.model_validate(ctx.scoring.set_scheme(caller, round_id, body, now=now))


@router.get("/proposals/{proposal_id}/scores", response_model=ScoringOut)
def get_scores(proposal_id: Id, ctx: Ctx, caller: Caller) -> ScoringOut:
    """Who scored, who has a conflict of interest, the quorum and the weighted result.

    With a blind scheme a member sees the others' scores (and the result) only after giving their own.
    """
    return ScoringOut.of(ctx.scoring.scores(caller, proposal_id))


@router.put("/proposals/{proposal_id}/scores/me", response_model=ScoringOut)
def put_my_scores(
    proposal_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[ScoreInput, Body(openapi_examples={"sheet": {"summary": "a score sheet",
                                                                 "value": SCORE_EXAMPLE}})],
) -> ScoringOut:
    """Give (or revise) your scores: every criterion, every k.o. criterion. A conflict of interest answers 403."""
    return ScoringOut.of(ctx.scoring.score(caller, proposal_id, body, now=now, request_id=rid))
