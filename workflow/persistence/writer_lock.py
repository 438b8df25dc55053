"""The writers of one SQLite file, in every process, take turns on a lock file beside it.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in SQLite's busy handler and
polls, with pauses that grow to 100 ms. Between the processes of `foerderweg serve --workers 2`, every collision
became such a sleep: the two processes took turns sleeping, the cores stayed partly idle, and p99 tripled
(README "Performance"). An exclusive `flock` on `<database>-writers.lock` is taken before BEGIN IMMEDIATE and released
after COMMIT or ROLLBACK. A process that finds it taken waits in the kernel, not by asking again and again: a
helper thread blocks in `flock(LOCK_EX)`, which returns the moment the holder releases, and the writer waits for
that thread up to the busy timeout. Then it gives up with the error SQLite would give ("database is locked"): a
process stuck inside a write must not stop the others for good. The helper keeps waiting on a file of its own (the
writer's next write opens another), and closes it, releasing what it got, the moment its flock returns. A process
that dies holding the lock releases it with its open files.

flock belongs to an open file, which the threads of one process share, so the threads queue on `Database`'s
threading lock first. Writers that do not take this lock (the sqlite3 shell, another program) still meet SQLite's
busy timeout, as before. Where there is no flock (Windows, a file system that refuses it) or the file cannot be
made, writers fall back to that busy timeout too, after one warning.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-writers.lock")


@dataclass(eq=False)
class _Wait:
    """One helper thread's blocking flock on one open file of the lock file."""

    fd: int
    arrived: threading.Event = field(default_factory=threading.Event)
    abandoned: bool = False  # its writer gave up: the file is the helper's, to close when its flock returns
    error: OSError | None = None


class WriterLock:
    """An exclusive flock on the database's lock file, opened on first use; held by one writer at a time. Used
    under `Database`'s write lock, which also keeps `held` and `close` apart."""

    def __init__(self, database: Path, *, timeout_seconds: float) -> None:
        self.path = lock_path(database)
        self._timeout_seconds = timeout_seconds
        self._fd: int | None = None
        self._unavailable = fcntl is None
        self._handover = threading.Lock()  # between a writer giving up and its helper's flock returning

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._file()
        if fd is None or not self._take(fd):
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file; the next write opens it again (and tries again where it could not)."""
        fd, self._fd = self._fd, None
        self._unavailable = fcntl is None
        if fd is not None:
            os.close(fd)

    def _take(self, fd: int) -> bool:
        """Wait for the lock up to the timeout; False where the file system refuses flock."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the common case: free, taken without a thread
            return True
        except BlockingIOError:
            pass
        except OSError as error:
            self._give_up(error)
            return False
        if self._timeout_seconds <= 0:
            raise self._busy()
        wait = _Wait(fd)
        threading.Thread(target=self._block, args=(wait,), name="writer-lock-wait", daemon=True).start()
        wait.arrived.wait(self._timeout_seconds)
        with self._handover:
            if not wait.arrived.is_set():
                # The helper may still be blocked on this open file, so it is the helper's now: a try of ours on it
                # would succeed the moment the helper's does, and the helper's release would end our write.
                wait.abandoned = True
                self._fd = None
                raise self._busy()
        if wait.error is not None:
            self._give_up(wait.error)
            return False
        return True

    def _busy(self) -> sa.exc.StatementError:
        busy = sqlite3.OperationalError(f"database is locked: another foerderweg process kept writing for more "
                                        f"than {self._timeout_seconds:g} s ({self.path})")
        return sa.exc.DBAPIError.instance("flock", (), busy, sqlite3.Error)

    def _block(self, wait: _Wait) -> None:
        """The helper thread: wait in the kernel, then wake the writer, or close the file if it gave up."""
        try:
            fcntl.flock(wait.fd, fcntl.LOCK_EX)
        except OSError as error:
            wait.error = error
        with self._handover:
            if not wait.abandoned:
                wait.arrived.set()
                return
        os.close(wait.fd)  # the writer gave up: what came late goes back at once, with the file

    def _file(self) -> int | None:
        if self._fd is None and not self._unavailable:
            try:
                # Read-only is enough for flock, and works on a file another user (root, by hand) made first.
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                self._give_up(error)
        return self._fd

    def _give_up(self, error: OSError) -> None:
        self.close()
        self._unavailable = True
        log.warning("no writers' lock file %s (%s): writers of other processes wait in SQLite's busy handler "
                    "instead", self.path, error)
