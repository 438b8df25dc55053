"""The versions of a procedure as an operator sees them: when each was published here, and what runs on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workflow.persistence.db import Database
from workflow.procedure.registry import ProcedureRegistry
from workflow.versioning import store


@dataclass(frozen=True)
class VersionRow:
    key: str
    version: int
    title: str
    source: str
    fingerprint: str
    # None until a start of the service has recorded it (`foerderweg db upgrade`, `serve`, `scheduler`).
    published_at: datetime | None
    states: int
    transitions: int
    rounds: int
    running: int  # proposals in a non-terminal state
    finished: int
    latest: bool


def version_rows(db: Database, procedures: ProcedureRegistry, key: str) -> list[VersionRow]:
    found = procedures.versions(key)
    with db.read() as session:
        published = store.published(session, key)
        rounds, proposals = store.usage(session, key)
    rows = []
    for procedure in found:
        by_state = {s: n for (v, s), n in proposals.items() if v == procedure.version}
        terminal = {name for name, state in procedure.states.items() if state.terminal}
        stored = published.get(procedure.version)
        rows.append(VersionRow(
            key=key, version=procedure.version, title=procedure.title.de, source=Path(procedure.source).name,
            fingerprint=procedure.digest, published_at=stored.published_at if stored is not None else None,
            states=len(procedure.states), transitions=len(procedure.transitions),
            rounds=rounds.get(procedure.version, 0),
            running=sum(n for s, n in by_state.items() if s not in terminal),
            finished=sum(n for s, n in by_state.items() if s in terminal),
            latest=procedure is found[-1]))
    return rows
