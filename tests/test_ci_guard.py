"""CI's PostgreSQL pass (FOERDERWEG_TEST_REQUIRE_POSTGRES=1) fails rather than passing without having tested
PostgreSQL: without a PostgreSQL URL it refuses to start, and a single skipped test fails the run. Any run stops if
two tests share a node id, which pytest-xdist would count as one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.serving import REPO

# Each test runs pytest in a process of its own.
pytestmark = pytest.mark.slow

A_SMALL_TEST_FILE = "tests/workflow/test_timeutil.py"


def clean_environment() -> dict[str, str]:
    """This process's environment without the test settings, and without what pytest-xdist tells its workers: the
    child pytest is a run of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("FOERDERWEG_TEST_", "PYTEST_XDIST_"))}


def pytest_run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = clean_environment()
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=REPO,
                          env={**clean, "FOERDERWEG_TEST_REQUIRE_POSTGRES": "1", **env}, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_postgresql_pass_refuses_to_run_on_sqlite() -> None:
    done = pytest_run(A_SMALL_TEST_FILE)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "names no PostgreSQL database" in done.stdout + done.stderr


def test_a_skipped_test_fails_the_postgresql_pass() -> None:
    # Every test is skipped before it needs the database, so the URL only has to name PostgreSQL.
    url = "postgresql+psycopg://nobody@127.0.0.1:1/never_used_test"
    done = pytest_run("-p", "tests.skip_everything", A_SMALL_TEST_FILE, FOERDERWEG_TEST_DATABASE_URL=url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skipped on the PostgreSQL pass" in done.stdout
    assert "database under test: postgresql" in done.stdout


@pytest.mark.parametrize("processes", ["0", "2"])
def test_tests_that_share_a_node_id_stop_the_run(processes: str) -> None:
    # pytest-xdist would run one of them and report the run as passed.
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.duplicate_ids",
                           "-n", processes, A_SMALL_TEST_FILE], cwd=REPO, env=clean_environment(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "node id(s) shared by several tests" in done.stdout + done.stderr
