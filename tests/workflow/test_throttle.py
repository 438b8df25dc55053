"""Failed sign-ins slow the next ones down, per account and per client address (time is a parameter)."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from workflow.context import Context
from workflow.throttle import FAILURES, Attempt, SignInThrottle, Throttled, ThrottlePolicy

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(account_free=5, client_free=20, window=timedelta(minutes=15), max_delay_seconds=900)


@pytest.fixture
def throttle(ctx: Context) -> SignInThrottle:
    return SignInThrottle(ctx.db, POLICY)


def fail(throttle: SignInThrottle, attempt: Attempt, times: int, at: datetime) -> None:
    """`times` failures at `at`, as if each had been let through (a crowd of them, or a delay ignored)."""
    with throttle.db.write() as session:
        session.execute(sa.insert(FAILURES), [{"key": key, "failed_at": at} for key in attempt.counters()] * times)


def wait_of(throttle: SignInThrottle, attempt: Attempt, at: datetime) -> int:
    """How long the next attempt would have to wait (counting nothing)."""
    return math.ceil(throttle.waiting(attempt, now=at))


def test_the_delay_doubles_after_the_free_failures_up_to_the_ceiling() -> None:
    assert [POLICY.delay(n, 5) for n in (0, 4, 5, 6, 7, 10, 14, 40, 10_000)] == [0, 0, 1, 2, 4, 32, 512, 900, 900]


def test_five_failures_are_free_then_each_attempt_waits_longer(throttle: SignInThrottle) -> None:
    anna = Attempt(email="anna@example.org", client="192.0.2.1")
    fail(throttle, anna, 4, NOW)
    assert wait_of(throttle, anna, NOW) == 0
    fail(throttle, anna, 1, NOW)
    assert wait_of(throttle, anna, NOW) == 1
    assert wait_of(throttle, anna, NOW + timedelta(seconds=1)) == 0
    fail(throttle, anna, 1, NOW + timedelta(seconds=1))
    assert wait_of(throttle, anna, NOW + timedelta(seconds=1)) == 2
    fail(throttle, anna, 4, NOW + timedelta(seconds=3))
    assert wait_of(throttle, anna, NOW + timedelta(seconds=3)) == 32


def test_the_account_counts_from_every_address_and_the_address_for_every_account(throttle: SignInThrottle) -> None:
    for n in range(5):  # one account from five addresses
        fail(throttle, Attempt(email="Anna@Example.org ", client=f"198.51.100.{n}"), 1, NOW)
    assert wait_of(throttle, Attempt(email="anna@example.org", client="203.0.113.9"), NOW) == 1
    assert wait_of(throttle, Attempt(email="bernd@example.org", client="203.0.113.9"), NOW) == 0
    for n in range(20):  # twenty accounts from one address
        fail(throttle, Attempt(email=f"person{n}@example.org", client="203.0.113.50"), 1, NOW)
    assert wait_of(throttle, Attempt(email="carla@example.org", client="203.0.113.50"), NOW) == 1
    assert wait_of(throttle, Attempt(email=None, client="203.0.113.50"), NOW) == 1  # a token sign-in too
    assert wait_of(throttle, Attempt(email="carla@example.org", client="203.0.113.51"), NOW) == 0


def test_failures_leave_the_window_and_their_rows_are_forgotten(ctx: Context, throttle: SignInThrottle) -> None:
    anna = Attempt(email="anna@example.org", client="192.0.2.1")
    fail(throttle, anna, 12, NOW)
    assert wait_of(throttle, anna, NOW + timedelta(minutes=14)) == 0  # 128 s delay long over
    fail(throttle, anna, 1, NOW + timedelta(minutes=14))
    assert wait_of(throttle, anna, NOW + timedelta(minutes=14)) == 256  # 13 failures in the window
    later = NOW + timedelta(minutes=30)
    throttle.start(Attempt(email="bernd@example.org", client=None), now=later)  # a new attempt sweeps the old
    with ctx.db.read() as session:
        left = session.execute(sa.select(sa.func.count()).select_from(FAILURES)).scalar_one()
    assert left == 1  # only bernd's; anna's left the window and were deleted
    assert wait_of(throttle, anna, later) == 0


def test_a_success_forgets_the_account_but_not_the_address(throttle: SignInThrottle) -> None:
    anna = Attempt(email="anna@example.org", client="203.0.113.50")
    fail(throttle, anna, 4, NOW)
    for n in range(16):
        fail(throttle, Attempt(email=f"person{n}@example.org", client="203.0.113.50"), 1, NOW)
    assert wait_of(throttle, anna, NOW) == 1  # the address's 20 failures
    throttle.succeeded(throttle.start(Attempt(email="anna@example.org", client="192.0.2.1"), now=NOW))
    assert wait_of(throttle, Attempt(email="anna@example.org", client="192.0.2.1"), NOW) == 0
    assert wait_of(throttle, anna, NOW) == 1  # the address's 20 failures stand


def test_an_attempt_let_through_counts_at_once_so_a_waiting_crowd_gets_one_try(throttle: SignInThrottle) -> None:
    """Attempts sent at the same moment see each other: when the delay runs out, the first is let through and
    the others must wait again, before the first's password was even checked."""
    anna = Attempt(email="anna@example.org", client=None)
    fail(throttle, anna, 5, NOW)
    with pytest.raises(Throttled) as refused:
        throttle.start(anna, now=NOW)
    assert refused.value.retry_after == 1
    later = NOW + timedelta(seconds=1)
    first = throttle.start(anna, now=later)  # let through, its check still running
    with pytest.raises(Throttled) as second:
        throttle.start(anna, now=later)
    assert second.value.retry_after == 2
    throttle.succeeded(first)  # the right password after all: the account's count is gone
    assert wait_of(throttle, anna, later) == 0


def test_failures_and_refusals_are_security_log_lines_without_the_address_typed(
        throttle: SignInThrottle, caplog: pytest.LogCaptureFixture) -> None:
    anna = Attempt(email="anna@example.org", client="192.0.2.1")
    with caplog.at_level(logging.INFO, logger="foerderweg.security"):
        for _ in range(5):
            throttle.failed(throttle.start(anna, now=NOW), user_id=None, how="with the password",
                            reason="wrong password")
        with pytest.raises(Throttled):
            throttle.start(anna, now=NOW)
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("sign_in_failed") == 5 and events.count("sign_in_throttled") == 1
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert "anna@example.org" not in caplog.text
