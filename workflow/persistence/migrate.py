"""Schema migrations with alembic, driven from code (no alembic.ini needed by users)."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from workflow.persistence.db import Database


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "workflow.persistence:migrations")
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(database: Database) -> str | None:
    """The newest revision this code knows. Read from the migration scripts once per process (GET /health asks on
    every call, and reading the scripts costs tens of milliseconds)."""
    return _code_head()


@functools.cache
def _code_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", "workflow.persistence:migrations")
    return ScriptDirectory.from_config(config).get_current_head()
