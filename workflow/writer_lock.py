"""The writers of one SQLite file, in every process, queue on a lock file beside it.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in SQLite's busy handler and
polls, with pauses that grow to 100 ms. Between the processes of `foerderweg serve --workers 2`, every collision
became such a sleep: the two processes took turns sleeping, the cores stayed partly idle, and p99 tripled
(README "Performance"). An exclusive `flock` on `<database>-writers.lock` is taken before BEGIN IMMEDIATE and released
after COMMIT or ROLLBACK, and the kernel wakes the next waiting process as soon as it is released. A process that
dies holding it releases it with its open files.

flock belongs to an open file, which the threads of one process share, so the threads queue on `Database`'s
threading lock first. Writers that do not take this lock (the sqlite3 shell, another program) still meet SQLite's
busy timeout, as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-writers.lock")


class WriterLock:
    """An exclusive flock on the database's lock file, opened on first use; held by one writer at a time."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None
        self._unavailable = False
        self._open_lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._file()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._open_lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _file(self) -> int | None:
        if self._fd is not None or self._unavailable:
            return self._fd
        with self._open_lock:
            if self._fd is None and not self._unavailable:
                try:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                except OSError as error:
                    # A folder we may not create files in: SQLite's busy timeout still keeps writers apart.
                    self._unavailable = True
                    log.warning("no writers' lock file %s (%s): writers of other processes wait in SQLite's busy "
                                "handler instead", self.path, error)
        return self._fd
