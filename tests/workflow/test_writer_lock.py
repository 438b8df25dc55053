"""Writers of one SQLite file in different processes queue on its lock file instead of SQLite's busy handler.

Two `Database` objects on one file stand for two processes: each opens the lock file itself, and flock belongs to
an open file, so they exclude each other as two processes do (`tests/api/test_races.py` runs two real servers on
one file). Their SQLite busy handlers give up at once, so a second writer that reached SQLite while the first held
it would fail with "database is locked"; queued on the lock file, it waits and then writes. The last tests run real
processes: they take turns, and one that waits does so in the kernel, not by asking again and again.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow.persistence import migrate
from workflow.persistence.db import Database
from workflow.persistence.writer_lock import WriterLock, lock_path

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


# Real processes below: each opens the lock file itself, as `serve --workers N` does.
TURNS = 150
TAKE_TURNS = """
import sys
import sqlalchemy as sa
from workflow.persistence.db import Database
database = Database(f"sqlite:///{sys.argv[1]}", busy_timeout_ms=10_000)
sa.event.listen(database.engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=0"))
print("ready", flush=True)
sys.stdin.readline()
for n in range(int(sys.argv[2])):
    with database.write() as session:
        session.execute(sa.text("INSERT INTO organisations (name) VALUES (:name)"), {"name": f"{sys.argv[3]} {n}"})
database.dispose()
"""
WAIT_ONCE = """
import json, sys, time
from pathlib import Path
from workflow.persistence.writer_lock import WriterLock
lock = WriterLock(Path(sys.argv[1]), timeout_seconds=10)
print("ready", flush=True)
cpu = time.process_time()
with lock.held():
    arrived, used = time.time(), time.process_time() - cpu
print(json.dumps({"arrived": arrived, "cpu_seconds": used}), flush=True)
"""


def _python(script: str, *args: object) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child


def test_two_processes_take_turns_on_the_lock_file(path: Path) -> None:
    """Their SQLite busy handlers give up at once: a write that met the other's would fail the process."""
    children = [_python(TAKE_TURNS, path, TURNS, name) for name in ("Erste", "Zweite")]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    assert [child.wait(60) for child in children] == [0, 0]
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute("SELECT count(*) FROM organisations").fetchone()
    assert count == 2 * TURNS


def test_a_waiting_process_sleeps_in_the_kernel_and_wakes_at_the_release(path: Path) -> None:
    """No polling: over half a second of waiting the waiter's process spends (nearly) no processor time, and it
    has the lock within milliseconds of its release. Asking every 0.1 ms cost a tenth of a core and more."""
    held = os.open(lock_path(path), os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiter = _python(WAIT_ONCE, path)
        time.sleep(0.5)
        released = time.time()
        fcntl.flock(held, fcntl.LOCK_UN)
        out, _ = waiter.communicate(timeout=30)
    finally:
        os.close(held)
    figures = json.loads(out)
    assert 0 <= figures["arrived"] - released < 0.05, figures["arrived"] - released
    assert figures["cpu_seconds"] < 0.015, figures


def test_a_lock_that_arrives_after_its_writer_gave_up_is_released_at_once(path: Path) -> None:
    """The helper still waiting after the timeout closes its file when its flock returns; the next write of the
    same process waits on a file of its own, so the helper's release cannot end it."""
    lock = WriterLock(path, timeout_seconds=0.1)
    held = os.open(lock_path(path), os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(sa.exc.OperationalError, match="database is locked"), lock.held():
            pass
        patient = WriterLock(path, timeout_seconds=1)
        taken = threading.Event()

        def write_late() -> None:
            with lock.held():
                taken.set()
                time.sleep(0.3)  # the abandoned helper's flock has returned by now and closed its file

        late = threading.Thread(target=write_late, daemon=True)
        late.start()
        time.sleep(0.05)
        fcntl.flock(held, fcntl.LOCK_UN)
        assert taken.wait(5)
        assert not _free(lock_path(path)), "the late lock's release ended the next write's lock"
        late.join(5)
        with patient.held():  # after the write, nothing keeps the lock: neither the write nor the old helper
            pass
    finally:
        os.close(held)
        lock.close()
