"""Signing in to the web pages: with the API token or with e-mail and password, for a limited time.

A sign-in is a row: the browser's cookie holds a random secret, the row its hash, the user and the CSRF token that
every form of that browser must carry. Signing out deletes the row, so a stolen cookie dies with it.

A disabled account signs in neither way, and an expired token does not sign in: the answer is the one a wrong
token or password gets (the form tells an attacker nothing of the account), the security log says why. Every
failure counts against the account and the client's address (workflow/people/throttle.py): past a few, the next attempts
must wait a growing delay. A sign-in
with a token that expires ends when the token does. A new password, like a new token or disabling the account
(workflow/people/accounts.py), signs out every browser of the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from workflow.errors import FieldProblem, InvalidInput, NotFound
from workflow.people import store
from workflow.people.accounts import actor_of, by_whom, log, require_operator, token_refusal
from workflow.people.actors import Actor
from workflow.people.passwords import hash_password, verify
from workflow.people.throttle import Attempt, SignInThrottle
from workflow.people.tokens import token_hash
from workflow.persistence import models
from workflow.persistence.db import Database

MAX_ADDRESS = 320  # RFC 5321: 64 for the local part, @, 255 for the domain


def could_be_an_address(email: str) -> bool:
    """Whether looking the address up can find anyone: not empty, not too long, no control characters (which no
    address has, and NUL no PostgreSQL text can hold). Otherwise it is an unknown address, checked as such."""
    return 0 < len(email) <= MAX_ADDRESS and not any(ord(c) < 32 or ord(c) == 127 for c in email)


@dataclass(frozen=True)
class SignIn:
    """What the browser keeps (the secret, in a cookie) and what its forms carry (the CSRF token)."""

    secret: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    csrf_token: str


class SignInService:
    def __init__(self, database: Database, *, lifetime: timedelta, throttle: SignInThrottle) -> None:
        self.db = database
        self.lifetime = lifetime
        self.throttle = throttle

    def with_token(self, token: str, *, now: datetime, client: str | None = None) -> SignIn | None:
        """A sign-in for the holder of an API token, or None for an unknown token. Throttled per client address
        (a token cannot be guessed, but a flood of tries is still a flood)."""
        ticket = self.throttle.start(Attempt(email=None, client=client), now=now)
        with self.db.write() as session:
            user = store.user_by_token_hash(session, token_hash(token.strip()))
            why = "unknown token" if user is None else token_refusal(user, now)
            grant = self._start(session, user, now, until=user.token_expires_at) if user and why is None else None
        if grant is None:
            self.throttle.failed(ticket, user_id=user.id if user else None, how="with the API token",
                                 reason=why or "unknown token")
        else:
            self.throttle.succeeded(ticket)
        return grant

    def with_password(self, email: str, password: str, *, now: datetime, client: str | None = None) -> SignIn | None:
        """A sign-in for e-mail and password, or None; an unknown address costs as long as a wrong password.

        Throttled per account and per client address (Throttled: the password is not even checked). The password's
        hash is checked outside any transaction: SQLite's single writer is never held while argon2 works."""
        ticket = self.throttle.start(Attempt(email=email, client=client), now=now)
        with self.db.read() as session:
            candidates = [u for u in store.users_with_email(session, email) if u.password_hash] \
                if could_be_an_address(email) else []
        user = candidates[0] if len(candidates) == 1 else None
        if not verify(user.password_hash if user else None, password) or user is None:
            self.throttle.failed(ticket, user_id=user.id if user else None, how="with the password",
                                 reason="wrong password" if user else "no account with this address")
            return None
        assert user.id is not None  # read from the database
        with self.db.write() as session:
            # Again, locked: a password set, a token issued or the account disabled while the hash was checked
            # has signed out every browser, and this sign-in must not slip in after it.
            current = store.user_locked(session, user.id)
            why = "disabled" if current is None or current.disabled_at is not None else (
                "its credentials changed meanwhile" if current.password_hash != user.password_hash
                or current.token_hash != user.token_hash else None)
            grant = self._start(session, user, now) if why is None else None
        if grant is None:
            self.throttle.failed(ticket, user_id=user.id, how="with the password", reason=why or "disabled")
            return None
        self.throttle.succeeded(ticket)
        return grant

    def resume(self, secret: str, *, now: datetime) -> SignedIn | None:
        """Who a browser's cookie belongs to while the sign-in lasts; None once it expired or was ended."""
        with self.db.read() as session:
            found = store.web_session(session, token_hash(secret), now)
            if found is None:
                return None
            user = store.user(session, found.user_id)
            if user is None or user.disabled_at is not None:  # disabling ends the sign-ins; this is the fence
                return None
            return SignedIn(actor_of(session, user), found.csrf_token)

    def sign_out(self, secret: str, *, now: datetime) -> None:
        with self.db.write() as session:
            store.end_web_sessions(session, secret_hash=token_hash(secret))
            store.end_web_sessions(session, expired_before=now)

    def set_password(self, actor: Actor, user_id: int, password: str) -> None:
        """Operators set a user's password; the user's browsers are signed out. The e-mail is the login, so it
        must be the user's alone among those who have a password."""
        require_operator(actor, "set passwords")
        digest = hash_password(password)
        with self.db.write() as session:
            user = store.user(session, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            if not user.email:
                raise InvalidInput([FieldProblem("email", "the user has no e-mail address to sign in with")])
            others = [u for u in store.users_with_email(session, user.email) if u.id != user.id and u.password_hash]
            if others:
                raise InvalidInput([FieldProblem("email", f"{user.email} already signs in user {others[0].id}; "
                                                          "give this user another address or use the token")])
            user.password_hash = digest
            store.save(session, user)
            ended = store.end_web_sessions(session, user_id=user_id)
        log.info("user %d: password set by %s; %d signed-in browsers ended", user_id, by_whom(actor), ended,
                 extra={"event": "password_set", "account": user_id, "by": actor.user_id, "sign_ins_ended": ended})

    def _start(self, session: Session, user: models.User | store.TokenHolder, now: datetime,
               until: datetime | None = None) -> SignIn:
        """A sign-in for the lifetime, or only `until` (the token's expiry) if that comes first."""
        assert user.id is not None
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + self.lifetime if until is None else min(now + self.lifetime, until)
        row = models.WebSession(secret_hash=token_hash(secret), user_id=user.id, csrf_token=csrf, created_at=now,
                                expires_at=expires)
        store.save(session, row)
        return SignIn(secret=secret, csrf_token=csrf, expires_at=row.expires_at)
