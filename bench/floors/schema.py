"""The floors' own tiny schema (proposals and their audit rows) in a SQLite file of its own.

Its tables are declared in a registry of their own, apart from SQLModel's default metadata, so that the
project's `proposals` table and this one can be imported into the same process.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, create_engine

PROPOSALS = 1_000
STATES = ("draft", "submitted")
OTHER_STATE = {STATES[0]: STATES[1], STATES[1]: STATES[0]}

DDL = """
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_proposal_seq ON audit (proposal_id, seq);
"""


class FloorModel(SQLModel, registry=registry()):
    pass


class Proposal(FloorModel, table=True):
    __tablename__ = "proposals"

    id: int = Field(primary_key=True)
    state: str
    version: int
    title: str


class Audit(FloorModel, table=True):
    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id")
    seq: int
    at: datetime
    from_state: str
    to_state: str
    actor: str
    reason: str


def create_database(path: Path, *, proposals: int = PROPOSALS) -> Path:
    """A fresh file with `proposals` proposals in the first state, WAL journal (it stays with the file)."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(DDL)
        connection.executemany("INSERT INTO proposals (id, state, version, title) VALUES (?, ?, 0, ?)",
                               ((i, STATES[0], f"Proposal {i}") for i in range(1, proposals + 1)))
    connection.close()
    return path


def connect(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection that leaves transactions to the caller (BEGIN IMMEDIATE ... COMMIT)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def sqlmodel_engine(path: Path) -> Engine:
    """An engine as a plain SQLModel application would make one, with the same durability as `connect`."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _durability(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine
