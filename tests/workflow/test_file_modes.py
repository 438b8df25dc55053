"""The SQLite files foerderweg makes are its owner's alone: the database, its -wal and -shm, the writers' lock file
(0600), in a folder made 0700; an existing file that others may read is kept and warned about."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow.persistence.db import Database

pytestmark = [pytest.mark.own_sqlite_files,
              pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")]


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of most logins (0022), with which files were made 0644 before."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_companions_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "nested"
    database = folder / "foerderweg.db"
    db = Database(f"sqlite:///{database}")
    try:
        with db.write() as session:
            session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            session.execute(sa.text("INSERT INTO t VALUES (1)"))
        made = sorted(p.name for p in folder.iterdir())
        assert {"foerderweg.db", "foerderweg.db-wal", "foerderweg.db-shm"} <= set(made)
        assert any(name.endswith(".lock") for name in made), made
        assert {name: mode(folder / name) for name in made} == dict.fromkeys(made, 0o600)
        assert mode(folder) == 0o700
    finally:
        db.dispose()


def test_an_existing_readable_database_is_kept_and_warned_about(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    with caplog.at_level(logging.WARNING, logger="foerderweg.db"):
        Database(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o644  # the operator's choice is not changed behind their back
    assert any("chmod 600" in r.getMessage() and str(database) in r.getMessage() for r in caplog.records)
