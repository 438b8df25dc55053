"""Alembic environment. Run through `foerderweg db upgrade` (workflow/persistence/migrate.py), which passes the connection."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import workflow.persistence.models  # noqa: F401  (registers the tables on the metadata)
from workflow.persistence.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
