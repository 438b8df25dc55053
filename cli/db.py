"""`foerderweg db`: the database schema."""

from __future__ import annotations

import typer

from cli.output import console
from workflow import migrate
from workflow.db import Database
from workflow.settings import load_settings

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
    database.dispose()


@app.command()
def current() -> None:
    """Show the schema revision of the database and the one the code expects."""
    database = _database()
    console.print(f"database: {migrate.current_revision(database) or 'empty'}; code: {migrate.head_revision(database)}")
    database.dispose()
