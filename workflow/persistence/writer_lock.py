"""The writers of one SQLite file, in every process, take turns on a lock file beside it.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in SQLite's busy handler and
polls, with pauses that grow to 100 ms. Between the processes of `foerderweg serve --workers 2`, every collision
became such a sleep: the two processes took turns sleeping, the cores stayed partly idle, and p99 tripled
(README "Performance"). An exclusive `flock` on `<database>-writers.lock` is taken before BEGIN IMMEDIATE and released
after COMMIT or ROLLBACK. A process that waits for it asks again every 0.1 ms, and gives up after the busy
timeout with the error SQLite would give ("database is locked"): a process stuck inside a write must not stop the
others for good. A process that dies holding the lock releases it with its open files.

flock belongs to an open file, which the threads of one process share, so the threads queue on `Database`'s
threading lock first. Writers that do not take this lock (the sqlite3 shell, another program) still meet SQLite's
busy timeout, as before. Where there is no flock (Windows, a file system that refuses it) or the file cannot be
made, writers fall back to that busy timeout too, after one warning.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# Between two asks: short against a write (a step holds the lock for about half a millisecond). Asking every
# 0.5 ms instead left the two processes of `--workers 2` idle often enough to cost a fifth of their rate.
RETRY_SECONDS = 0.0001


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-writers.lock")


class WriterLock:
    """An exclusive flock on the database's lock file, opened on first use; held by one writer at a time. Used
    under `Database`'s write lock, which also keeps `held` and `close` apart."""

    def __init__(self, database: Path, *, timeout_seconds: float) -> None:
        self.path = lock_path(database)
        self._timeout_seconds = timeout_seconds
        self._fd: int | None = None
        self._unavailable = fcntl is None

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
        deadline = time.monotonic() + self._timeout_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    busy = sqlite3.OperationalError(f"database is locked: another foerderweg process kept writing "
                                                    f"for more than {self._timeout_seconds:g} s ({self.path})")
                    raise sa.exc.DBAPIError.instance("flock", (), busy, sqlite3.Error) from None
                time.sleep(RETRY_SECONDS)
            except OSError as error:
                self._give_up(error)
                return False

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
