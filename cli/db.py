"""`foerderweg db`: the database schema."""

from __future__ import annotations

import typer

from cli.output import console
from workflow.persistence import migrate
from workflow.persistence.db import Database
from workflow.procedure.registry import ProcedureRegistry
from workflow.settings import load_settings
from workflow.timeutil import utcnow
from workflow.versioning.published import publish

app = typer.Typer(help="Database schema (alembic migrations).", no_args_is_help=True)


def _database() -> Database:
    settings = load_settings()
    return Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@app.command()
def upgrade() -> None:
    """Bring the database to the newest schema (creates the SQLite file if needed)."""
    database = _database()
    migrate.upgrade(database)
    console.print(f"database at schema {migrate.current_revision(database)} ({database.dialect})")
    try:
        settings = load_settings()
        published = publish(database, ProcedureRegistry.from_dirs(settings.procedure_dirs, settings.deadlines),
                            utcnow())
    finally:
        database.dispose()
    if published:
        console.print(f"procedure versions published: {', '.join(published)}")


@app.command()
def current() -> None:
    """Show the schema revision of the database and the one the code expects."""
    database = _database()
    console.print(f"database: {migrate.current_revision(database) or 'empty'}; code: {migrate.head_revision(database)}")
    database.dispose()
