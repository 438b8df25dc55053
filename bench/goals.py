"""The issue's performance goals, each a figure of one benchmark run compared with its target.

Every rate goal is a ratio against a floor or peer measured in the same run, so that the machine's speed of the
day cancels out; latency and duration goals are absolute, as the issue states them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Goal:
    key: str
    what: str
    value: float
    target: float
    direction: Literal["at_least", "at_most"]
    unit: str  # "×" for ratios, "ms", "s", "MiB"

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.direction == "at_least" else self.value <= self.target

    @property
    def attainment(self) -> float:
        """How far to the goal: 1.0 is exactly met, above 1 better than asked, below 1 short of it."""
        if self.direction == "at_least":
            return self.value / self.target
        return self.target / self.value if self.value > 0 else float("inf")

    def shown(self) -> str:
        sign = "≥" if self.direction == "at_least" else "≤"
        return f"{_number(self.value)} {self.unit} (goal {sign} {_number(self.target)} {self.unit})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met, "attainment": self.attainment}


def _number(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def goals_of(results: dict[str, Any]) -> list[Goal]:
    """The goals from a run's results (see bench/__main__.py for the shape)."""
    floors, project, peer = results["floors"], results["project"], results["peer"]
    http = project["http_transitions"]
    sweep = project["sweep"]
    read = project["read_large"]
    passed = project["memory"]
    return [
        Goal("http_vs_raw_sqlite", "HTTP transitions / raw-sqlite HTTP floor", http["per_second"]
             / floors["http_raw_sqlite"]["per_second"], 0.5, "at_least", "×"),
        Goal("http_vs_sqlmodel", "HTTP transitions / plain-SQLModel HTTP floor", http["per_second"]
             / floors["http_sqlmodel"]["per_second"], 1.6, "at_least", "×"),
        Goal("http_p99", "HTTP transitions p99 at 16 connections", http["p99_ms"], 20, "at_most", "ms"),
        Goal("inprocess_vs_spiff", "in-process persisted steps / SpiffWorkflow persisted steps",
             project["engine"]["transitions_per_second"] / peer["shipped"]["per_second"], 10, "at_least", "×"),
        Goal("get_p99", f"GET /proposals/{{id}} p99 at 16 connections, {read['proposals']:,} proposals, "
                        f"{read['audit_rows']:,} audit rows", read["load"]["p99_ms"], 10, "at_most", "ms"),
        Goal("sweep_seconds", f"sweep of {sweep['large']['due_rows']:,} due among "
                              f"{sweep['large']['total_rows']:,} deadline rows", sweep["large"]["sweep_seconds"],
             1.0, "at_most", "s"),
        # Ten times the rows at the same due count should cost about the same: the sweep follows the due rows.
        Goal("sweep_growth_with_all_rows", "sweep time, 10× the rows at the same due count",
             sweep["large"]["sweep_seconds"] / sweep["small"]["sweep_seconds"], 1.5, "at_most", "×"),
        # Flat: what the server holds after the first tenth of the proposals may not grow with the rest.
        Goal("server_rss_growth", f"server RSS growth while {passed['proposals']:,} proposals pass through "
                                  "(first tenth to end)", max(0.0, passed["growth_mib"]), 20, "at_most", "MiB"),
    ]


@dataclass(frozen=True)
class Budget:
    """What a rate goal allows per operation, set beside what the operation's own SQL alone takes (bench.sql_share):
    the difference is all the Python there may be, framework, rules, rows and answer together."""

    goal_key: str
    what: str
    allowed_us: float  # per operation at exactly the goal's rate
    sql_us: float  # the operation's statements replayed on sqlite3
    taken_us: float  # per operation now (for HTTP, at 16 connections: 1 / the rate)

    @property
    def left_for_python_us(self) -> float:
        return self.allowed_us - self.sql_us

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "left_for_python_us": self.left_for_python_us}


def budgets_of(results: dict[str, Any]) -> list[Budget]:
    """The ratio goals as time per operation. The server answers one request at a time, so at 16 connections a
    rate of r requests per second is 1/r seconds of the server per request, HTTP and framework included."""
    floors, project, peer = results["floors"], results["project"], results["peer"]
    shares = project["sql_share"]
    request_sql, step_sql = shares["transition_request"]["sql_us"], shares["persisted_step"]["sql_us"]
    http_taken = 1e6 / project["http_transitions"]["per_second"]
    return [
        Budget("http_vs_raw_sqlite", "a transition request at 0.5 × the raw-sqlite HTTP floor",
               1e6 / (0.5 * floors["http_raw_sqlite"]["per_second"]), request_sql, http_taken),
        Budget("http_vs_sqlmodel", "a transition request at 1.6 × the plain-SQLModel HTTP floor",
               1e6 / (1.6 * floors["http_sqlmodel"]["per_second"]), request_sql, http_taken),
        Budget("inprocess_vs_spiff", "a persisted step at 10 × SpiffWorkflow's rate",
               1e6 / (10 * peer["shipped"]["per_second"]), step_sql,
               1e6 / project["engine"]["transitions_per_second"]),
    ]
