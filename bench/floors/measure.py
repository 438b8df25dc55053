"""All five floors in one call, for `python -m bench.floors` and for the project's benchmark to compare against."""

from __future__ import annotations

from pathlib import Path

from bench._common import Load, Rate
from bench.floors.http import http_floor
from bench.floors.http_apps import APPS
from bench.floors.inprocess import sqlite3_step, sqlmodel_step

LABELS = {
    "sqlite3_step": "sqlite3: UPDATE + audit INSERT per transaction",
    "sqlmodel_step": "SQLModel session: get + modify + audit + commit",
    "http_raw_sqlite": "HTTP: raw sqlite3 write per request",
    "http_sqlmodel": "HTTP: SQLModel write per request",
    "http_sqlmodel_machine": "HTTP: SQLModel + Machine built per request",
}


def measure_floors(folder: Path, *, duration_s: float = 10, connections: int = 16, sqlite3_steps: int = 50_000,
                   sqlmodel_steps: int = 5_000) -> dict[str, Rate | Load]:
    """The floors keyed as in LABELS: two in-process rates, then three HTTP loads (each `duration_s` long)."""
    floors: dict[str, Rate | Load] = {
        "sqlite3_step": sqlite3_step(folder, steps=sqlite3_steps),
        "sqlmodel_step": sqlmodel_step(folder, steps=sqlmodel_steps),
    }
    for name in APPS:
        floors[f"http_{name}"] = http_floor(name, folder, duration_s=duration_s, connections=connections)
    return floors


def describe(floor: Rate | Load) -> str:
    if isinstance(floor, Rate):
        return f"{floor.per_second:>9,.0f}/s       {floor.per_op_us:8.1f} µs per step"
    return (f"{floor.per_second:>9,.0f} req/s   p50 {floor.p50_ms:6.1f} ms  p90 {floor.p90_ms:6.1f} ms  "
            f"p99 {floor.p99_ms:6.1f} ms  errors {floor.errors}")
