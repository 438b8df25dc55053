"""`python -m bench.migration` at toy sizes: the command line migrates every proposal once, shows progress, and its
memory is read (no figure is asserted: the benchmark reports them, docs/benchmark/migration.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import REPO


@pytest.mark.own_sqlite_files
def test_the_migration_benchmark_moves_every_proposal_once_with_progress(tmp_path: Path) -> None:
    out = tmp_path / "migration.json"
    run = subprocess.run([sys.executable, "-m", "bench.migration", "--proposals", "30", "450", "--json", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    small, large = json.loads(out.read_text("utf-8"))
    assert (small["proposals"], small["moved_once"]) == (30, 30)
    assert (large["proposals"], large["moved_once"]) == (450, 450)
    assert large["progress_lines"] == 3  # batches of 200: 200, 400, 450
    assert large["peak_rss_mib"] > 0
    assert "peak memory at 450 vs 30 proposals" in run.stdout
