"""Several calls released at the same moment, each in its own thread, as concurrent requests would arrive."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def at_once(calls: Sequence[Callable[[], str]], timeout: float = 60) -> list[str]:
    """Run the calls together (a barrier releases them at once); their outcomes, in the order of the calls."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], str]) -> None:
        barrier.wait()
        outcomes[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    finished = [o for o in outcomes if o is not None]
    assert len(finished) == len(calls), f"only {len(finished)} of {len(calls)} calls finished (see thread errors)"
    return finished
