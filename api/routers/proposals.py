"""Proposals: create, read, edit while editable, fire transitions, read the history.

The handlers are plain `def`, run on the thread pool like every other route: the services wait for the database
(and SQLite's single writer), which must never stall the event loop and with it every other request.

A write opens one transaction (`ctx.db.write()`, or `answer_once` with an Idempotency-Key, which keeps the answer
in it), takes the step or creates the draft in it, and reads the answer in it: what the caller gets is what was
committed, and a replay gets the same.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query
from fastapi.responses import Response
from pydantic.json_schema import SkipJsonSchema
from sqlmodel import Session

from api import schemas
from api.deps import Caller, Ctx, Now, RequestId
from api.errors import PRECONDITION_RESPONSES
from api.etag import etag, expected_version
from api.idempotency import Once, StoredAnswer, answer_once
from workflow.errors import FieldProblem, InvalidInput
from workflow.procedure.inputs import MAX_ID, DraftContent, NewDraft
from workflow.proposals.queries import MAX_PAGE
from workflow.proposals.views import ProposalView

router = APIRouter(prefix="/proposals", tags=["proposals"], responses=PRECONDITION_RESPONSES)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# A header is there or not (its schema has no null). What the code takes
# (api.etag.expected_version, api.idempotency.check_key), the pattern says; the code checks it
# itself, to answer a missing If-Match 428.
IfMatch = Annotated[str | SkipJsonSchema[None], Header(
    description='the version you read, from the ETag: If-Match: "3"',
    json_schema_extra={"pattern": '^(?:W/)?"?[0-9]{1,12}"?$'})]
IdempotencyKey = Annotated[str | SkipJsonSchema[None], Header(
    description="retry-safe key: a replay returns the first answer",
    json_schema_extra={"pattern": "^[!-~](?:[ -~]{0,198}[!-~])?$"})]
# A cursor is "after:<id>" in unpadded base64url: "YWZ0ZXI6", then every three digits of the id as four characters
# (one or two digits left over as two or three). The pattern admits exactly those with 1 to 16 digits.
_DIGITS3, _DIGITS2, _DIGIT1 = ("(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]", "(?:[MN][DTjz]|O[DT])[AEIMQUYcgk]",
                               "(?:[MN][AQgw]|O[AQ])")
CURSOR_PATTERN = (f"^YWZ0ZXI6(?:(?:{_DIGITS3}){{1,5}}|(?:{_DIGITS3}){{0,5}}{_DIGIT1}"
                  f"|(?:{_DIGITS3}){{0,4}}{_DIGITS2})$")

DRAFT_EXAMPLE = {
    "round_id": 1,
    "title": "MINT-Netzwerk Leipzig: Vernetzung schulischer und außerschulischer MINT-Angebote",
    "summary": "Konkrete Maßnahmen zur Vorbereitung einer institutionellen Verstetigung.",
    "target_group": "Schulen, außerschulische Lernorte",
    "partners": ["HTWK Leipzig", "Inspirata e.V."],
    "funding_plan": [{"year": 2026, "staff_fte": "0.5", "staff_costs": "18000.00", "material_costs": "4000.00",
                      "grant_requested": "19800.00", "own_share": "2200.00",
                      "own_share_source": "Kofinanzierung Stadt Leipzig"}],
}
PATCH_EXAMPLE = {"partners": ["Förderverein BSZ 7 Leipzig e.V.", "HTWK Leipzig", "Inspirata e.V."]}


def _answer(body: schemas.ProposalOut, version: int, status: int = 200) -> Response:
    # pydantic writes the JSON itself, in one pass: a dict first and then json.dumps costs twice that.
    return Response(body.model_dump_json(), status_code=status, media_type="application/json",
                    headers={"ETag": etag(version)})


def _kept(view: ProposalView, language: str, status: int) -> StoredAnswer:
    """The answer as an idempotent request keeps it for replays."""
    return StoredAnswer(status=status, body=schemas.ProposalOut.of(view, language).model_dump(mode="json"),
                        etag=etag(view.version))


@router.post("", status_code=201, response_model=schemas.ProposalOut)
def create_proposal(
    ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[NewDraft, Body(openapi_examples={"draft": {"summary": "a draft", "value": DRAFT_EXAMPLE}})],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a proposal as a draft in a round (applicants). Answers 201 with the proposal and its ETag."""
    draft = ctx.proposals.check_draft(caller, body, now=now)
    if idempotency_key is not None:
        once = Once(key=idempotency_key, scope="POST /proposals",
                    fingerprint=Once.fingerprint_of(body.model_dump(mode="json")))
        return answer_once(ctx.db, caller, once, now, lambda session: _kept(
            ctx.proposals.create(session, caller, draft, now=now, request_id=rid), caller.language, 201)).response()
    with ctx.db.write() as session:
        view = ctx.proposals.create(session, caller, draft, now=now, request_id=rid)
    return _answer(schemas.ProposalOut.of(view, caller.language), view.version, 201)


