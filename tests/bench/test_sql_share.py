"""bench.sql_share replays foerderweg's own statements and SQLite runs the very same and ends with the same data,
on tiny sizes (timings never asserted): the SQL it times is the work the measured path really did. And a
recording that lost a statement is told apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import engine
from bench.sql_share import (
    Recording,
    ReplayError,
    Statement,
    persisted_step_share,
    recorded,
    replayed_alike,
    snapshot,
    transition_request_share,
)
from bench.transitions_http import prepare
from workflow.context import build_context
from workflow.people.roles import Role
from workflow.settings import Settings


@pytest.mark.own_sqlite_files
def test_a_transition_requests_statements_replayed_run_alike(tmp_path: Path) -> None:
    share = transition_request_share(tmp_path, proposals=6, rounds=2)

    assert share.verified
    assert share.operations == 12
    # BEGIN and ROLLBACK of the token's read; BEGIN IMMEDIATE, the proposal, its deadlines, the step's writes, the
    # answer's reads and COMMIT: the two steps of the cycle differ by the deadline they close or open.
    assert 12 <= share.statements_per_operation <= 24
    assert {"BEGIN", "SELECT", "UPDATE", "INSERT", "COMMIT"} <= set(share.sql_by_kind_us)
    assert share.sql_us == pytest.approx(sum(share.sql_by_kind_us.values()))
    # Both measured; which is larger is the benchmark's figure, not a test's: at this toy size, on a busy machine,
    # the replay of the SQL alone can take longer than the whole steps did.
    assert share.sql_us > 0 and share.python_and_sql_us > 0


def test_rounds_must_repeat_the_whole_cycle(tmp_path: Path) -> None:
    with pytest.raises(engine.BenchError, match="multiple of 2"):
        transition_request_share(tmp_path, proposals=2, rounds=3)


@pytest.mark.own_sqlite_files
def test_the_engines_steps_replayed_run_alike(tmp_path: Path) -> None:
    share = persisted_step_share(tmp_path, proposals=2)

    assert share.verified
    assert share.operations == 20  # two proposals, ten steps each
    # Both measured; which is larger is the benchmark's figure, not a test's: at this toy size, on a busy machine,
    # the replay of the SQL alone can take longer than the whole steps did.
    assert share.sql_us > 0 and share.python_and_sql_us > 0


@pytest.mark.own_sqlite_files
def test_a_recording_that_lost_a_statement_is_told_apart(tmp_path: Path) -> None:
    prepared = prepare(tmp_path, 2)
    ctx = build_context(Settings(database_url=prepared.url))
    recording = Recording(on=True, counting=True)
    try:
        applicant = ctx.admin.authenticate(prepared.tokens[Role.APPLICANT])
        assert applicant is not None
        snapshot(tmp_path / "bench.db", tmp_path / "before.db")
        with recorded(ctx, recording):
            for proposal_id, version in prepared.proposals:
                ctx.proposals.fire(applicant, proposal_id, "submit_proof_of_use", expected_version=version,
                                   now=datetime.now(UTC), inputs={"document": "Verwendungsnachweis.pdf"})
        snapshot(tmp_path / "bench.db", tmp_path / "after.db")
    finally:
        ctx.close()
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    for name in ("whole", "no-select", "no-insert", "no-begin"):
        (tmp_path / name).mkdir()

    _, alike = replayed_alike(before, after, recording, tmp_path / "whole")
    assert alike

    statements = recording.statements
    first_select = next(i for i, s in enumerate(statements) if s.sql.startswith("SELECT"))
    an_insert = next(i for i, s in enumerate(statements) if s.sql.startswith("INSERT"))
    a_begin = next(i for i, s in enumerate(statements) if s.sql.startswith("BEGIN"))
    # A read left out changes no data: only what SQLite ran tells it apart.
    _, alike = replayed_alike(before, after, replace(recording, statements=_without(statements, first_select)),
                              tmp_path / "no-select")
    assert not alike
    _, alike = replayed_alike(before, after, replace(recording, statements=_without(statements, an_insert)),
                              tmp_path / "no-insert")
    assert not alike
    with pytest.raises(ReplayError, match="missed its BEGIN"):
        replayed_alike(before, after, replace(recording, statements=_without(statements, a_begin)),
                       tmp_path / "no-begin")


def _without(items: list[Statement], index: int) -> list[Statement]:
    return items[:index] + items[index + 1:]
