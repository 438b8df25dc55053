"""Engines and sessions.

SQLite has one writer. A write transaction that starts deferred and upgrades later can fail with "database is
locked" instead of waiting, so write sessions start with BEGIN IMMEDIATE and wait up to the busy timeout; read
sessions start deferred and, under WAL, never block writers. PostgreSQL needs none of this: its row locks and the
version check in the UPDATE do the work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from workflow.driver import DriverSession

WRITE_OPTION = "foerderweg_write"
LOOKUP_OPTION = "foerderweg_lookup"
# What a query function needs: a session, or for a single-statement lookup, a bare connection.
Reader = Session | sa.Connection


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
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
        options = connection.get_execution_options()
        if options.get(LOOKUP_OPTION, False):
            return  # a lone statement runs in a transaction of its own; BEGIN and ROLLBACK around it are waste
        # On the driver: SQLAlchemy's own execute costs several times the statement, on every transaction.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if options.get(WRITE_OPTION, False) else "BEGIN")

    return engine


class Database:
    """The one way the engine reaches the database: `read()` and `write()` sessions, one transaction each."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._lookup_engine = self.engine.execution_options(**{LOOKUP_OPTION: True})
        # SQLite's busy handler makes a waiting writer sleep and poll with growing pauses, which turns contention
        # between threads into second-long tails. Within one process, writers queue on this lock instead and
        # start the moment the previous one commits; other processes still meet the busy timeout.
        self._write_lock: threading.Lock | None = threading.Lock() if is_sqlite(url) else None
        # With one writer at a time, that writer keeps its connection: a pool checkout, reset and checkin on every
        # write cost more than the writer's statements (bench/engine.py).
        self._writer: sa.Connection | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with DriverSession(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """For reads of one statement each (a bearer token on every request): on SQLite no transaction around
        them, so they cost a fraction of `read()`."""
        with DriverSession(self._lookup_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commits when the block ends normally, rolls back on any exception."""
        if self._write_lock is None:
            with DriverSession(self._write_engine, expire_on_commit=False) as session, session.begin():
                yield session
            return
        with self._write_lock:
            writer = self._writer
            if writer is None or writer.closed or writer.invalidated:
                writer = self._writer = self._write_engine.connect()
            elif writer.in_transaction():
                writer.rollback()  # never join what an interrupted write left: the session must own its transaction
            with DriverSession(bind=writer, expire_on_commit=False) as session, session.begin():
                yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        with self._write_lock or nullcontext():
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()
