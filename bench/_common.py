"""Measuring helpers shared by benchmarks: process memory and a plain text table."""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Sequence

MIB = 1024 * 1024


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
