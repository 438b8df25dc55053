"""What the engine's tests share beyond the root conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workflow.context import Context, build_context
from workflow.persistence import migrate
from workflow.settings import Settings


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[Context]:
    """A migrated SQLite file of the test's own, whatever the database under test: for what only SQLite has (the
    driver path, the pages of its write-ahead log)."""
    context = build_context(Settings(database_url=f"sqlite:///{tmp_path / 'own.db'}"))
    migrate.upgrade(context.db)
    yield context
    context.close()
