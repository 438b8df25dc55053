"""People's accounts: who a token belongs to, disabling and enabling an account, tokens that expire.

A disabled account keeps its token and its password, but neither signs in any more; enabling it restores both.
Disabling an account, or replacing its credentials (a new token here, a new password in workflow/people/signin.py), ends
every signed-in browser of it at once, in the same transaction. A token may carry an expiry; an expired token is
refused like a disabled one, until an operator issues a new token.

Only operators (admins, the command line) read and change accounts. Every change is a line on the
`foerderweg.security` log: who did what to which account, never a token or a password; so is every refused token
of a known account. (Changes outside proposals have no audit table; the log is where operators look for them.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from workflow.errors import DomainError, FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.people import store
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.people.tokens import new_token, token_hash
from workflow.persistence import models
from workflow.persistence.db import Database, Reader
from workflow.proposals import store as repo
from workflow.proposals.visibility import BankOfficer
from workflow.review.access import OPERATORS
from workflow.timeutil import require_aware

log = logging.getLogger("foerderweg.security")
MAX_TOKEN_DAYS = 3650
MAX_PAGE = 200
NOT_VALID = "the token is not valid"
REFUSED = {
    "disabled": "the account of this token is disabled; an administrator can enable it again",
    "expired": "the token has expired; an administrator can issue a new one (foerderweg user token ID --days N)",
}


class Unauthenticated(DomainError):
    """No caller: no token, an unknown one, an expired one, or one of a disabled account."""

    title = "Unauthenticated"


@dataclass(frozen=True)
class Account:
    """What an operator sees of a person's account: never a hash of their token or password."""

    id: int
    name: str
    role: str
    email: str | None
    organisation_id: int | None
    alliance_id: int | None
    language: str
    disabled_at: datetime | None
    has_token: bool
    token_expires_at: datetime | None
    token_expired: bool
    has_password: bool
    signed_in_browsers: int

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is kept
    account: Account


def token_refusal(user: models.User | store.TokenHolder, now: datetime) -> str | None:
    """Why the user's token does not sign in at `now` ('disabled' or 'expired'); None when it does."""
    if user.disabled_at is not None:
        return "disabled"
    if user.token_expires_at is not None and user.token_expires_at <= now:
        return "expired"
    return None


def actor_of(session: Reader, user: models.User | store.TokenHolder) -> Actor:
    """The person as an actor with their scope; a bank officer with the alliances their bank is funding bank of."""
    assert user.id is not None
    role = Role(user.role)
    if role == Role.BANK:
        served = (frozenset() if user.organisation_id is None
                  else repo.alliances_funded_by(session, user.organisation_id))
        return BankOfficer(user_id=user.id, name=user.name, role=role, organisation_id=user.organisation_id,
                           alliance_id=user.alliance_id, language=user.language, served_alliances=served)
    return Actor(user_id=user.id, name=user.name, role=role, organisation_id=user.organisation_id,
                 alliance_id=user.alliance_id, language=user.language)


def by_whom(actor: Actor) -> str:
    """The operator as the security log names them (an id, not a name)."""
    return "the command line" if actor.user_id is None else f"{actor.role.value} user {actor.user_id}"


def require_operator(actor: Actor, what: str) -> None:
    if actor.role not in OPERATORS:
        raise Forbidden(f"role '{actor.role}' may not {what}")


