"""How much of foerderweg's time is SQL: its own statements, recorded and replayed on the bare sqlite3 driver.

    python -m bench.sql_share [--proposals N] [--rounds R] [--json OUT]

Two paths, each run once to record every statement it sends (with its parameters as the driver got them, and
BEGIN, COMMIT and ROLLBACK, per connection) and once more, unrecorded, to time it:

- a transition request (`POST /proposals/{id}/transitions`, the path of `bench.transitions_http`) through the
  ASGI app in process: bearer token, role, If-Match, rules, deadlines, audit, outbox and the new representation;
- the persisted steps of `bench.engine` (`ProposalService.fire` along saxony-regional's happy path); what a step's
  rules wait for (scores, answers) is written between the steps, replayed too, but not counted.

The recording is then replayed statement by statement on a copy of the database taken before it, with one sqlite3
connection per recorded connection, WAL and synchronous=NORMAL as the service has them. The replay must leave the
same proposals, audit rows, deadlines and outbox rows as the recorded run (checked), so its time is the time the
database itself needs for exactly this work: what no Python above the driver can save. The rest of the request is
Python: the framework, the service, SQLAlchemy's parameters and rows, the answer. The performance issue's ratio
goals meet this bound: README "Performance" sets the two side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import event

import workflow.db as db_module
from api.app import create_app
from bench import engine
from bench._common import table
from bench.transitions_http import CYCLE, Prepared, prepare
from workflow.context import Context, build_context
from workflow.settings import Settings

# What the replay must reproduce: a fingerprint of every table a step writes.
STATE_OF_THE_DATA = {
    "proposals": "SELECT count(*), coalesce(sum(version), 0), group_concat(state, ',') FROM "
                 "(SELECT version, state FROM proposals ORDER BY id)",
    "audit_events": "SELECT count(*), coalesce(max(id), 0) FROM audit_events",
    "deadlines": "SELECT count(*), coalesce(sum(status = 'open'), 0) FROM deadlines",
    "outbox": "SELECT count(*) FROM outbox",
}


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
    counting: bool = False
    on: bool = False

    def add(self, connection: int, sql: str, parameters: Any, many: bool) -> None:
        if self.on:
            self.statements.append(Statement(connection, sql, parameters, many, self.counting))


@dataclass(frozen=True)
class Share:
    what: str
    operations: int
    python_and_sql_us: float  # per operation, the whole path in process
    sql_us: float  # per operation, the same statements replayed on sqlite3
    statements_per_operation: float
    verified: bool

    @property
    def sql_fraction(self) -> float:
        return self.sql_us / self.python_and_sql_us

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sql_fraction": self.sql_fraction}


@contextmanager
def recorded(ctx: Context, recording: Recording) -> Iterator[None]:
    """Every statement of `ctx`'s database into `recording`, those that SQLAlchemy sends and those that Database
    and the driver path send themselves (BEGIN, COMMIT, ROLLBACK)."""

    def heard(conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool) -> None:
        recording.add(id(conn.connection.driver_connection), sql, parameters, many)

    # SQLAlchemy ends its own transactions on the driver's commit() and rollback(), not with a statement.
    def committed(conn: Any) -> None:
        recording.add(id(conn.connection.driver_connection), "COMMIT", (), False)

    def rolled_back(conn: Any) -> None:
        recording.add(id(conn.connection.driver_connection), "ROLLBACK", (), False)

    def reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        recording.add(id(dbapi_connection), "ROLLBACK", (), False)

    sent_by_database = db_module._driver_sql

    def driver_sql(driver: Any, statement: str) -> None:
        recording.add(id(driver), statement, (), False)
        sent_by_database(driver, statement)

    listeners = ((ctx.db.engine, "before_cursor_execute", heard), (ctx.db.engine, "commit", committed),
                 (ctx.db.engine, "rollback", rolled_back), (ctx.db.engine.pool, "reset", reset))
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    db_module._driver_sql = driver_sql
    try:
        yield
    finally:
        db_module._driver_sql = sent_by_database
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def snapshot(database: Path, copy: Path) -> None:
    """A consistent copy of the database as it is now (SQLite's online backup)."""
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()


def replay(database: Path, statements: list[Statement]) -> float:
    """Run the statements on `database` in their order, a sqlite3 connection per recorded connection; returns the
    seconds the counted ones took."""
    connections: dict[int, sqlite3.Connection] = {}

    def connection_for(recorded_id: int) -> sqlite3.Connection:
        if recorded_id not in connections:
            connection = connections[recorded_id] = sqlite3.connect(database, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
                connection.execute(f"PRAGMA {pragma}")
        return connections[recorded_id]

    for statement in statements:  # every connection opened before the clock runs
        connection_for(statement.connection)
    spent = 0.0
    try:
        for statement in statements:
            connection = connections[statement.connection]
            if statement.sql in ("COMMIT", "ROLLBACK") and not connection.in_transaction:
                continue  # SQLAlchemy's end of a transaction that Database had already ended on the driver
            started = perf_counter()
            if statement.many:
                connection.executemany(statement.sql, statement.parameters).fetchall()
            else:
                connection.execute(statement.sql, statement.parameters).fetchall()
            if statement.counted:
                spent += perf_counter() - started
    finally:
        for connection in connections.values():
            connection.close()
    return spent


def state_of_the_data(database: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        found = {name: tuple(connection.execute(sql).fetchone()) for name, sql in STATE_OF_THE_DATA.items()}
    connection.close()
    return found


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
    prepared = prepare(folder, proposals)
    database = folder / "bench.db"
    ctx = build_context(Settings(database_url=prepared.url))
    try:
        requests = TransitionRequests(ctx, prepared)
        requests.rounds(1)  # warm: the app's routes, the statements' compiled forms, the connections
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
    sql_seconds = replay(folder / "before.db", recording.statements)
    return Share(what="transition request (POST /proposals/{id}/transitions, in process)",
                 operations=recorded_requests, python_and_sql_us=seconds / timed_requests * 1e6,
                 sql_us=sql_seconds / recorded_requests * 1e6,
                 statements_per_operation=len(recording.statements) / recorded_requests,
                 verified=state_of_the_data(folder / "before.db") == state_of_the_data(folder / "recorded.db"))


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
        seconds = sum(engine.drive_one(bench, proposal_id) for proposal_id in timed_ids)
        steps = len(bench.steps) * proposals
    sql_seconds = replay(folder / "engine-before.db", recording.statements)
    counted = sum(1 for s in recording.statements if s.counted)
    verified = _same_for(folder / "engine-before.db", database, recorded_ids)
    return Share(what="persisted step (ProposalService.fire, bench.engine's path)", operations=steps,
                 python_and_sql_us=seconds / steps * 1e6, sql_us=sql_seconds / steps * 1e6,
                 statements_per_operation=counted / steps, verified=verified)


def _same_for(replayed: Path, recorded: Path, proposal_ids: list[int]) -> bool:
    """The recorded proposals stand where the replay left them, with the same audit trails."""
    query = ("SELECT p.id, p.state, p.version, (SELECT count(*) FROM audit_events a WHERE a.proposal_id = p.id), "
             "(SELECT count(*) FROM deadlines d WHERE d.proposal_id = p.id AND d.status = 'open') "
             "FROM proposals p WHERE p.id BETWEEN ? AND ? ORDER BY p.id")
    bounds = (min(proposal_ids), max(proposal_ids))
    found = []
    for path in (replayed, recorded):
        with sqlite3.connect(path) as connection:
            found.append(connection.execute(query, bounds).fetchall())
        connection.close()
    return found[0] == found[1] and len(found[0]) == len(proposal_ids)


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
        rows.append(("  replay left the same data", "yes" if share.verified else "NO"))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_share", description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=200, help="proposals the requests cycle through")
    parser.add_argument("--rounds", type=int, default=4, help="requests per proposal, recorded and again timed")
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
