"""Engines and sessions.

SQLite has one writer. A write transaction that starts deferred and upgrades later can fail with "database is
locked" instead of waiting, so write sessions start with BEGIN IMMEDIATE and wait up to the busy timeout; read
sessions start deferred and, under WAL, never block writers. PostgreSQL needs none of this: its row locks and the
version check in the UPDATE do the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from workflow.driver import DriverSession
from workflow.wal_checkpoints import WalCheckpointer

WRITE_OPTION = "foerderweg_write"
# What a query function needs: a session or a connection.
Reader = Session | sa.Connection


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True)

    in_file = bool(parsed.database) and parsed.database != ":memory:"
    if in_file:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        # Each thread keeps a connection for its reads and the writer keeps one (Database): never make a thread
        # wait for a connection that another thread holds on to. (In memory, SQLAlchemy keeps one per thread.)
        **({"pool_size": 8, "max_overflow": -1} if in_file else {}),
    )

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
        driver.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION, False) else "BEGIN")

    return engine


def after_commit(session: orm.Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction has committed (not if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


_AFTER_COMMIT = "foerderweg_after_commit"


class Database:
    """The one way the engine reaches the database: `read()` and `write()` sessions, one transaction each.

    On SQLite the writer keeps one connection, and each thread keeps one for its reads: a pool checkout, reset and
    checkin, and SQLAlchemy's transaction objects around them, cost several times the statements of a step or a
    read (bench/engine.py). The transaction is begun and ended on the driver; SQLAlchemy joins it when a
    statement needs SQLAlchemy's own execution (an ORM object, a statement that is not prepared).
    """

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self._busy_timeout_ms = busy_timeout_ms
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        # SQLite's busy handler makes a waiting writer sleep and poll with growing pauses, which turns contention
        # between threads into second-long tails. Within one process, writers queue on this lock instead and
        # start the moment the previous one commits; other processes still meet the busy timeout.
        self._write_lock: threading.Lock | None = threading.Lock() if is_sqlite(url) else None
        self._writer: sa.Connection | None = None
        self._checkpointer: WalCheckpointer | None = None
        self._readers = threading.local()
        self._all_readers: list[sa.Connection] = []
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
            session.attach_driver(reader)
            try:
                yield session
            finally:
                if session.in_transaction():
                    # SQLAlchemy's part, if a statement needed it: its ROLLBACK ends ours. Closed, not rolled back:
                    # a rollback would expire the ORM objects the caller takes away.
                    session.close()
                if driver.in_transaction:  # type: ignore[union-attr]
                    _driver_sql(driver, "ROLLBACK")

    def _checkpoint_beside(self, writer: sa.Connection) -> None:
        """The writer's COMMITs leave the WAL checkpoints to a thread of their own (wal_checkpoints.py)."""
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return
        writer.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
        if self._checkpointer is None:
            self._checkpointer = WalCheckpointer(Path(database), busy_timeout_ms=self._busy_timeout_ms)
            self._checkpointer.start()

    def _thread_reader(self) -> sa.Connection | None:
        """This thread's read connection while it is idle; None on PostgreSQL or for a read inside a read."""
        if self._write_lock is None:
            return None
        reader: sa.Connection | None = getattr(self._readers, "connection", None)
        if reader is None or reader.closed or reader.invalidated:
            reader = self._readers.connection = self.engine.connect()
            with self._readers_lock:
                self._all_readers.append(reader)
        busy = reader.in_transaction() or reader.connection.driver_connection.in_transaction  # type: ignore[union-attr]
        return None if busy else reader

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commits when the block ends normally, rolls back on any exception."""
        if self._write_lock is None:
            with DriverSession(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
                _run_after_commit(session)
            return
        with self._write_lock:
            writer = self._writer
            if writer is None or writer.closed or writer.invalidated:
                writer = self._writer = self._write_engine.connect()
                self._checkpoint_beside(writer)
            driver = writer.connection.driver_connection
            # Never join what an interrupted write left: the session must own its transaction.
            if writer.in_transaction():
                writer.rollback()
            if driver.in_transaction:  # type: ignore[union-attr]
                _driver_sql(driver, "ROLLBACK")
            with DriverSession(bind=writer, expire_on_commit=False) as session:
                _driver_sql(driver, "BEGIN IMMEDIATE")
                session.attach_driver(writer)
                try:
                    yield session
                    if session.in_transaction():
                        session.commit()  # flushes ORM objects; its COMMIT ends the driver's transaction
                    if driver.in_transaction:  # type: ignore[union-attr]
                        _driver_sql(driver, "COMMIT")
                except BaseException:
                    session.rollback()
                    if driver.in_transaction:  # type: ignore[union-attr]
                        _driver_sql(driver, "ROLLBACK")
                    raise
            _run_after_commit(session)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._write_lock or nullcontext(), self._readers_lock:
            for connection in [self._writer, *self._all_readers]:
                if connection is not None:
                    connection.close()
            self._writer, self._all_readers, self._readers = None, [], threading.local()
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
