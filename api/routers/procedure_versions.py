"""Procedure versions, the diff between two, and migrations of running proposals (admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api import versioning_schemas as schemas
from api.deps import Caller, Ctx, Now
from workflow.errors import NotFound
from workflow.procedure.inputs import MAX_ID
from workflow.versioning.catalog import version_rows
from workflow.versioning.diff import diff
from workflow.versioning.migrations import MigrationStatus
from workflow.versioning.readable import readable

router = APIRouter(prefix="/procedures", tags=["procedures"])
MigrationId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{key}/versions", response_model=list[schemas.VersionOut])
def list_versions(key: str, ctx: Ctx, _: Caller) -> list[schemas.VersionOut]:
    """Every version of a procedure: when it was published here, its rounds and its running proposals."""
    return [schemas.VersionOut.model_validate(row) for row in version_rows(ctx.db, ctx.procedures, key)]


@router.get("/{key}/diff", response_model=schemas.DiffOut)
def get_diff(key: str, ctx: Ctx, caller: Caller, from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
             to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
             lang: Annotated[str | None, Query(pattern="^(de|en)$")] = None) -> schemas.DiffOut:
    """What changed from one version to another: states, transitions and deadlines added, removed, renamed
    (by `renamed_from`) or changed, field by field; `text` says the same in sentences."""
    change = diff(ctx.procedures, key, from_version, to_version)
    return schemas.DiffOut(**asdict(change), text=readable(change, lang or caller.language))


@router.post("/{key}/migrations", status_code=202,
             responses={200: {"model": schemas.DryRunOut, "description": "dry run: what would happen"},
                        202: {"model": schemas.MigrationOut, "description": "started (or resumed); the scheduler "
                                                                          "moves the proposals"}})
def post_migration(key: str, body: schemas.MigrationIn, ctx: Ctx, caller: Caller, now: Now,
                   response: Response) -> schemas.DryRunOut | schemas.MigrationOut:
    """Check a migration plan and list what would happen to each running proposal (`dry_run`, the default), or
    start it: the scheduler then moves the proposals in batches, each in one transaction. Posting the same plan
    again resumes it; a plan is refused (422, every fault listed) when a state with running proposals has nowhere
    to go or a state it names does not exist."""
    plan = ctx.migrations.check(caller, body.plan, procedure_key=key)
    if body.dry_run:
        response.status_code = 200
        states = ctx.migrations.summary(plan)
        moves: list[schemas.ProposalMoveOut] = []
        for move in ctx.migrations.preview(plan, now):
            if len(moves) >= body.limit:
                break
            moves.append(schemas.ProposalMoveOut.model_validate(move))
        return schemas.DryRunOut(plan=plan.data, states=[schemas.StateMoveOut.model_validate(s) for s in states],
                                 proposals_total=sum(s.proposals for s in states), proposals=moves)
    status = ctx.migrations.start(caller, plan, now)
    response.headers["Location"] = f"/procedures/{key}/migrations/{status.id}"
    return _out(status)


@router.get("/{key}/migrations", response_model=list[schemas.MigrationOut])
def list_migrations(key: str, ctx: Ctx, caller: Caller, now: Now) -> list[schemas.MigrationOut]:
    """The migrations of a procedure, newest first (admin)."""
    return [_out(s) for s in ctx.migrations.of(caller, key, now)]


@router.get("/{key}/migrations/{migration_id}", response_model=schemas.MigrationOut)
def get_migration(key: str, migration_id: MigrationId, ctx: Ctx, caller: Caller, now: Now) -> schemas.MigrationOut:
    """How far a migration has come (admin)."""
    status = ctx.migrations.status(migration_id, now, caller)
    if status.procedure_key != key:
        raise NotFound(f"no migration {migration_id} of procedure '{key}'")
    return _out(status)


def _out(status: MigrationStatus) -> schemas.MigrationOut:
    total = status.moved + status.remaining
    return schemas.MigrationOut(**asdict(status), progress=round(status.moved / total, 4) if total else 1.0)
