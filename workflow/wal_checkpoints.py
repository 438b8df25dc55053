"""SQLite's WAL checkpoints on a thread of their own, instead of inside a step's COMMIT.

By default SQLite copies the write-ahead log back into the database file in the COMMIT that takes the log past
1000 pages: every fiftieth step or so waits for a few megabytes to be copied and synced, which is what the slowest
hundredth of requests is made of (bench/transitions_http.py). The writer's connection turns that off
(`wal_autocheckpoint=0`) and this thread checkpoints PASSIVE-ly once a second: such a checkpoint never waits for
readers or the writer, and sqlite3 lets go of the GIL while it copies, so it runs beside the requests.

If the thread is not there (it stopped with its process), SQLite checkpoints when the last connection closes, and
the next process's writer starts its own thread.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path


class WalCheckpointer:
    def __init__(self, database: Path, *, every_seconds: float = 1.0, busy_timeout_ms: int = 30_000) -> None:
        self.database = database
        self.every_seconds = every_seconds
        self._busy_timeout_ms = busy_timeout_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="foerderweg-wal-checkpoints", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (1 if it could not finish, frames in the log, frames copied)."""
        with closing(sqlite3.connect(self.database, timeout=self._busy_timeout_ms / 1000,
                                     isolation_level=None)) as connection:
            busy, log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(busy), int(log), int(copied)

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.checkpoint()
            except sqlite3.Error:
                continue  # a locked or vanished file: the next round, or SQLite's own checkpoint on close

