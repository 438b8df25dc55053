"""Steps counted for /metrics once they are committed: a step refused or rolled back is not a step.

`_fire` notes each step in its session; the count moves only when that session's transaction commits. The
counter lives in prometheus_client's default registry, which `PROMETHEUS_MULTIPROC_DIR` turns into files shared
by worker processes (`foerderweg serve --workers N`).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session

TRANSITIONS = Counter("foerderweg_transitions", "Proposal steps committed, by procedure and transition",
                      ["procedure", "transition"])
PENDING = "foerderweg_steps"


def record_step(session: Session, procedure: str, transition: str) -> None:
    session.info.setdefault(PENDING, []).append((procedure, transition))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for procedure, transition in session.info.pop(PENDING, ()):
        TRANSITIONS.labels(procedure=procedure, transition=transition).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session, *_: Any) -> None:
    session.info.pop(PENDING, None)