class AccountService:
    def __init__(self, database: Database) -> None:
        self.db = database

    # --- who is calling ------------------------------------------------------------------------------------

    def identify(self, token: str, *, now: datetime) -> Actor:
        """The actor a bearer token belongs to; Unauthenticated, saying why, for an unknown, expired or disabled
        one (the caller holds the token, so telling them its account's state gives nothing away)."""
        with self.db.read() as session:
            user = store.user_by_token_hash(session, token_hash(token))
            if user is None:
                raise Unauthenticated(NOT_VALID)
            why = token_refusal(user, now)
            if why is None:
                return actor_of(session, user)
        log.warning("API token of user %d refused: %s", user.id, why,
                    extra={"event": "token_refused", "account": user.id, "why": why})
        raise Unauthenticated(REFUSED[why])

    def authenticate(self, token: str, *, now: datetime) -> Actor | None:
        """The actor a bearer token belongs to, or None for an unknown, expired or disabled one."""
        try:
            return self.identify(token, now=now)
        except Unauthenticated:
            return None

    # --- what operators do -------------------------------------------------------------------------------

    def users(self, actor: Actor, *, now: datetime, after_id: int = 0, limit: int = MAX_PAGE) -> list[Account]:
        """Every account in id order, a page at a time."""
        require_operator(actor, "list users")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput([FieldProblem("limit", f"must be between 1 and {MAX_PAGE}")])
        with self.db.read() as session:
            rows = store.users_page(session, after_id=after_id, limit=limit)
            browsers = store.signed_in_browsers(session, [u.id for u in rows if u.id is not None], now)
            return [_account(u, browsers.get(u.id or 0, 0), now) for u in rows]

    def user(self, actor: Actor, user_id: int, *, now: datetime) -> Account:
        require_operator(actor, "read users")
        with self.db.read() as session:
            user = _user(session, user_id)
            return _account(user, store.signed_in_browsers(session, [user_id], now).get(user_id, 0), now)

    def disable(self, actor: Actor, user_id: int, *, now: datetime) -> Account:
        """Neither the account's token nor its password signs in any more; its browsers are signed out now."""
        require_operator(actor, "disable users")
        require_aware(now)
        if actor.user_id == user_id:
            raise Forbidden("you may not disable your own account; another administrator (or `foerderweg user "
                            "disable` on the server) can")
        with self.db.write() as session:
            user = _user(session, user_id)
            already = user.disabled_at is not None
            if not already:
                user.disabled_at = now
                store.save(session, user)
            ended = store.end_web_sessions(session, user_id=user_id)
            account = _account(user, 0, now)
        log.info("user %d %s by %s; %d signed-in browsers ended", user_id,
                 "was already disabled, confirmed" if already else "disabled", by_whom(actor), ended,
                 extra={"event": "user_disabled", "account": user_id, "by": actor.user_id, "sign_ins_ended": ended})
        return account

    def enable(self, actor: Actor, user_id: int, *, now: datetime) -> Account:
        """The account's token (unless it expired) and password sign in again."""
        require_operator(actor, "enable users")
        with self.db.write() as session:
            user = _user(session, user_id)
            was_disabled = user.disabled_at is not None
            if was_disabled:
                user.disabled_at = None
                store.save(session, user)
            account = _account(user, store.signed_in_browsers(session, [user_id], now).get(user_id, 0), now)
        log.info("user %d %s by %s", user_id, "enabled" if was_disabled else "was not disabled, left as it is",
                 by_whom(actor), extra={"event": "user_enabled", "account": user_id, "by": actor.user_id})
        return account

    def issue_token(self, actor: Actor, user_id: int, *, now: datetime, days: int | None = None) -> IssuedToken:
        """A new token (shown once, only its hash is kept), valid for `days` or until replaced. The old token
        stops working and every browser of the account is signed out."""
        require_operator(actor, "issue tokens")
        require_aware(now)
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            raise InvalidInput([FieldProblem("days", f"must be between 1 and {MAX_TOKEN_DAYS}")])
        token, digest = new_token()
        with self.db.write() as session:
            user = _user(session, user_id)
            user.token_hash = digest
            user.token_expires_at = None if days is None else now + timedelta(days=days)
            store.save(session, user)
            ended = store.end_web_sessions(session, user_id=user_id)
            account = _account(user, 0, now)
        until = account.token_expires_at
        expiry = "no expiry" if until is None else f"valid until {until:%Y-%m-%d %H:%M} UTC"
        log.info("user %d: new API token issued by %s (%s); the old token stops working, %d signed-in browsers "
                 "ended", user_id, by_whom(actor), expiry, ended,
                 extra={"event": "token_replaced", "account": user_id, "by": actor.user_id, "sign_ins_ended": ended})
        return IssuedToken(token=token, account=account)


def _user(session: Session, user_id: int) -> models.User:
    user = store.user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def _account(user: models.User, browsers: int, now: datetime) -> Account:
    assert user.id is not None
    expires = user.token_expires_at
    return Account(id=user.id, name=user.name, role=user.role, email=user.email,
                   organisation_id=user.organisation_id, alliance_id=user.alliance_id, language=user.language,
                   disabled_at=user.disabled_at, has_token=user.token_hash is not None, token_expires_at=expires,
                   token_expired=expires is not None and expires <= now, has_password=user.password_hash is not None,
                   signed_in_browsers=browsers)
