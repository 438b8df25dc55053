"""The alembic migrations produce exactly the schema the code declares, and can be rolled back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import workflow.persistence.models  # noqa: F401  (registers the tables)
from workflow.persistence import migrate
from workflow.persistence.db import Database


def test_head_schema_matches_the_models(database_url: str) -> None:
    database = Database(database_url)
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                SQLModel.metadata)
    database.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_round_trips(database_url: str) -> None:
    database = Database(database_url)
    assert migrate.current_revision(database) == migrate.head_revision(database)
    migrate.upgrade(database)  # already at head: nothing to do, no error
    config = migrate.alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision(database)
    database.dispose()
