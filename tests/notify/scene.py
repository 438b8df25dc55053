"""Steps that only set the scene of a test about something else (reminders, their delivery) tell nobody there.

Those tests count reminders, mails and webhook calls exactly; what a step tells is tested in tests/notify.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from workflow.context import Context


class _TellNobody:
    def write(self, *args: Any, **kwargs: Any) -> int:
        return 0


@contextmanager
def untold_steps(ctx: Context) -> Iterator[None]:
    """While inside, the context's steps are taken with a notifier that writes nothing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ctx.proposals, "notifier", _TellNobody())
        yield
