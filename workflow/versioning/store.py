"""The SQL of procedure versions and migrations (Core statements, like the transition path)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from workflow.persistence import models
from workflow.persistence.db import Reader
from workflow.proposals.store import DEADLINES, PROPOSALS, ROUNDS, record_columns
from workflow.versioning.records import MigrationRecord

MIGRATIONS = cast(sa.Table, models.ProcedureMigration.__table__)  # type: ignore[attr-defined]
VERSIONS = cast(sa.Table, models.ProcedureVersion.__table__)  # type: ignore[attr-defined]
_MIGRATION_COLUMNS = record_columns(MIGRATIONS, MigrationRecord)


@dataclass(frozen=True)
class PublishedVersion:
    """A procedure version as first published here (workflow/versioning/published.py)."""

    key: str
    version: int
    fingerprint: str
    title: str
    source: str
    published_at: datetime


def _published(session: Reader, where: sa.ColumnElement[bool]) -> list[PublishedVersion]:
    return [PublishedVersion(key=r.key, version=r.version, fingerprint=r.fingerprint, title=r.title, source=r.source,
                             published_at=r.published_at)
            for r in session.execute(sa.select(VERSIONS).where(where))]


def published(session: Reader, key: str) -> dict[int, PublishedVersion]:
    """The published versions of one procedure, by version."""
    return {p.version: p for p in _published(session, VERSIONS.c.key == key)}


def all_published(session: Reader) -> dict[tuple[str, int], PublishedVersion]:
    """Every published version of every procedure, by (key, version)."""
    return {(p.key, p.version): p for p in _published(session, sa.true())}


def versions_in_use(session: Reader) -> list[tuple[str, int]]:
    """The (key, version) pairs that rounds, proposals or open deadlines of this installation run on."""
    return [(key, version) for key, version in session.execute(sa.union(
        sa.select(ROUNDS.c.procedure_key, ROUNDS.c.procedure_version),
        sa.select(PROPOSALS.c.procedure_key, PROPOSALS.c.procedure_version),
        sa.select(DEADLINES.c.procedure_key, DEADLINES.c.procedure_version).where(
            DEADLINES.c.status == "open", DEADLINES.c.procedure_key.is_not(None))))]


def insert_published(session: Session, version: PublishedVersion) -> None:
    session.execute(sa.insert(VERSIONS).values(
        key=version.key, version=version.version, fingerprint=version.fingerprint, title=version.title,
        source=version.source, published_at=version.published_at))


def running_by_state(session: Reader, key: str, version: int) -> dict[str, int]:
    """How many proposals are in each state of a procedure version (terminal states included; callers filter)."""
    return {state: count for state, count in session.execute(
        sa.select(PROPOSALS.c.state, sa.func.count()).where(
            PROPOSALS.c.procedure_key == key, PROPOSALS.c.procedure_version == version)
        .group_by(PROPOSALS.c.state))}


def usage(session: Reader, key: str) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
    """Per version of a procedure: its rounds, and its proposals by state."""
    rounds = {v: n for v, n in session.execute(
        sa.select(ROUNDS.c.procedure_version, sa.func.count()).where(ROUNDS.c.procedure_key == key)
        .group_by(ROUNDS.c.procedure_version))}
    proposals = {(v, s): n for v, s, n in session.execute(
        sa.select(PROPOSALS.c.procedure_version, PROPOSALS.c.state, sa.func.count())
        .where(PROPOSALS.c.procedure_key == key).group_by(PROPOSALS.c.procedure_version, PROPOSALS.c.state))}
    return rounds, proposals


_CANDIDATES = (
    sa.select(PROPOSALS.c.id)
    .where(PROPOSALS.c.procedure_key == sa.bindparam("key"), PROPOSALS.c.procedure_version == sa.bindparam("version"),
           PROPOSALS.c.state.in_(sa.bindparam("states", expanding=True)), PROPOSALS.c.id > sa.bindparam("after"))
    .order_by(PROPOSALS.c.id).limit(sa.bindparam("limit"))
)


def candidates(session: Reader, key: str, version: int, states: Collection[str], *, after: int,
               limit: int) -> list[int]:
    """The next ids (in id order) of proposals still on `version` in one of `states`."""
    if not states:
        return []
    return list(session.execute(_CANDIDATES, {"key": key, "version": version, "states": list(states),
                                              "after": after, "limit": limit}).scalars())


def remaining(session: Reader, key: str, version: int, states: Collection[str]) -> int:
    if not states:
        return 0
    return int(session.execute(sa.select(sa.func.count()).where(
        PROPOSALS.c.procedure_key == key, PROPOSALS.c.procedure_version == version,
        PROPOSALS.c.state.in_(list(states)))).scalar_one())


_MIGRATE_PROPOSAL = (
    sa.update(PROPOSALS)
    .where(PROPOSALS.c.id == sa.bindparam("proposal"), PROPOSALS.c.version == sa.bindparam("expected"),
           PROPOSALS.c.procedure_version == sa.bindparam("from_version"))
    .values(version=PROPOSALS.c.version + 1, state=sa.bindparam("to_state"),
            procedure_version=sa.bindparam("to_version"), updated_at=sa.bindparam("now"),
            binds_budget=sa.bindparam("binding"),
            reached_alliance_at=sa.func.coalesce(PROPOSALS.c.reached_alliance_at,
                                                 sa.bindparam("reaches_alliance", type_=models.UTCDateTime)),
            reached_bank_at=sa.func.coalesce(PROPOSALS.c.reached_bank_at,
                                             sa.bindparam("reaches_bank", type_=models.UTCDateTime)))
)


def migrate_proposal(session: Session, proposal_id: int, *, expected_version: int, from_version: int,
                     to_version: int, state: str, binds_budget: bool, reaches_alliance: datetime | None,
                     reaches_bank: datetime | None, now: datetime) -> bool:
    """False if someone wrote the proposal since `expected_version`, or it left `from_version` already."""
    result = session.execute(_MIGRATE_PROPOSAL, {
        "proposal": proposal_id, "expected": expected_version, "from_version": from_version,
        "to_version": to_version, "to_state": state, "binding": binds_budget, "now": now,
        "reaches_alliance": reaches_alliance, "reaches_bank": reaches_bank})
    return cast(sa.CursorResult[Any], result).rowcount == 1


_KEEP_DEADLINE = (
    sa.update(DEADLINES)
    .where(DEADLINES.c.id == sa.bindparam("row"), DEADLINES.c.status == "open")
    .values(procedure_version=sa.bindparam("to_version"), stage=sa.bindparam("new_stage"),
            next_fire_at=sa.bindparam("fire_at", type_=models.UTCDateTime),
            state=sa.func.coalesce(sa.bindparam("renamed", type_=sa.String), DEADLINES.c.state))
)


def repoint_deadlines(session: Session, rows: Sequence[tuple[int, int, datetime | None, str | None]],
                      to_version: int) -> None:
    """Open deadlines that stay (id, stage, next firing, the new name of the state that opened it, if renamed):
    they follow the newer version's definition from now on."""
    if rows:
        session.execute(_KEEP_DEADLINE, [{"row": row, "new_stage": stage, "fire_at": fire_at, "to_version": to_version,
                                          "renamed": renamed} for row, stage, fire_at, renamed in rows])


