"""The big-database read benchmark runs and does what it claims, on a tiny database (timings never asserted)."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from bench.read_large import PREFIX, TO_STATE, history, measure, plan_lengths


def test_histories_walk_a_connected_path_of_the_asked_length() -> None:
    for state in TO_STATE:
        steps = history(state, 12)
        assert len(steps) == 12
        assert steps[0] == PREFIX[0] and steps[-1][4] == state
        # Each step starts where the one before it ended.
        assert all(later[3] == earlier[4] for earlier, later in itertools.pairwise(steps))


def test_lengths_add_up_and_never_cut_a_path_short() -> None:
    states = ["closed", "in_review", "closed", "approved"]
    lengths = plan_lengths(states, 34)
    assert sum(lengths) == 34
    assert all(n >= len(PREFIX) + len(TO_STATE[s]) for n, s in zip(lengths, states, strict=True))


@pytest.mark.slow
@pytest.mark.usefixtures("wrk_installed")
def test_reads_random_proposals_of_the_generated_database(tmp_path: Path) -> None:
    figures = measure(tmp_path, proposals=200, audit_rows=2_000, seconds=1, connections=4)

    assert figures.proposals == 200 and figures.audit_rows == 2_000
    assert figures.load.requests > 0 and figures.load.errors == 0
    assert figures.one_at_a_time.requests > 0 and figures.one_at_a_time.errors == 0
    assert 0 < figures.distinct_ids_expected <= 200
    assert figures.rss_before_mib > 0 and figures.rss_after_mib > 0
    with sqlite3.connect(tmp_path / "large.db") as connection:
        versions = connection.execute("SELECT sum(version) FROM proposals").fetchone()[0]
        last_seq = connection.execute("SELECT sum(m) FROM (SELECT max(seq) m FROM audit_events GROUP BY proposal_id)"
                                      ).fetchone()[0]
    connection.close()
    # Every proposal's version is the last position of its audit trail.
    assert versions == last_seq == 2_000
