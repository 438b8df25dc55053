"""Failed sign-ins slow the next ones down: per account and per client address, across every instance.

A few failures are free (people mistype); after that each further attempt must wait a delay that doubles with
every failure, up to a ceiling, and an attempt made while it must wait is refused without its password being
checked (`Throttled`, HTTP 429 with Retry-After). The failures are rows in the database, so several instances
share them; only hashes of the account's e-mail and of the address are kept, and only for the window.
A success forgets the account's failures (not the address's: one valid account must not reset a sprayer's count).
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from workflow.errors import DomainError
from workflow.people import store
from workflow.persistence.db import Database
from workflow.settings import LimitsSettings

security_log = logging.getLogger("foerderweg.security")


class Throttled(DomainError):
    """Too many failed sign-ins lately: try again after `retry_after` seconds."""

    title = "Too many failed sign-ins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures in the window each counter lets pass before the delays begin. One account from one address
    is the usual guesser; an address trying many accounts, and many addresses trying one account, get more room,
    so that the owner of an account someone else is guessing at can still sign in from their own address."""

    pair_free: int = 5  # one account from one address
    client_free: int = 20  # one address, every account
    account_free: int = 50  # one account, every address
    window: timedelta = timedelta(minutes=15)
    first_delay_seconds: float = 1
    max_delay_seconds: float = 900

    def free(self, kind: str) -> int:
        return {"pair": self.pair_free, "client": self.client_free, "account": self.account_free}[kind]

    def delay(self, failures: int, free: int) -> float:
        """How long to wait after the last of `failures` failures: nothing while they are free, then 1, 2, 4 … s."""
        if failures < free:
            return 0
        return min(self.max_delay_seconds, self.first_delay_seconds * 2 ** min(failures - free, 30))


def throttle_policy(limits: LimitsSettings) -> ThrottlePolicy:
    return ThrottlePolicy(pair_free=limits.sign_in_free_failures_per_account_and_client,
                          client_free=limits.sign_in_free_failures_per_client,
                          account_free=limits.sign_in_free_failures_per_account,
                          window=timedelta(minutes=limits.sign_in_window_minutes),
                          max_delay_seconds=limits.sign_in_max_delay_seconds)


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """Who tries: the e-mail address typed (None for a token sign-in) and the client's address."""

    email: str | None
    client: str | None

    def counters(self) -> dict[str, str]:
        """Hash → kind of each counter the attempt counts against."""
        keys = {}
        if self.email:
            keys[_key("account", self.email)] = "account"
        if self.client:
            keys[_key("client", self.client)] = "client"
        if self.email and self.client:
            keys[_key("pair", f"{self.email.strip()} {self.client}")] = "pair"
        return keys


@dataclass(frozen=True)
class Ticket:
    """An attempt let through: counted as failed until it succeeds (`ids`: its rows)."""

    attempt: Attempt
    ids: tuple[int, ...]


class SignInThrottle:
    """Counts an attempt as failed *before* its password is checked, in the same transaction as the check, and
    forgets it when it succeeds: attempts sent at the same moment see each other, so when a delay runs out one of
    them goes through, not all that were waiting."""

    def __init__(self, database: Database, policy: ThrottlePolicy) -> None:
        self.db = database
        self.policy = policy

    def start(self, attempt: Attempt, *, now: datetime) -> Ticket:
        """Raise Throttled if the attempt must still wait; else count it and let it through."""
        keys = attempt.counters()
        if not keys:
            return Ticket(attempt, ())
        wait = self.waiting(attempt, now=now)  # most attempts of a flood end here, without taking the writer
        if wait <= 0:
            counted = self._start(attempt, keys, now)
            if isinstance(counted, Ticket):
                return counted
            wait = counted
        security_log.warning("sign-in refused: too many failures", extra={
            "event": "sign_in_throttled", "client": attempt.client, "retry_after": math.ceil(wait)})
        raise Throttled(math.ceil(wait))

    def _start(self, attempt: Attempt, keys: dict[str, str], now: datetime) -> Ticket | float:
        """Check again and count the attempt, in one write: two attempts cannot both pass on the same count."""
        with self.db.write() as session:
            store.take_turns(session, keys)
            wait = self._wait(session, keys, now)
            if wait <= 0:
                ids = tuple(store.record_failure(session, key, now) for key in keys)
                # What left the window counts no more: forgotten, so that the table stays as small as the window.
                store.forget_failures_until(session, now - self.policy.window)
                return Ticket(attempt, ids)
        return wait

    def waiting(self, attempt: Attempt, *, now: datetime) -> float:
        """How many seconds an attempt would have to wait now (0: it would be let through); counts nothing."""
        with self.db.read() as session:
            return max(0.0, self._wait(session, attempt.counters(), now))

    def _wait(self, session: Session, keys: dict[str, str], now: datetime) -> float:
        if not keys:
            return 0
        rows = store.failure_counts(session, keys, now - self.policy.window)
        wait = 0.0
        for row in rows:
            free = self.policy.free(keys[row.key])
            wait = max(wait, (row.last + timedelta(seconds=self.policy.delay(row.count, free)) - now).total_seconds())
        return wait

    @staticmethod
    def failed(ticket: Ticket, *, user_id: int | None, how: str, reason: str) -> None:
        """The attempt failed (it stays counted): a security event (`how`: "with the password", "with the API
        token"; never the password, the token or the address typed)."""
        whose = "" if user_id is None else f" of user {user_id}"
        security_log.warning("web sign-in%s %s refused: %s", whose, how, reason, extra={
            "event": "sign_in_failed", "reason": reason, "account": user_id, "client": ticket.attempt.client})

    def succeeded(self, ticket: Ticket) -> None:
        """The attempt succeeded: it does not count, and neither do the account's earlier failures, from anywhere
        and from this address (the address's own count stands: one valid account must not reset the count of an
        address that tries many; nor do other addresses' tries at this account)."""
        account = [k for k, kind in ticket.attempt.counters().items() if kind in ("account", "pair")]
        if ticket.ids or account:
            with self.db.write() as session:
                store.forget_failures(session, ticket.ids, account)
