"""`python -m bench --quick` runs every part and writes its table, JSON and chart (toy sizes: no timing is
asserted, only that each figure was measured, with no failed request)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import REPO

GOALS = {"http_vs_raw_sqlite", "http_vs_sqlmodel", "http_p99", "inprocess_vs_spiff", "get_p99", "sweep_seconds",
         "sweep_growth_with_all_rows", "server_rss_growth"}


@pytest.mark.slow
@pytest.mark.own_sqlite_files
@pytest.mark.usefixtures("wrk_installed")
def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]

    results = json.loads((out / "bench.json").read_text("utf-8"))
    assert results["quick"] is True
    assert set(results["floors"]) == {"sqlite3_step", "sqlmodel_step", "http_raw_sqlite", "http_sqlmodel",
                                      "http_sqlmodel_machine"}
    for name, floor in results["floors"].items():
        assert floor["per_second"] > 0, name
        if name.startswith("http_"):
            assert floor["errors"] == 0, name
    assert results["peer"]["shipped"]["steps"] == 3 * results["peer"]["shipped"]["steps_per_proposal"]
    project = results["project"]
    assert project["engine"]["verified"] is True
    assert project["http_transitions"]["requests"] > 0 and project["http_transitions"]["errors"] == 0
    assert project["read_large"]["load"]["requests"] > 0 and project["read_large"]["load"]["errors"] == 0
    assert {s["due_rows"] for s in project["sweep"].values()} == {50, 5}
    passed = project["memory"]
    assert passed["proposals"] >= 300 and passed["errors"] == 0 and passed["requests"] >= passed["proposals"]
    phases = len(passed["samples"]) - 1
    # A draft whose 201 was still on its way when a wrk phase ended stays a draft (at most one per connection).
    assert passed["submitted"] >= passed["proposals"] - 16 * phases, "every draft is submitted once its 201 came"
    assert phases >= 1 and all(s["rss_mib"] > 0 for s in passed["samples"])
    shares = project["sql_share"]
    assert set(shares) == {"transition_request", "persisted_step"}
    assert all(s["verified"] is True and 0 < s["sql_us"] < s["python_and_sql_us"] for s in shares.values())
    assert {g["key"] for g in results["goals"]} == GOALS
    budgets = {b["goal_key"]: b for b in results["budgets"]}
    assert set(budgets) == {"http_vs_raw_sqlite", "http_vs_sqlmodel", "inprocess_vs_spiff"}
    assert budgets["inprocess_vs_spiff"]["sql_us"] == shares["persisted_step"]["sql_us"]
    assert budgets["http_vs_raw_sqlite"]["sql_us"] == budgets["http_vs_sqlmodel"]["sql_us"] \
        == shares["transition_request"]["sql_us"]
    assert all(b["allowed_us"] > 0 and b["left_for_python_us"] == b["allowed_us"] - b["sql_us"]
               for b in budgets.values())
    assert all(isinstance(g["met"], bool) for g in results["goals"])

    png = (out / "bench.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    for goal in results["goals"]:
        assert goal["what"] in run.stdout, f"the table misses {goal['what']}"
