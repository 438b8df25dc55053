"""What the benchmark tests share: wrk, which Debian packages (CI installs it and fails without it), and the rule
that a test which makes SQLite files of its own runs on the SQLite pass only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.wrk import WRK


@pytest.fixture
def wrk_installed() -> None:
    if Path(WRK).is_file():
        return
    if os.environ.get("FOERDERWEG_TEST_REQUIRE_WRK") == "1":
        pytest.fail(f"FOERDERWEG_TEST_REQUIRE_WRK=1 but {WRK} is missing: apt-get install wrk")
    pytest.skip(f"{WRK} is missing (apt-get install wrk); set FOERDERWEG_TEST_REQUIRE_WRK=1 to fail instead")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Deselected, not skipped: the PostgreSQL pass fails on any skip, and running the benchmark's own SQLite
    # files a second time there would test nothing new and cost a minute.
    if not os.environ.get("FOERDERWEG_TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    own_files = [item for item in items if item.get_closest_marker("own_sqlite_files")]
    if own_files:
        config.hook.pytest_deselected(items=own_files)
        items[:] = [item for item in items if item not in own_files]
