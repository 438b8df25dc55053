"""What the benchmark tests share: wrk, which Debian packages (CI installs it and fails without it). A test that
makes SQLite files of its own is marked `own_sqlite_files` (the root conftest leaves it out of the PostgreSQL pass)."""

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
