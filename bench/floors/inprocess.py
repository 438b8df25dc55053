"""In-process floors: one step = move a proposal to its other state, count its version up, write an audit row,
commit. The steps walk the proposals in turn, so every round over all of them flips every state once."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench._common import Rate
from bench.floors.schema import (
    OTHER_STATE,
    PROPOSALS,
    STATES,
    Audit,
    Proposal,
    connect,
    create_database,
    sqlmodel_engine,
)

WARM_UP_STEPS = 200
ACTOR = "bench"
REASON = "floor"

UPDATE = "UPDATE proposals SET state = ?, version = version + 1 WHERE id = ?"
INSERT_AUDIT = ("INSERT INTO audit (proposal_id, seq, at, from_state, to_state, actor, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)")


def sqlite3_step(folder: Path, *, steps: int) -> Rate:
    """The sqlite3 module alone (WAL, synchronous=NORMAL): BEGIN IMMEDIATE; UPDATE; INSERT audit; COMMIT."""
    path = create_database(folder / "floor-sqlite3.db")
    connection = connect(path)
    try:
        _sqlite3_steps(connection, 0, WARM_UP_STEPS)
        started = time.perf_counter()
        _sqlite3_steps(connection, WARM_UP_STEPS, steps)
        return Rate.of(steps, time.perf_counter() - started)
    finally:
        connection.close()


def sqlmodel_step(folder: Path, *, steps: int) -> Rate:
    """A plain SQLModel Session per step (expire_on_commit=False): get the row, modify it, add an audit row,
    commit."""
    path = create_database(folder / "floor-sqlmodel.db")
    engine = sqlmodel_engine(path)
    try:
        _sqlmodel_steps(engine, 0, WARM_UP_STEPS)
        started = time.perf_counter()
        _sqlmodel_steps(engine, WARM_UP_STEPS, steps)
        return Rate.of(steps, time.perf_counter() - started)
    finally:
        engine.dispose()


def _sqlite3_steps(connection: sqlite3.Connection, first: int, steps: int) -> None:
    execute = connection.execute
    for step in range(first, first + steps):
        proposal_id, from_state, to_state, version = _nth_step(step)
        execute("BEGIN IMMEDIATE")
        execute(UPDATE, (to_state, proposal_id))
        execute(INSERT_AUDIT, (proposal_id, version, datetime.now(UTC).isoformat(), from_state, to_state, ACTOR,
                               REASON))
        execute("COMMIT")


def _sqlmodel_steps(engine: Engine, first: int, steps: int) -> None:
    for step in range(first, first + steps):
        proposal_id = step % PROPOSALS + 1
        with Session(engine, expire_on_commit=False) as session:
            proposal = session.get(Proposal, proposal_id)
            assert proposal is not None
            from_state = proposal.state
            proposal.state = OTHER_STATE[from_state]
            proposal.version += 1
            session.add(Audit(proposal_id=proposal_id, seq=proposal.version, at=datetime.now(UTC),
                              from_state=from_state, to_state=proposal.state, actor=ACTOR, reason=REASON))
            session.commit()


def _nth_step(step: int) -> tuple[int, str, str, int]:
    # Without reading the row: step n touches proposal n mod N for the (n div N)+1-th time.
    proposal_id = step % PROPOSALS + 1
    visit = step // PROPOSALS
    return proposal_id, STATES[visit % 2], STATES[(visit + 1) % 2], visit + 1
