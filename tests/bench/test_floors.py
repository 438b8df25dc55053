"""The floors run and do what they claim (tiny sizes; timings are never asserted here)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bench._common import Rate, rss_mib_of
from bench.floors.http import STEP_BODY, floor_server, http_floor
from bench.floors.inprocess import WARM_UP_STEPS, sqlite3_step, sqlmodel_step
from bench.floors.schema import PROPOSALS, create_database
from bench.wrk import post_json_script, run_wrk


def written(database: Path) -> tuple[int, int, set[str]]:
    """Audit rows, the sum of the proposals' versions, and the states they are in."""
    with sqlite3.connect(database) as connection:
        audit_rows = connection.execute("SELECT count(*) FROM audit").fetchone()[0]
        versions = connection.execute("SELECT sum(version) FROM proposals").fetchone()[0]
        states = {row[0] for row in connection.execute("SELECT DISTINCT state FROM proposals")}
    connection.close()
    return audit_rows, versions, states


@pytest.mark.parametrize(("floor", "database"), [(sqlite3_step, "floor-sqlite3.db"),
                                                 (sqlmodel_step, "floor-sqlmodel.db")])
def test_in_process_floor_moves_the_rows(tmp_path: Path, floor: Callable[..., Rate], database: str) -> None:
    rate = floor(tmp_path, steps=120)

    assert rate.operations == 120
    assert rate.seconds > 0 and rate.per_second > 0 and rate.per_op_us > 0
    # Every step (the untimed warm-up ones too) counted one version up and wrote one audit row.
    assert written(tmp_path / database) == (WARM_UP_STEPS + 120, WARM_UP_STEPS + 120, {"draft", "submitted"})


@pytest.mark.slow
@pytest.mark.usefixtures("wrk_installed")
def test_http_floor_under_wrk_answers_every_request(tmp_path: Path) -> None:
    load = http_floor("raw_sqlite", tmp_path, duration_s=1, connections=4)

    assert load.requests > 0 and load.per_second > 0
    assert load.errors == 0
    assert 0 < load.p50_ms <= load.p90_ms <= load.p99_ms
    audit_rows, versions, _ = written(tmp_path / "floor-http-raw_sqlite.db")
    assert audit_rows == versions >= load.requests


@pytest.mark.slow
@pytest.mark.usefixtures("wrk_installed")
def test_answers_outside_2xx_count_as_errors(tmp_path: Path) -> None:
    database = create_database(tmp_path / "floor.db")
    # A missing proposal (404) and a trailing slash (FastAPI redirects it: 307, which wrk itself does not count).
    script = post_json_script(tmp_path, paths=[f"/proposals/{PROPOSALS + 1}/step", "/proposals/1/step/"],
                              body=STEP_BODY)
    with floor_server("raw_sqlite", database) as server:
        assert rss_mib_of(server.pid) > 0
        load = run_wrk(server.url, script=script, duration_s=1, connections=2)

    assert load.requests > 0
    assert load.errors == load.requests


def test_load_goes_only_to_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_wrk("http://192.0.2.1:8000/", script=None, duration_s=1)