@router.get("", response_model=schemas.ProposalPage)
def list_proposals(
    ctx: Ctx, caller: Caller,
    state: Annotated[str | None, Query(max_length=60, pattern="^[a-z][a-z0-9_]*$")] = None,
    round: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    alliance: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=40, pattern=CURSOR_PATTERN,
                                        description="next_cursor of the previous page")] = None,
) -> schemas.ProposalPage:
    """The proposals the caller may see, oldest first, a page at a time."""
    items, more = ctx.proposals.visible(caller, state=state, round_id=round, alliance_id=alliance,
                                        after_id=_decode(cursor), limit=limit)
    return schemas.ProposalPage(items=[schemas.ProposalSummaryOut.of(i, caller.language) for i in items],
                                next_cursor=_encode(items[-1].id) if more else None)


@router.get("/{proposal_id}", response_model=schemas.ProposalOut)
def get_proposal(proposal_id: Id, ctx: Ctx, caller: Caller, now: Now) -> Response:
    """Where the proposal stands, what the caller may do next (and what blocks it now), open deadlines."""
    view = ctx.proposals.get(caller, proposal_id, now=now)
    return _answer(schemas.ProposalOut.of(view, caller.language), view.version)


@router.patch("/{proposal_id}", response_model=schemas.ProposalOut)
def patch_proposal(
    proposal_id: Id, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    body: Annotated[DraftContent, Body(openapi_examples={"partners": {"summary": "new partners",
                                                                      "value": PATCH_EXAMPLE}})],
    if_match: IfMatch = None,
) -> Response:
    """Change the content while the proposal may be edited (draft, revision requested). Needs If-Match."""
    version = expected_version(if_match)
    view = ctx.proposals.edit_draft(caller, proposal_id, body, expected_version=version, now=now, request_id=rid)
    return _answer(schemas.ProposalOut.of(view, caller.language), view.version)


@router.post("/{proposal_id}/transitions", response_model=schemas.ProposalOut)
def fire_transition(
    proposal_id: Id, body: schemas.TransitionRequest, ctx: Ctx, caller: Caller, now: Now, rid: RequestId,
    if_match: IfMatch = None, idempotency_key: IdempotencyKey = None,
) -> Response:
    """Fire a transition with its reason and inputs. Needs If-Match; answers with the new representation."""
    version = expected_version(if_match)

    def step(session: Session) -> ProposalView:
        ctx.proposals.step(session, caller, proposal_id, body.transition, expected_version=version, now=now,
                           reason=body.reason, inputs=body.inputs, request_id=rid, meeting_id=body.session_id)
        return ctx.proposals.show(session, caller, proposal_id, now=now)

    if idempotency_key is not None:
        once = Once(key=idempotency_key, scope=f"POST /proposals/{proposal_id}/transitions",
                    fingerprint=Once.fingerprint_of({"version": version, **body.model_dump(mode="json")}))
        return answer_once(ctx.db, caller, once, now,
                           lambda session: _kept(step(session), caller.language, 200)).response()
    with ctx.db.write() as session:
        view = step(session)
    return _answer(schemas.ProposalOut.of(view, caller.language), view.version)


@router.get("/{proposal_id}/history", response_model=list[schemas.HistoryEventOut])
def get_history(proposal_id: Id, ctx: Ctx, caller: Caller) -> list[schemas.HistoryEventOut]:
    """Every event of the proposal, oldest first: who, when, from, to, why, with which inputs."""
    return [schemas.HistoryEventOut.model_validate(e) for e in ctx.proposals.history(caller, proposal_id)]


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "after" or not (number.isascii() and number.isdigit()) or len(number) > 16:
            raise ValueError(text)
        return min(int(number), MAX_ID)  # after the largest id an id column holds: an empty page
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput([FieldProblem("cursor", "not a cursor from a previous page")]) from None
