"""While writes wait for the database (SQLite's writer held by another program, a PostgreSQL row lock), the event
loop stays free: every route's database work runs on the thread pool, so /health answers at once meanwhile.

Before the proposals' handlers became plain `def` (issue 22), a waiting PATCH held the event loop, and /health
waited as long as the lock was held.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import sqlalchemy as sa

from tests.factories import make_world, new_draft
from tests.reliability.conftest import token_of
from tests.serving import serve
from workflow.context import Context
from workflow.people.roles import Role
from workflow.persistence.db import sqlite_file

WAITING_WRITES = 4


@contextmanager
def writer_held(ctx: Context, proposal_id: int) -> Iterator[None]:
    """Another program holds what a write of the proposal needs: SQLite's write lock, or the proposal's row."""
    database = sqlite_file(ctx.db.url)
    if database is not None:
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with ctx.db.engine.connect() as other, other.begin():
        other.execute(sa.text("SELECT id FROM proposals WHERE id = :id FOR UPDATE"), {"id": proposal_id})
        yield


def test_health_answers_while_writes_wait_for_the_database(ctx: Context, database_url: str, tmp_path: Path) -> None:
    world = make_world(ctx)
    proposal = new_draft(ctx, world)
    token = token_of(ctx, world.actor(Role.APPLICANT))
    answers: list[int] = []
    with serve(database_url, tmp_path, args=["--no-scheduler"]) as (server,), httpx.Client(
            base_url=server.url, timeout=60) as client:
        assert client.get("/health").status_code == 200

        def patch() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as own:
                answers.append(own.patch(f"/proposals/{proposal}", json={"summary": "Neu gefasst"}, headers={
                    "Authorization": f"Bearer {token}", "If-Match": '"1"'}).status_code)

        with writer_held(ctx, proposal):
            writers = [threading.Thread(target=patch) for _ in range(WAITING_WRITES)]
            for writer in writers:
                writer.start()
            time.sleep(0.3)  # the writes reach the server and wait for the database
            seconds = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get("/health").status_code == 200
                seconds.append(time.perf_counter() - started)
                time.sleep(0.02)
            assert answers == []  # all still waiting: the lock held them the whole time
        for writer in writers:
            writer.join(timeout=60)
    assert sorted(answers) == [200] + [409] * (WAITING_WRITES - 1)  # one wins, the others find version 2
    assert statistics.median(seconds) < 0.050 and max(seconds) < 0.250, seconds