def migration(session: Reader, migration_id: int) -> MigrationRecord | None:
    row = session.execute(sa.select(*_MIGRATION_COLUMNS).where(MIGRATIONS.c.id == migration_id)).first()
    return None if row is None else MigrationRecord(*row)


def migration_by_plan(session: Reader, key: str, plan_id: str) -> MigrationRecord | None:
    row = session.execute(sa.select(*_MIGRATION_COLUMNS).where(
        MIGRATIONS.c.procedure_key == key, MIGRATIONS.c.plan_id == plan_id)).first()
    return None if row is None else MigrationRecord(*row)


def migrations_of(session: Reader, key: str) -> list[MigrationRecord]:
    return [MigrationRecord(*row) for row in session.execute(
        sa.select(*_MIGRATION_COLUMNS).where(MIGRATIONS.c.procedure_key == key).order_by(MIGRATIONS.c.id.desc()))]


def insert_migration(session: Session, values: dict[str, Any]) -> int:
    return int(session.execute(sa.insert(MIGRATIONS).values(**values).returning(MIGRATIONS.c.id)).scalar_one())


def update_migration(session: Session, migration_id: int, **values: Any) -> None:
    session.execute(sa.update(MIGRATIONS).where(MIGRATIONS.c.id == migration_id).values(**values))


def count_moved(session: Session, migration_id: int) -> None:
    session.execute(sa.update(MIGRATIONS).where(MIGRATIONS.c.id == migration_id)
                    .values(moved=MIGRATIONS.c.moved + 1))


def claim(session: Session, migration_id: int, token: str, *, now: datetime, until: datetime) -> bool:
    """Take (or renew) the run of a migration: free, ours already, or left behind by a run whose lease ran out."""
    result = session.execute(sa.update(MIGRATIONS).where(
        MIGRATIONS.c.id == migration_id, MIGRATIONS.c.status == "running",
        sa.or_(MIGRATIONS.c.claim.is_(None), MIGRATIONS.c.claim == token, MIGRATIONS.c.lease_until < now),
    ).values(claim=token, lease_until=until))
    return cast(sa.CursorResult[Any], result).rowcount == 1


def release(session: Session, migration_id: int, token: str) -> None:
    session.execute(sa.update(MIGRATIONS).where(MIGRATIONS.c.id == migration_id, MIGRATIONS.c.claim == token)
                    .values(claim=None, lease_until=None))


def unclaimed_running(session: Reader, now: datetime) -> list[int]:
    return list(session.execute(sa.select(MIGRATIONS.c.id).where(
        MIGRATIONS.c.status == "running",
        sa.or_(MIGRATIONS.c.claim.is_(None), MIGRATIONS.c.lease_until < now)).order_by(MIGRATIONS.c.id)).scalars())
