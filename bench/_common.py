"""Measuring helpers shared by benchmarks: process memory and a plain text table."""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
# The procedure version the benchmarks walk (the paths and figures of issue 8 were measured on it).
BENCH_VERSION = 1


def peak_rss_mib() -> float:
    """Highest resident set size of this process so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float | None:
    """Resident set size now (Linux only; None elsewhere, where ru_maxrss is all we have)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / MIB


def table(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


@dataclass(frozen=True)
class Rate:
    """How fast an in-process operation ran: `operations` done in `seconds` of wall time."""

    operations: int
    seconds: float
    per_second: float
    per_op_us: float

    @classmethod
    def of(cls, operations: int, seconds: float) -> Rate:
        return cls(operations, seconds, operations / seconds, seconds / operations * 1e6)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Load:
    """What a load generator saw: completed requests, their rate and latency, and the failed ones (socket errors,
    timeouts and answers outside 2xx)."""

    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rss_mib_of(pid: int) -> float:
    """Resident set size of another process now, from /proc/PID/status (Linux only)."""
    status = Path(f"/proc/{pid}/status")
    with status.open(encoding="ascii") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                kib = int(line.split()[1])
                return kib / 1024
    # A zombie (exited, not yet reaped) has no memory lines left.
    raise ProcessLookupError(f"process {pid} has no resident memory (VmRSS) in {status}")


def settle_the_clock(ctx: Any) -> None:
    """Do now what the server's first clock tick would do (the setup's rounds have deadlines in the past), so
    that the measured load does not share the server with a catch-up sweep of the benchmark's own setup."""
    now = datetime.now(UTC)
    ctx.sweeper.close_rounds(now)
    ctx.sweeper.sweep(now)
