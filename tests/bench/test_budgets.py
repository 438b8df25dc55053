"""The ratio goals as time per operation, beside the operation's own SQL (bench.goals.budgets_of)."""

from __future__ import annotations

import pytest

from bench.goals import budgets_of

RESULTS = {
    "floors": {"http_raw_sqlite": {"per_second": 4000.0}, "http_sqlmodel": {"per_second": 1250.0}},
    "peer": {"shipped": {"per_second": 500.0}},
    "project": {
        "http_transitions": {"per_second": 800.0},
        "engine": {"transitions_per_second": 2000.0},
        "sql_share": {"transition_request": {"sql_us": 210.0}, "persisted_step": {"sql_us": 190.0}},
    },
}


def test_each_ratio_goal_becomes_the_time_it_allows_per_operation() -> None:
    budgets = {b.goal_key: b for b in budgets_of(RESULTS)}

    # 0.5 × 4,000 req/s = 2,000 req/s: 500 µs of the server per request.
    assert budgets["http_vs_raw_sqlite"].allowed_us == pytest.approx(500)
    # 1.6 × 1,250 req/s = 2,000 req/s: the same 500 µs.
    assert budgets["http_vs_sqlmodel"].allowed_us == pytest.approx(500)
    # 10 × 500 steps/s = 5,000 steps/s: 200 µs per step.
    assert budgets["inprocess_vs_spiff"].allowed_us == pytest.approx(200)


def test_what_is_left_for_python_is_the_allowance_less_the_sql() -> None:
    budgets = {b.goal_key: b for b in budgets_of(RESULTS)}

    assert budgets["http_vs_raw_sqlite"].left_for_python_us == pytest.approx(500 - 210)
    assert budgets["http_vs_raw_sqlite"].taken_us == pytest.approx(1250)  # 800 req/s now
    # An allowance hardly above the SQL it needs leaves almost nothing for the Python around it.
    step = budgets["inprocess_vs_spiff"]
    assert step.left_for_python_us == pytest.approx(10)
    assert step.taken_us == pytest.approx(500)
    assert step.to_dict()["left_for_python_us"] == pytest.approx(10)
