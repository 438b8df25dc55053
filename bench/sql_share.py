"""How much of foerderweg's time is SQL: its own statements, recorded and replayed on the bare sqlite3 driver.

    python -m bench.sql_share [--proposals N] [--rounds R] [--engine-proposals N] [--json OUT]

Two paths, each run once to record every statement it sends (with its parameters as the driver got them, and
BEGIN, COMMIT and ROLLBACK, per connection) and once more, unrecorded, to time it:

- a transition request (`POST /proposals/{id}/transitions`, the path of `bench.transitions_http`) through the
  ASGI app in process: bearer token, role, If-Match, rules, deadlines, audit, outbox and the new representation;
- the persisted steps of `bench.engine` (`ProposalService.fire` along saxony-regional's happy path); what a step's
  rules wait for (scores, answers) is written between the steps, replayed too, but not counted.

The recording is then replayed statement by statement on a copy of the database taken before it, with one sqlite3
connection per recorded connection, WAL and synchronous=NORMAL as the service has them. It counts only if SQLite
ran on each connection exactly the statements it ran while recording (its trace callback, on both sides) and every
table ends with the same rows, so its time is the time the database itself needs for exactly this work: what no
Python above the driver can save. The rest of the request is
Python: the framework, the service, SQLAlchemy's parameters and rows, the answer. The performance issue's ratio
goals meet this bound: README "Performance" sets the two side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import event

import workflow.persistence.db as db_module
from api.app import create_app
from bench import engine
from bench._common import table
from bench.transitions_http import CYCLE, Prepared, prepare
from workflow.context import Context, build_context
from workflow.settings import Settings


@dataclass(frozen=True)
class Statement:
    connection: int  # which of the recorded connections sent it
    sql: str
    parameters: Any
    many: bool
    counted: bool  # part of the measured work (False: setup between measured steps)


@dataclass
class Recording:
    statements: list[Statement] = field(default_factory=list)
    # What SQLite itself ran on each connection while recording (its trace callback), in order: the replay must run
    # the very same, so that no statement the service sent is missing from the recording or added to it.
    executed: dict[int, list[str]] = field(default_factory=dict)
    counting: bool = False
    on: bool = False

    def add(self, connection: int, sql: str, parameters: Any, many: bool) -> None:
        if self.on:
            self.statements.append(Statement(connection, sql, parameters, many, self.counting))

    def ran(self, connection: int, sql: str) -> None:
        if self.on:
            self.executed.setdefault(connection, []).append(sql)


@dataclass(frozen=True)
class Replayed:
    by_kind: dict[str, float]  # seconds of the counted statements by their first word (SELECT, INSERT, COMMIT …)
    statements: int  # counted statements run
    executed: dict[int, list[str]]  # as Recording.executed, when traced

    @property
    def seconds(self) -> float:
        return sum(self.by_kind.values())


@dataclass(frozen=True)
class Share:
    what: str
    operations: int
    python_and_sql_us: float  # per operation, the whole path in process
    sql_us: float  # per operation, the same statements replayed on sqlite3
    sql_by_kind_us: dict[str, float]  # per operation, by the statements' first word
    statements_per_operation: float
    verified: bool

    @property
    def sql_fraction(self) -> float:
        return self.sql_us / self.python_and_sql_us

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sql_fraction": self.sql_fraction}


class ReplayError(Exception):
    """The recording cannot be replayed as it ran: a transaction boundary is missing or out of place."""


@contextmanager
def recorded(ctx: Context, recording: Recording) -> Iterator[None]:
    """Every statement of `ctx`'s database into `recording`, those that SQLAlchemy sends and those that Database
    and the driver path send themselves (BEGIN, COMMIT, ROLLBACK), and what SQLite ran on each connection.

    The database's connections are closed before and after, so that every connection used while recording is
    made while recording, with SQLite's trace callback on it."""

    def heard(conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool) -> None:
        recording.add(id(conn.connection.driver_connection), sql, parameters, many)

    # SQLAlchemy ends its own transactions on the driver's commit() and rollback(), not with a statement; they
    # reach SQLite only while a transaction is open (Database may have ended it on the driver already).
    def ended(driver: Any, sql: str) -> None:
        if driver.in_transaction:
            recording.add(id(driver), sql, (), False)

    def committed(conn: Any) -> None:
        ended(conn.connection.driver_connection, "COMMIT")

    def rolled_back(conn: Any) -> None:
        ended(conn.connection.driver_connection, "ROLLBACK")

    def reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        ended(dbapi_connection, "ROLLBACK")

    def connected(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(partial(recording.ran, id(dbapi_connection)))

    sent_by_database = db_module._driver_sql

    def driver_sql(driver: Any, statement: str) -> None:
        recording.add(id(driver), statement, (), False)
        sent_by_database(driver, statement)

    engine = ctx.db.engine
    listeners = ((engine, "before_cursor_execute", heard), (engine, "commit", committed),
                 (engine, "rollback", rolled_back), (engine.pool, "reset", reset), (engine, "connect", connected))
    ctx.db.dispose()
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    db_module._driver_sql = driver_sql
    try:
        yield
    finally:
        db_module._driver_sql = sent_by_database
        for target, name, listener in listeners:
            event.remove(target, name, listener)
        ctx.db.dispose()


def snapshot(database: Path, copy: Path) -> None:
    """A consistent copy of the database as it is now (SQLite's online backup)."""
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)


