"""Published procedure versions never change: the first start that sees a version records its fingerprint, and
every later start compares. A proposal's history only means something against the rules it ran under.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from workflow.persistence.db import Database
from workflow.procedure.faults import Fault, ProcedureError
from workflow.procedure.registry import ProcedureRegistry
from workflow.versioning import store
from workflow.versioning.store import PublishedVersion


def publish(db: Database, procedures: ProcedureRegistry, now: datetime) -> list[str]:
    """Record the versions seen for the first time; refuse a changed one, or a missing one still in use.

    Returns the references (key@version) this call published. Several instances may start at once: the one
    that loses the race to publish a version compares against the winner's row, like any later start.
    """
    try:
        return _publish(db, procedures, now)
    except IntegrityError:
        return _publish(db, procedures, now)


def _publish(db: Database, procedures: ProcedureRegistry, now: datetime) -> list[str]:
    with db.write() as session:
        known = store.all_published(session)
        used = store.versions_in_use(session)
        faults = _changed(procedures, known) + _missing(procedures, known, used)
        if faults:
            raise ProcedureError("procedure definitions", faults)
        new = [p for p in procedures.all() if (p.key, p.version) not in known]
        for procedure in new:
            store.insert_published(session, PublishedVersion(
                key=procedure.key, version=procedure.version, fingerprint=procedure.digest,
                title=procedure.title.de[:300], source=Path(procedure.source).name[:500], published_at=now))
    return [p.ref for p in new]


def _changed(procedures: ProcedureRegistry, known: dict[tuple[str, int], PublishedVersion]) -> list[Fault]:
    faults = []
    for procedure in procedures.all():
        stored = known.get((procedure.key, procedure.version))
        if stored is not None and stored.fingerprint != procedure.digest:
            following = max(p.version for p in procedures.versions(procedure.key)) + 1
            faults.append(Fault(
                f"{procedure.source}: procedure.version",
                f"{procedure.ref} was published on {stored.published_at:%Y-%m-%d} (from {stored.source}) and this "
                "file now says something else. A published version never changes: the proposals running on it "
                f"were decided by its rules. Give the changed definition the next version (version = {following}) "
                "and move running proposals with `foerderweg procedure migrate`, or put the file back as it was."))
    return faults


def _missing(procedures: ProcedureRegistry, known: dict[tuple[str, int], PublishedVersion],
             used: Sequence[tuple[str, int]]) -> list[Fault]:
    defined = {(p.key, p.version) for p in procedures.all()}
    faults = []
    for key, version in used:
        if (key, version) not in defined:
            stored = known.get((key, version))
            was = f" (published from {stored.source})" if stored is not None else ""
            faults.append(Fault(f"{key}@{version}", f"rounds, proposals or deadlines of this installation run on "
                                                    f"it{was}, but no definition file defines it any more: put the "
                                                    "file back"))
    return faults
