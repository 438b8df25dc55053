"""SQLite's WAL is copied back by a thread of its own, not inside the COMMIT of a step."""

from __future__ import annotations

import threading

import pytest

from tests.factories import AFTER_CLOSE, make_world, proposal_in
from workflow.context import Context
from workflow.roles import Role


@pytest.fixture
def sqlite_file(ctx: Context) -> Context:
    if ctx.db.dialect != "sqlite":
        pytest.skip("PostgreSQL has no write-ahead log to copy back")
    return ctx


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "foerderweg-wal-checkpoints"]


def test_the_writer_leaves_checkpoints_to_the_thread_which_copies_every_frame(sqlite_file: Context) -> None:
    ctx = sqlite_file
    before = len(checkpoint_threads())
    world = make_world(ctx)
    proposal_id, version = proposal_in(ctx, world, "in_review")
    writer = ctx.db._writer  # the writer's own setting is what keeps checkpoints out of its COMMITs
    assert writer is not None
    driver = writer.connection.driver_connection
    assert driver is not None
    assert driver.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert len(checkpoint_threads()) == before + 1

    checkpointer = ctx.db._checkpointer
    assert checkpointer is not None
    busy, log, copied = checkpointer.checkpoint()
    assert (busy, copied) == (0, log) and log > 0, "every frame the steps wrote is copied back"
    assert checkpointer.checkpoint() == (0, log, log), "nothing new: nothing more to copy"
    # The data is all there after the copy.
    assert ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=AFTER_CLOSE).version == version

    ctx.db.dispose()
    assert len(checkpoint_threads()) == before, "the thread stops with the database"
