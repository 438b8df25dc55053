"""Signing in to the web pages: with the API token or with e-mail and password, for a limited time.

A sign-in is a row: the browser's cookie holds a random secret, the row its hash, the user and the CSRF token that
every form of that browser must carry. Signing out deletes the row, so a stolen cookie dies with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Row
from sqlmodel import Session

from workflow import models
from workflow import repository as repo
from workflow.actors import Actor
from workflow.admin import OPERATORS, actor_of
from workflow.auth import token_hash
from workflow.db import Database
from workflow.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.passwords import hash_password, verify


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
    def __init__(self, database: Database, *, lifetime: timedelta) -> None:
        self.db = database
        self.lifetime = lifetime

    def with_token(self, token: str, *, now: datetime) -> SignIn | None:
        """A sign-in for the holder of an API token, or None for an unknown token."""
        with self.db.write() as session:
            user = repo.user_by_token_hash(session, token_hash(token.strip()))
            return None if user is None else self._start(session, user, now)

    def with_password(self, email: str, password: str, *, now: datetime) -> SignIn | None:
        """A sign-in for e-mail and password, or None; an unknown address costs as long as a wrong password."""
        with self.db.write() as session:
            candidates = [u for u in repo.users_with_email(session, email) if u.password_hash] if email else []
            user = candidates[0] if len(candidates) == 1 else None
            if not verify(user.password_hash if user else None, password) or user is None:
                return None
            return self._start(session, user, now)

    def resume(self, secret: str, *, now: datetime) -> SignedIn | None:
        """Who a browser's cookie belongs to while the sign-in lasts; None once it expired or was ended."""
        with self.db.read() as session:
            found = repo.web_session(session, token_hash(secret), now)
            if found is None:
                return None
            user = repo.get(session, models.User, found.user_id)
            return None if user is None else SignedIn(actor_of(session, user), found.csrf_token)

    def sign_out(self, secret: str, *, now: datetime) -> None:
        with self.db.write() as session:
            repo.end_web_sessions(session, secret_hash=token_hash(secret))
            repo.end_web_sessions(session, expired_before=now)

    def set_password(self, actor: Actor, user_id: int, password: str) -> None:
        """Operators set a user's password; the user's browsers are signed out. The e-mail is the login, so it
        must be the user's alone among those who have a password."""
        if actor.role not in OPERATORS:
            raise Forbidden(f"role '{actor.role}' may not set passwords")
        digest = hash_password(password)
        with self.db.write() as session:
            user = repo.get(session, models.User, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            if not user.email:
                raise InvalidInput([FieldProblem("email", "the user has no e-mail address to sign in with")])
            others = [u for u in repo.users_with_email(session, user.email) if u.id != user.id and u.password_hash]
            if others:
                raise InvalidInput([FieldProblem("email", f"{user.email} already signs in user {others[0].id}; "
                                                          "give this user another address or use the token")])
            user.password_hash = digest
            repo.add(session, user)
            repo.end_web_sessions(session, user_id=user_id)

    def _start(self, session: Session, user: models.User | Row[Any], now: datetime) -> SignIn:
        assert user.id is not None
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        row = models.WebSession(secret_hash=token_hash(secret), user_id=user.id, csrf_token=csrf, created_at=now,
                                expires_at=now + self.lifetime)
        repo.add(session, row)
        return SignIn(secret=secret, csrf_token=csrf, expires_at=row.expires_at)
