"""Steps that only set the scene of a test about something else (reminders, their delivery) tell nobody there.

Those tests count reminders, mails and webhook calls exactly; what a step tells is tested in tests/notify.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workflow.context import Context


def _tell_nobody(*args: Any) -> None:
    pass


@contextmanager
def untold_steps(ctx: Context) -> Iterator[None]:
    told = ctx.proposals.on_step
    ctx.proposals.on_step = _tell_nobody
    try:
        yield
    finally:
        ctx.proposals.on_step = told
