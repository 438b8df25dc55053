"""The run as a PNG: how far each goal is met, and the request rates of the floors beside the project's."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt

from bench.goals import Goal


def draw(results: dict[str, Any], goals: list[Goal], path: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 7.5), gridspec_kw={"width_ratios": [1.25, 1]})
    _goals(left, goals)
    _rates(right, results)
    machine = results["machine"]
    figure.suptitle(f"foerderweg benchmark, {machine['date']} — {machine['cpus']} cores, Python "
                    f"{machine['python']}; every ratio measured in the same run", fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _goals(axes: Any, goals: list[Goal]) -> None:
    names = [textwrap.fill(g.what, 34) for g in goals][::-1]
    values = [min(max(g.attainment, 0.01), 100) for g in goals][::-1]
    met = [g.met for g in goals][::-1]
    bars = axes.barh(names, values, color=["#2e7d32" if m else "#c62828" for m in met])
    for bar, goal in zip(bars, goals[::-1], strict=True):
        # The words say met or missed; the colour only repeats it.
        axes.text(bar.get_width() * 1.08, bar.get_y() + bar.get_height() / 2,
                  f"{'met' if goal.met else 'missed'}: {goal.shown()}", va="center", fontsize=7.5)
    axes.axvline(1.0, color="black", linestyle="--", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlim(0.01, 1000)
    axes.set_xlabel("attainment (1 = goal exactly met; log scale)")
    axes.set_title("Goals of the performance issue", fontsize=10)
    axes.tick_params(axis="y", labelsize=7.5)


def _rates(axes: Any, results: dict[str, Any]) -> None:
    floors, project = results["floors"], results["project"]
    rows = [
        ("floor: raw sqlite3 write", floors["http_raw_sqlite"]["per_second"], "#9e9e9e"),
        ("floor: SQLModel write", floors["http_sqlmodel"]["per_second"], "#9e9e9e"),
        ("floor: SQLModel + Machine per request", floors["http_sqlmodel_machine"]["per_second"], "#9e9e9e"),
        ("foerderweg: transition (all of it)", project["http_transitions"]["per_second"], "#1565c0"),
        ("foerderweg: GET /proposals/{id}, large db", project["read_large"]["load"]["per_second"], "#1565c0"),
    ][::-1]
    bars = axes.barh([r[0] for r in rows], [r[1] for r in rows], color=[r[2] for r in rows])
    for bar, row in zip(bars, rows, strict=True):
        axes.text(bar.get_width() * 1.02, bar.get_y() + bar.get_height() / 2, f"{row[1]:,.0f}/s", va="center",
                  fontsize=8)
    axes.set_xlabel("requests/s over HTTP (wrk, 16 connections, same 2 cores)")
    axes.set_title("HTTP: floors and foerderweg", fontsize=10)
    axes.set_xlim(0, max(r[1] for r in rows) * 1.25)
    axes.tick_params(axis="y", labelsize=8)
