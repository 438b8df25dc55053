"""Writers of one SQLite file in different processes queue on its lock file instead of SQLite's busy handler.

Two `Database` objects on one file stand for two processes: each opens the lock file itself, and flock belongs to
an open file, so they exclude each other as two processes do (`tests/api/test_races.py` runs two real servers on
one file). Their SQLite busy handlers give up at once, so a second writer that reached SQLite while the first held
it would fail with "database is locked"; queued on the lock file, it waits and then writes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow.persistence import migrate
from workflow.persistence.db import Database
from workflow.persistence.writer_lock import lock_path

pytestmark = pytest.mark.own_sqlite_files

# Long enough for a second writer that does not wait to have failed already; a writer that waits as it should
# never makes this test wait longer.
NOT_DONE_WITHIN_SECONDS = 0.5


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "writers.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


def process(path: Path, *, lock_timeout_ms: int = 10_000) -> Database:
    """A Database as one process has it, but whose SQLite busy handler gives up at once: only the lock file can
    make its writer wait."""
    database = Database(f"sqlite:///{path}", busy_timeout_ms=lock_timeout_ms)
    sa.event.listen(database.engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=0"))
    return database


@pytest.fixture
def two_processes(path: Path) -> Iterator[tuple[Database, Database]]:
    first, second = process(path), process(path)
    yield first, second
    first.dispose()
    second.dispose()


@contextmanager
def writing(database: Database) -> Iterator[None]:
    """A write of `database` held open in a thread of its own until the block ends."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with database.write() as session:
            session.execute(sa.text("INSERT INTO organisations (name) VALUES ('Erste')"))
            inside.set()
            release.wait()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        assert inside.wait(10)
        yield
    finally:
        release.set()  # also when the block fails: dispose() waits for the holder's write to end
        holder.join(10)


def _free(lock_file: Path) -> bool:
    """Whether another process could take the lock now (asked without waiting)."""
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock taken here
    return True


def _insert_organisation(database: Database, name: str) -> None:
    with database.write() as session:
        session.execute(sa.text("INSERT INTO organisations (name) VALUES (:name)"), {"name": name})


def test_a_second_writer_waits_for_the_first_instead_of_failing(two_processes: tuple[Database, Database]) -> None:
    first, second = two_processes
    outcome: dict[str, BaseException | None] = {}

    def write_second() -> None:
        try:
            _insert_organisation(second, "Zweite")
            outcome["second"] = None
        except BaseException as error:  # the failure this test is about: "database is locked"
            outcome["second"] = error

    # A daemon: a writer stuck on a lock never released fails this test instead of keeping pytest from exiting.
    writer = threading.Thread(target=write_second, daemon=True)
    with writing(first):
        writer.start()
        writer.join(NOT_DONE_WITHIN_SECONDS)
        still_waiting = writer.is_alive()
    writer.join(10)

    assert "second" in outcome, "the second writer was still waiting after the first had finished"
    assert outcome["second"] is None, f"the second writer failed instead of waiting: {outcome['second']!r}"
    assert still_waiting, "the second writer did not wait for the first"
    with second.read() as session:
        names = set(session.execute(sa.text("SELECT name FROM organisations")).scalars())
    assert {"Erste", "Zweite"} <= names


def test_a_writer_gives_up_after_the_busy_timeout_as_sqlite_would(path: Path) -> None:
    """A process stuck inside a write must not stop the others for good."""
    first, impatient = process(path), process(path, lock_timeout_ms=0)
    outcome: list[BaseException | None] = []

    def write_impatiently() -> None:
        try:
            _insert_organisation(impatient, "Zu früh")
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    writer = threading.Thread(target=write_impatiently, daemon=True)  # a wait without end fails, not hangs
    try:
        with writing(first):
            writer.start()
            writer.join(10)
            assert not writer.is_alive(), "the writer waited on past its timeout"
        assert len(outcome) == 1 and isinstance(outcome[0], sa.exc.OperationalError), outcome
        assert "database is locked" in str(outcome[0]) and "another foerderweg process" in str(outcome[0])
        _insert_organisation(impatient, "Danach")
    finally:
        first.dispose()
        impatient.dispose()


def test_a_write_that_fails_releases_the_lock(path: Path, two_processes: tuple[Database, Database]) -> None:
    first, second = two_processes

    def fails() -> None:
        with first.write() as session:
            session.execute(sa.text("INSERT INTO organisations (name) VALUES ('Verworfen')"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        fails()
    assert _free(lock_path(path)), "the failed write kept the lock file locked"
    _insert_organisation(second, "Danach")  # busy timeout 0: would fail if SQLite's own lock were still held
    with first.read() as session:
        names = set(session.execute(sa.text("SELECT name FROM organisations")).scalars())
    assert "Danach" in names and "Verworfen" not in names


def test_the_lock_file_lies_beside_the_database_and_is_closed_with_it(path: Path) -> None:
    database = Database(f"sqlite:///{path}")
    _insert_organisation(database, "Eine")
    assert lock_path(path).is_file() and lock_path(path).parent == path.parent
    lock_file = database._lock_file
    assert lock_file is not None and lock_file._fd is not None
    database.dispose()
    assert lock_file._fd is None


def test_without_a_lock_file_writes_still_work_and_say_why(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lock_path(path).mkdir()  # a folder where the lock file would be: it cannot be opened
    database = Database(f"sqlite:///{path}")
    try:
        with caplog.at_level(logging.WARNING, logger="workflow.persistence.writer_lock"):
            _insert_organisation(database, "Ohne Sperrdatei")
            _insert_organisation(database, "Noch eine")
        warnings = [r for r in caplog.records if r.name == "workflow.persistence.writer_lock"]
        assert len(warnings) == 1 and "busy handler" in warnings[0].getMessage()
        with database.read() as session:
            assert session.execute(sa.text("SELECT count(*) FROM organisations")).scalar_one() >= 2
    finally:
        database.dispose()
