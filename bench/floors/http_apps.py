"""HTTP floors: three FastAPI apps doing one step per `POST /proposals/{id}/step`, the plainest ways.

uvicorn builds them with `--factory` from the names below; each reads its database from FLOOR_DATABASE_ENV.
Each step flips the proposal to its other state, so a load can run for as long as it likes.

- `raw_sqlite`: one sqlite3 connection, BEGIN IMMEDIATE; UPDATE; INSERT audit; COMMIT in an async handler.
- `sqlmodel`: a SQLModel Session per request (expire_on_commit=False): get, modify, add audit, commit.
- `sqlmodel_machine`: the same with a `transitions.Machine` built per request around the row, the anti-pattern
  the performance notes measured.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from transitions import Machine

from bench.floors.schema import OTHER_STATE, STATES, Audit, Proposal, connect, sqlmodel_engine

FLOOR_DATABASE_ENV = "FOERDERWEG_FLOOR_DATABASE"

FLIP = ("UPDATE proposals SET state = CASE state WHEN ? THEN ? ELSE ? END, version = version + 1 WHERE id = ? "
        "RETURNING state, version")
INSERT_AUDIT = ("INSERT INTO audit (proposal_id, seq, at, from_state, to_state, actor, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)")


class StepRequest(BaseModel):
    actor: str
    reason: str = ""


def raw_sqlite() -> FastAPI:
    path = _database()
    connection = connect(path)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        connection.close()

    app = _app_with_health(lifespan)

    @app.post("/proposals/{proposal_id}/step")
    async def step(proposal_id: int, request: StepRequest) -> dict[str, Any]:
        # An async handler runs on the event loop: the writes are serialised without a lock.
        connection.execute("BEGIN IMMEDIATE")
        try:
            flipped = connection.execute(FLIP, (STATES[0], STATES[1], STATES[0], proposal_id)).fetchone()
            if flipped is None:
                raise HTTPException(404, "no such proposal")
            to_state, version = flipped
            connection.execute(INSERT_AUDIT, (proposal_id, version, datetime.now(UTC).isoformat(),
                                              OTHER_STATE[to_state], to_state, request.actor, request.reason))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return {"id": proposal_id, "state": to_state, "version": version}

    return app


def sqlmodel() -> FastAPI:
    return _sqlmodel_app(_flip)


def sqlmodel_machine() -> FastAPI:
    return _sqlmodel_app(_flip_with_a_machine_per_request)


def _flip(proposal: Proposal) -> None:
    proposal.state = OTHER_STATE[proposal.state]


class _RowAsModel:
    """The row as the machine's model. transitions adds trigger methods to its model, which a SQLModel table object
    refuses (pydantic allows only its fields), so the machine gets this stand-in whose `state` is the row's."""

    def __init__(self, row: Proposal) -> None:
        self.row = row

    @property
    def state(self) -> str:
        return self.row.state

    @state.setter
    def state(self, value: str) -> None:
        self.row.state = value


def _flip_with_a_machine_per_request(proposal: Proposal) -> None:
    model = _RowAsModel(proposal)
    Machine(model=model, states=list(STATES), initial=proposal.state,
            transitions=[{"trigger": "step", "source": STATES[0], "dest": STATES[1]},
                         {"trigger": "step", "source": STATES[1], "dest": STATES[0]}])
    model.step()  # type: ignore[attr-defined]  # added by the Machine


def _sqlmodel_app(flip: Callable[[Proposal], None]) -> FastAPI:
    engine = sqlmodel_engine(_database())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = _app_with_health(lifespan)

    @app.post("/proposals/{proposal_id}/step")
    async def step(proposal_id: int, request: StepRequest) -> dict[str, Any]:
        return _sqlmodel_step(engine, proposal_id, request, flip)

    return app


def _sqlmodel_step(engine: Engine, proposal_id: int, request: StepRequest,
                   flip: Callable[[Proposal], None]) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as session:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None:
            raise HTTPException(404, "no such proposal")
        from_state = proposal.state
        flip(proposal)
        proposal.version += 1
        session.add(Audit(proposal_id=proposal_id, seq=proposal.version, at=datetime.now(UTC),
                          from_state=from_state, to_state=proposal.state, actor=request.actor,
                          reason=request.reason))
        session.commit()
        return {"id": proposal_id, "state": proposal.state, "version": proposal.version}


def _app_with_health(lifespan: Callable[[FastAPI], Any]) -> FastAPI:
    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _database() -> Path:
    try:
        return Path(os.environ[FLOOR_DATABASE_ENV])
    except KeyError:
        raise RuntimeError(f"set {FLOOR_DATABASE_ENV} to the floor's SQLite file (bench.floors.schema."
                           "create_database makes one)") from None


APPS: dict[str, Callable[[], FastAPI]] = {
    "raw_sqlite": raw_sqlite,
    "sqlmodel": sqlmodel,
    "sqlmodel_machine": sqlmodel_machine,
}
