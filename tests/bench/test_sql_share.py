"""bench.sql_share replays foerderweg's own statements and gets the same data, on tiny sizes (timings never
asserted): the SQL it times is the work the measured path really did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.sql_share import Statement, persisted_step_share, replay, state_of_the_data, transition_request_share


@pytest.mark.own_sqlite_files
def test_a_transition_requests_statements_replayed_leave_the_same_data(tmp_path: Path) -> None:
    share = transition_request_share(tmp_path, proposals=6, rounds=2)

    assert share.verified
    assert share.operations == 12
    # Token, proposal, deadlines, audit, the answer's reads, BEGIN and COMMIT: never a handful, never hundreds.
    assert 8 <= share.statements_per_operation <= 40
    assert 0 < share.sql_us < share.python_and_sql_us
    # The replay changed what the recorded requests changed: each proposal moved twice.
    before = sqlite3.connect(tmp_path / "before.db")
    try:
        assert before.execute("SELECT count(*) FROM audit_events WHERE kind = 'transition' AND reason = "
                              "'Belege zu den Personalkosten fehlen'").fetchone()[0] >= 6
    finally:
        before.close()


@pytest.mark.own_sqlite_files
def test_the_engines_steps_replayed_leave_the_same_proposals(tmp_path: Path) -> None:
    share = persisted_step_share(tmp_path, proposals=2)

    assert share.verified
    assert share.operations == 20  # two proposals, ten steps each
    assert 0 < share.sql_us < share.python_and_sql_us


def test_a_replay_that_differs_is_told_apart(tmp_path: Path) -> None:
    """The check compares real data: a replay that skips a write does not pass for the recorded run."""
    database = tmp_path / "d.db"
    setup = sqlite3.connect(database)
    setup.executescript("CREATE TABLE proposals (id INTEGER PRIMARY KEY, state TEXT, version INTEGER);"
                        "CREATE TABLE audit_events (id INTEGER PRIMARY KEY);"
                        "CREATE TABLE deadlines (id INTEGER PRIMARY KEY, status TEXT);"
                        "CREATE TABLE outbox (id INTEGER PRIMARY KEY);"
                        "INSERT INTO proposals VALUES (1, 'draft', 1);")
    setup.close()
    before = state_of_the_data(database)
    spent = replay(database, [
        Statement(1, "BEGIN IMMEDIATE", (), False, True),
        Statement(1, "UPDATE proposals SET state = ?, version = version + 1 WHERE id = ?", ("submitted", 1), False,
                  True),
        Statement(2, "SELECT count(*) FROM proposals", (), False, False),
        Statement(1, "COMMIT", (), False, True),
    ])
    assert spent > 0
    after = state_of_the_data(database)
    assert after != before
    assert after["proposals"] == (1, 2, "submitted")
