"""Steps counted for /metrics once they are committed: a step refused or rolled back is not a step.

`ProposalService.step` notes each step in its session; the count moves only when that session's transaction
commits. The counter lives in prometheus_client's default registry, which `PROMETHEUS_MULTIPROC_DIR` turns into
files shared by worker processes (`foerderweg serve --workers N`).
"""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy.orm import Session

from workflow.persistence.db import after_commit

TRANSITIONS = Counter("foerderweg_transitions", "Proposal steps committed, by procedure and transition",
                      ["procedure", "transition"])


def record_step(session: Session, procedure: str, transition: str) -> None:
    after_commit(session, TRANSITIONS.labels(procedure=procedure, transition=transition).inc)