def replay(database: Path, statements: list[Statement], *, trace: bool = False) -> Replayed:
    """Run the statements on `database` in their order, a sqlite3 connection per recorded connection, and time the
    counted ones. `trace`: also note what SQLite ran on each connection (which costs time: check with one replay,
    time another)."""
    connections: dict[int, sqlite3.Connection] = {}
    executed: dict[int, list[str]] = {}
    for statement in statements:  # every connection opened before the clock runs
        if statement.connection not in connections:
            connection = connections[statement.connection] = sqlite3.connect(database, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
                connection.execute(f"PRAGMA {pragma}")
            if trace:
                connection.set_trace_callback(executed.setdefault(statement.connection, []).append)
    by_kind: dict[str, float] = {}
    counted = 0
    try:
        for statement in statements:
            connection = connections[statement.connection]
            if statement.sql in ("COMMIT", "ROLLBACK") and not connection.in_transaction:
                raise ReplayError(f"{statement.sql} with no transaction open: the recording missed its BEGIN")
            started = perf_counter()
            if statement.many:
                connection.executemany(statement.sql, statement.parameters).fetchall()
            else:
                connection.execute(statement.sql, statement.parameters).fetchall()
            if statement.counted:
                kind = statement.sql.split(None, 1)[0].upper()
                by_kind[kind] = by_kind.get(kind, 0.0) + perf_counter() - started
                counted += 1
    finally:
        for connection in connections.values():
            connection.close()
    return Replayed(by_kind=by_kind, statements=counted, executed=executed)


def replayed_alike(before: Path, after: Path, recording: Recording, folder: Path) -> tuple[Replayed, bool]:
    """The recording replayed on a copy of `before`, timed, and again on another copy, traced: whether SQLite ran
    exactly what it ran while recording and the data ended as in `after`."""
    timed_copy, traced_copy = folder / f"{before.stem}-timed.db", folder / f"{before.stem}-traced.db"
    snapshot(before, timed_copy)
    snapshot(before, traced_copy)
    timed = replay(timed_copy, recording.statements)
    traced = replay(traced_copy, recording.statements, trace=True)
    alike = (_ran(traced.executed) == _ran(recording.executed)
             and state_of_the_data(traced_copy) == state_of_the_data(after)
             and state_of_the_data(timed_copy) == state_of_the_data(after))
    return timed, alike


def state_of_the_data(database: Path) -> dict[str, str]:
    """Every table's rows, in rowid order, as a digest per table: two databases with the same digests hold the
    same data."""
    with closing(sqlite3.connect(database)) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found = {}
        for table_name in tables:
            digest = hashlib.sha256()
            for row in connection.execute(f'SELECT * FROM "{table_name}" ORDER BY rowid'):
                digest.update(repr(row).encode())
            found[table_name] = digest.hexdigest()
    return found


def _ran(executed: dict[int, list[str]]) -> dict[int, list[str]]:
    return {connection: statements for connection, statements in executed.items() if statements}


# --- the transition request -------------------------------------------------------------------------------------

class TransitionRequests:
    """`POST /proposals/{id}/transitions` through the ASGI app, each proposal in turn along `CYCLE`."""

    def __init__(self, ctx: Context, prepared: Prepared) -> None:
        self.app = create_app(ctx)
        self.prepared = prepared
        self.versions = dict(prepared.proposals)
        self.steps = dict.fromkeys(self.versions, 0)

    async def one(self, proposal_id: int) -> None:
        transition, role, inputs, reason = CYCLE[self.steps[proposal_id] % len(CYCLE)]
        body = json.dumps({"transition": transition, "inputs": inputs, "reason": reason}).encode()
        path = f"/proposals/{proposal_id}/transitions"
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                 "headers": [(b"host", b"127.0.0.1"),
                             (b"authorization", f"Bearer {self.prepared.tokens[role]}".encode()),
                             (b"content-type", b"application/json"),
                             (b"if-match", f'"{self.versions[proposal_id]}"'.encode()),
                             (b"content-length", str(len(body)).encode())]}
        answer: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            answer.append(message)

        await self.app(scope, receive, send)
        if answer[0]["status"] != 200:
            raise engine.BenchError(f"{transition} on proposal {proposal_id}: HTTP {answer[0]['status']} "
                                    f"{answer[-1].get('body', b'')[:300]!r}")
        self.versions[proposal_id] += 1
        self.steps[proposal_id] += 1

    def rounds(self, count: int) -> int:
        async def run() -> int:
            for _ in range(count):
                for proposal_id in self.versions:
                    await self.one(proposal_id)
            return count * len(self.versions)
        return asyncio.run(run())


