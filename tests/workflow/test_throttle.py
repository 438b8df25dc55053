"""Failed sign-ins slow the next ones down, per account and per client address (time is a parameter)."""

from __future__ import annotations

import logging
import math
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from workflow.context import Context
from workflow.people.store import FAILURES
from workflow.people.throttle import Attempt, SignInThrottle, Throttled, ThrottlePolicy
from workflow.persistence.db import Database

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(pair_free=5, client_free=20, account_free=50, window=timedelta(minutes=15),
                        max_delay_seconds=900)


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


def test_a_guesser_elsewhere_does_not_lock_the_owner_out(throttle: SignInThrottle) -> None:
    guesser, owner = (Attempt(email="anna@example.org", client=c) for c in ("203.0.113.9", "192.0.2.1"))
    fail(throttle, guesser, 5, NOW)
    assert wait_of(throttle, guesser, NOW) == 1
    assert wait_of(throttle, owner, NOW) == 0
    assert wait_of(throttle, Attempt(email="ANNA@example.org ", client="203.0.113.9"), NOW) == 1  # one account


def test_many_addresses_at_one_account_and_one_address_at_many_accounts_wait(throttle: SignInThrottle) -> None:
    for n in range(50):  # one account from fifty addresses
        fail(throttle, Attempt(email="Anna@Example.org ", client=f"198.51.100.{n}"), 1, NOW)
    assert wait_of(throttle, Attempt(email="anna@example.org", client="192.0.2.1"), NOW) == 1
    assert wait_of(throttle, Attempt(email="bernd@example.org", client="192.0.2.1"), NOW) == 0
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
    assert left == 1  # only bernd's (no address: one counter); anna's left the window and were deleted
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
    anna = Attempt(email="anna@example.org", client="192.0.2.1")
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


def test_attempts_at_the_same_moment_take_turns_on_the_count(ctx: Context) -> None:
    """Eight attempts released together when a delay ran out: one is let through, on SQLite (one writer) and on
    PostgreSQL (the counters' turn), each through its own instance's connections."""
    instances = [SignInThrottle(Database(ctx.db.url), POLICY) for _ in range(4)]
    anna = Attempt(email="anna@example.org", client="192.0.2.1")
    fail(instances[0], anna, 5, NOW)
    later = NOW + timedelta(seconds=1)
    start = threading.Barrier(8)
    let_through: list[bool] = []

    def attempt(throttle: SignInThrottle) -> None:
        start.wait(timeout=30)
        try:
            throttle.start(anna, now=later)
            let_through.append(True)
        except Throttled:
            let_through.append(False)

    threads = [threading.Thread(target=attempt, args=(instances[n % 4],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for throttle in instances:
        throttle.db.dispose()
    assert sorted(let_through) == [False] * 7 + [True]
