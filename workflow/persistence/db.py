"""Engines and sessions.

SQLite has one writer. A write transaction that starts deferred and upgrades later can fail with "database is
locked" instead of waiting, so write sessions start with BEGIN IMMEDIATE, after taking their turn: the threads of
a process on a lock, the processes on a lock file (writer_lock.py), each up to the busy timeout; read sessions
start deferred and, under WAL, never block writers. PostgreSQL needs none of this: its row locks and the version
check in the UPDATE do the work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from workflow.persistence.driver import DriverSession
from workflow.persistence.writer_lock import WriterLock

log = logging.getLogger("foerderweg.db")
WRITE_OPTION = "foerderweg_write"
# What a query function needs: a session or a connection.
Reader = Session | sa.Connection


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database named by a path (not in memory, not a `file:` URI); else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.query.get("uri") or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)



def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True)

    in_file = sqlite_file(url)
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        # Each thread keeps a connection for its reads and the writer keeps one (Database): never make a thread
        # wait for a connection that another thread holds on to. (In memory, SQLAlchemy keeps one per thread.)
        **({"pool_size": 8, "max_overflow": -1} if in_file is not None else {}),
    )

    if in_file is not None:
        if not in_file.parent.exists():  # for the writers' lock file too, which is made before the first connect
            in_file.parent.mkdir(parents=True, mode=0o700)
        warn_if_readable(in_file)

        @event.listens_for(engine, "do_connect")
        def _private_file(*_: Any) -> None:
            create_private(in_file)  # before sqlite3 makes the file (with the umask's mode) on the first connect

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that we can say BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        driver = connection.connection.driver_connection
        if driver.in_transaction:  # type: ignore[union-attr]
            return  # begun by Database on the driver already; SQLAlchemy joins it (and its COMMIT ends it)
        # On the driver: SQLAlchemy's own execute costs several times the statement, on every transaction.
        _driver_sql(driver, "BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION, False)
                    else "BEGIN")

    return engine


def create_private(database: Path) -> None:
    """A new database file readable by its owner alone (0600): it holds personal data and hashes of credentials.
    SQLite gives its -wal and -shm files the database file's mode. (Its folder, if made here, is made 0700.)"""
    if database.exists():
        return
    with contextlib.suppress(FileExistsError):  # made meanwhile by another connection or process
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))


def warn_if_readable(database: Path) -> None:
    """An existing file keeps the mode its operator chose, with a warning when others may read it."""
    if os.name == "posix" and database.exists() and database.stat().st_mode & 0o077:
        log.warning("the database file %s may be read by others (mode %o): chmod 600 it and its -wal and -shm files",
                    database, database.stat().st_mode & 0o777)


