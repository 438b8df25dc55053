"""The SQL of the stage the proposals play on: organisations, alliances and their yearly budgets, rounds.

ORM objects, like the use cases in workflow/alliances/admin.py hand them to the API. Deadlines of alliances and
rounds are written through workflow/proposals/store.py, which all deadline rows go through.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from workflow.persistence import models
from workflow.persistence.db import Reader
from workflow.proposals.store import ALLIANCES, BUDGETS, ORGANISATIONS, ROUNDS

T = TypeVar("T", bound=SQLModel)


def add(session: Session, row: T) -> T:
    """Insert or update the object now (flushed: a new one has its id)."""
    session.add(row)
    session.flush()
    return row


def organisation(session: Session, organisation_id: int) -> models.Organisation | None:
    return session.get(models.Organisation, organisation_id)


def organisation_named(session: Session, name: str) -> models.Organisation | None:
    return session.execute(sa.select(models.Organisation).where(ORGANISATIONS.c.name == name)).scalars().first()


def organisation_names(session: Reader, organisation_ids: list[int]) -> dict[int, str]:
    """The names of those of these organisations that exist, by id."""
    return {int(i): str(name) for i, name in session.execute(
        sa.select(ORGANISATIONS.c.id, ORGANISATIONS.c.name).where(ORGANISATIONS.c.id.in_(organisation_ids))
        .order_by(ORGANISATIONS.c.id))}


def alliance(session: Session, alliance_id: int) -> models.Alliance | None:
    return session.get(models.Alliance, alliance_id)


def alliance_named(session: Session, name: str) -> models.Alliance | None:
    return session.execute(sa.select(models.Alliance).where(ALLIANCES.c.name == name)).scalars().first()


def alliances(session: Session) -> list[models.Alliance]:
    return list(session.execute(sa.select(models.Alliance).order_by(ALLIANCES.c.id)).scalars())


def budget(session: Session, alliance_id: int, year: int) -> models.Budget | None:
    return session.execute(
        sa.select(models.Budget).where(BUDGETS.c.alliance_id == alliance_id, BUDGETS.c.year == year)
    ).scalars().first()


def budgets_of(session: Session, alliance_id: int) -> list[models.Budget]:
    return list(session.execute(
        sa.select(models.Budget).where(BUDGETS.c.alliance_id == alliance_id).order_by(BUDGETS.c.year)).scalars())


def round_(session: Session, round_id: int) -> models.Round | None:
    return session.get(models.Round, round_id)


def rounds(session: Session, alliance_id: int | None) -> list[models.Round]:
    query = sa.select(models.Round).order_by(ROUNDS.c.id)
    if alliance_id is not None:
        query = query.where(ROUNDS.c.alliance_id == alliance_id)
    return list(session.execute(query).scalars())