def transition_request_share(folder: Path, *, proposals: int, rounds: int) -> Share:
    if rounds < 1 or rounds % len(CYCLE):
        # The recorded and the timed rounds must fire the same mix of transitions.
        raise engine.BenchError(f"rounds must be a positive multiple of {len(CYCLE)} (the steps of the cycle)")
    prepared = prepare(folder, proposals)
    database = folder / "bench.db"
    ctx = build_context(Settings(database_url=prepared.url))
    try:
        requests = TransitionRequests(ctx, prepared)
        requests.rounds(len(CYCLE))  # warm: the app's routes, the statements' compiled forms, the connections
        snapshot(database, folder / "before.db")
        recording = Recording(on=True, counting=True)
        with recorded(ctx, recording):
            recorded_requests = requests.rounds(rounds)
        snapshot(database, folder / "recorded.db")
        started = perf_counter()
        timed_requests = requests.rounds(rounds)
        seconds = perf_counter() - started
    finally:
        ctx.close()
    return _share("transition request (POST /proposals/{id}/transitions, in process)", folder / "before.db",
                  folder / "recorded.db", recording, operations=recorded_requests,
                  whole_us=seconds / timed_requests * 1e6, folder=folder)


def _share(what: str, before: Path, after: Path, recording: Recording, *, operations: int, whole_us: float,
           folder: Path) -> Share:
    replayed, alike = replayed_alike(before, after, recording, folder)
    return Share(what=what, operations=operations, python_and_sql_us=whole_us,
                 sql_us=replayed.seconds / operations * 1e6,
                 sql_by_kind_us={kind: seconds / operations * 1e6 for kind, seconds in
                                 sorted(replayed.by_kind.items(), key=lambda item: -item[1])},
                 statements_per_operation=replayed.statements / operations, verified=alike)


# --- the engine's persisted steps -------------------------------------------------------------------------------

def _counting_fire(bench: engine.Bench, recording: Recording) -> Callable[[], None]:
    """Count what `fire` sends, not what `satisfy` writes between the steps; returns the undo."""
    service = bench.ctx.proposals
    fire = service.fire

    def counted(*args: Any, **kwargs: Any) -> Any:
        recording.counting = True
        try:
            return fire(*args, **kwargs)
        finally:
            recording.counting = False

    service.fire = counted  # type: ignore[method-assign]
    return lambda: setattr(service, "fire", fire)


def persisted_step_share(folder: Path, *, proposals: int) -> Share:
    database = folder / "engine.db"
    with engine.bench_on(database, 2 * proposals + 1) as bench:
        warm, *measured = engine.create_drafts(bench, 2 * proposals + 1)
        engine.drive_one(bench, warm)
        recorded_ids, timed_ids = measured[:proposals], measured[proposals:]
        snapshot(database, folder / "engine-before.db")
        recording = Recording(on=True)
        undo = _counting_fire(bench, recording)
        try:
            with recorded(bench.ctx, recording):
                for proposal_id in recorded_ids:
                    engine.drive_one(bench, proposal_id)
        finally:
            undo()
        snapshot(database, folder / "engine-recorded.db")
        seconds = sum(engine.drive_one(bench, proposal_id) for proposal_id in timed_ids)
        steps = len(bench.steps) * proposals
    return _share("persisted step (ProposalService.fire, bench.engine's path)", folder / "engine-before.db",
                  folder / "engine-recorded.db", recording, operations=steps, whole_us=seconds / steps * 1e6,
                  folder=folder)


# --- reporting --------------------------------------------------------------------------------------------------

def measure(folder: Path, *, proposals: int, rounds: int, engine_proposals: int) -> dict[str, Share]:
    (folder / "http").mkdir()
    (folder / "engine").mkdir()
    return {"transition_request": transition_request_share(folder / "http", proposals=proposals, rounds=rounds),
            "persisted_step": persisted_step_share(folder / "engine", proposals=engine_proposals)}


def report(shares: dict[str, Share]) -> str:
    rows = []
    for share in shares.values():
        rows.append((share.what, ""))
        rows.append(("  whole path, in process", f"{share.python_and_sql_us:,.0f} µs"))
        rows.append(("  its statements on sqlite3", f"{share.sql_us:,.0f} µs ({share.sql_fraction:.0%}), "
                                                    f"{share.statements_per_operation:.1f} statements"))
        rows.append(("  of which", ", ".join(f"{kind} {us:,.0f} µs" for kind, us in share.sql_by_kind_us.items())))
        rows.append(("  replay ran the same and left the same data", "yes" if share.verified else "NO"))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_share", description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=200, help="proposals the requests cycle through")
    parser.add_argument("--rounds", type=int, default=4,
                        help=f"requests per proposal, recorded and again timed (a multiple of {len(CYCLE)})")
    parser.add_argument("--engine-proposals", type=int, default=300, help="proposals driven along the path")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="foerderweg-bench-") as folder:
        shares = measure(Path(folder), proposals=args.proposals, rounds=args.rounds,
                         engine_proposals=args.engine_proposals)
    print(report(shares))
    if args.json:
        args.json.write_text(json.dumps({k: v.to_dict() for k, v in shares.items()}, indent=2) + "\n", "utf-8")
    return 0 if all(share.verified for share in shares.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