def after_commit(session: orm.Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction has committed (not if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


_AFTER_COMMIT = "foerderweg_after_commit"


class Database:
    """The one way the engine reaches the database: `read()` and `write()` sessions, one transaction each.

    On SQLite (in a file) the writer keeps one connection, and each thread keeps one for its reads: a pool checkout,
    reset and checkin, and SQLAlchemy's transaction objects around them, cost several times the statements of a step
    or a read (bench/engine.py). The transaction is begun and ended on the driver; SQLAlchemy joins it when a
    statement needs SQLAlchemy's own execution (an ORM object, a statement that is not prepared).
    """

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self._busy_timeout_ms = busy_timeout_ms
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        # SQLite's busy handler makes a waiting writer sleep and poll with growing pauses, which turns contention
        # between threads into second-long tails. Within one process, writers queue on this lock instead and
        # start the moment the previous one commits; between processes, on the lock file (writer_lock.py).
        self._write_lock: threading.Lock | None = threading.Lock() if is_sqlite(url) else None
        # Kept connections need a file: in memory, SQLAlchemy gives every use in a thread the same connection.
        self._file = sqlite_file(url)
        self._lock_file = (WriterLock(self._file, timeout_seconds=busy_timeout_ms / 1000)
                              if self._file is not None else None)
        self._writer: sa.Connection | None = None
        self._readers = threading.local()
        self._all_readers: set[sa.Connection] = set()
        self._readers_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read transaction (a snapshot under WAL); never writes."""
        reader = self._thread_reader()
        if reader is None:
            with DriverSession(self.engine, expire_on_commit=False) as session:
                yield session
            return
        driver = reader.connection.driver_connection
        with DriverSession(bind=reader, expire_on_commit=False) as session:
            _driver_sql(driver, "BEGIN")
            session.attach_driver(reader, managed=True)
            try:
                yield session
            finally:
                if session.in_transaction():
                    # SQLAlchemy's part, if a statement needed it: its ROLLBACK ends ours. Closed, not rolled back:
                    # a rollback would expire the ORM objects the caller takes away.
                    session.close()
                if driver.in_transaction:  # type: ignore[union-attr]
                    _driver_sql(driver, "ROLLBACK")

    def _thread_reader(self) -> sa.Connection | None:
        """This thread's read connection while it is idle; None on PostgreSQL, in memory, or for a read inside a
        read. It is closed when its thread ends (worker threads come and go with the load)."""
        if self._file is None:
            return None
        reader: sa.Connection | None = getattr(self._readers, "connection", None)
        if reader is None or reader.closed or reader.invalidated:
            reader = self._readers.connection = self.engine.connect()
            with self._readers_lock:
                self._all_readers.add(reader)
            weakref.finalize(threading.current_thread(), self._close_reader, reader)
        busy = reader.in_transaction() or reader.connection.driver_connection.in_transaction  # type: ignore[union-attr]
        return None if busy else reader

    def _close_reader(self, reader: sa.Connection) -> None:
        with self._readers_lock:
            if reader in self._all_readers:
                self._all_readers.discard(reader)
                reader.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commits when the block ends normally, rolls back on any exception. The session inside
        neither commits nor rolls back by itself: the block's end does (raise to roll back)."""
        if self._file is None:
            with self._write_lock or nullcontext(), \
                    DriverSession(self._write_engine, expire_on_commit=False) as session, session.begin():
                yield session
        else:
            assert self._lock_file is not None
            with self._write_lock or nullcontext(), self._lock_file.held(), \
                    self._kept_writer() as (writer, driver), \
                    DriverSession(bind=writer, expire_on_commit=False) as session:
                _driver_sql(driver, "BEGIN IMMEDIATE")
                session.attach_driver(writer, managed=True)
                try:
                    yield session
                    session.finish(commit=True)  # flushes ORM objects; SQLAlchemy's COMMIT ends the driver's too
                    if driver.in_transaction:
                        _driver_sql(driver, "COMMIT")
                except BaseException:
                    try:
                        session.finish(commit=False)
                    finally:
                        # Before the lock file is let go: another process must not find SQLite's lock still held.
                        if driver.in_transaction:
                            _driver_sql(driver, "ROLLBACK")
                    raise
        # After the lock is released: an action may write itself.
        _run_after_commit(session)

    @contextmanager
    def _kept_writer(self) -> Iterator[tuple[sa.Connection, Any]]:
        """The writer's connection (under the write lock) and its driver, outside any transaction."""
        writer = self._writer
        if writer is None or writer.closed or writer.invalidated:
            writer = self._writer = self._write_engine.connect()
        driver = writer.connection.driver_connection
        # Never join what an interrupted write left: the session must own its transaction.
        if writer.in_transaction():
            writer.rollback()
        if driver.in_transaction:  # type: ignore[union-attr]
            _driver_sql(driver, "ROLLBACK")
        yield writer, driver

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        with self._write_lock or nullcontext(), self._readers_lock:
            for connection in [self._writer, *self._all_readers]:
                if connection is not None:
                    connection.close()
            self._writer, self._all_readers, self._readers = None, set(), threading.local()
            if self._lock_file is not None:
                self._lock_file.close()
        self.engine.dispose()



def _driver_sql(driver: Any, statement: str) -> None:
    """BEGIN, COMMIT or ROLLBACK on the driver; its error raised as SQLAlchemy's, as for any other statement."""
    try:
        driver.execute(statement)
    except driver.Error as error:
        raise sa.exc.DBAPIError.instance(statement, (), error, driver.Error) from error

def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, ()):
        action()
