"""Wires settings, database, procedures and services once per process. Adapters hold one of these."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.admin import AdminService
from workflow.db import Database
from workflow.deadlines.alliance import action_concept
from workflow.registry import ProcedureRegistry
from workflow.service import ProposalService
from workflow.settings import Settings, load_settings


@dataclass
class Context:
    settings: Settings
    db: Database
    procedures: ProcedureRegistry
    proposals: ProposalService
    admin: AdminService

    def close(self) -> None:
        self.db.dispose()


def build_context(settings: Settings | None = None) -> Context:
    settings = settings or load_settings()
    procedures = ProcedureRegistry.from_dirs(settings.procedure_dirs, settings.deadlines)
    # Fail at start, not at the first request, when the default procedure is missing.
    procedures.latest(settings.default_procedure)
    db = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return Context(
        settings=settings,
        db=db,
        procedures=procedures,
        proposals=ProposalService(db, procedures),
        admin=AdminService(db, procedures, settings.default_procedure, action_concept(settings.deadlines)),
    )
