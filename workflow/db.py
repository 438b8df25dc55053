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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION, False) else "BEGIN")

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

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def lookup(self) -> Iterator[sa.Connection]:
        """A connection for reads of one statement each (a bearer token on every request): no session, and on
        SQLite no transaction around it, so it costs a fraction of `read()`."""
        with self._lookup_engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commits when the block ends normally, rolls back on any exception."""
        with self._write_lock or nullcontext(), Session(self._write_engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
