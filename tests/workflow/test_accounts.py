"""Accounts (security review, finding 7): a replaced token or password, or a disabled account, ends the account's
browser sign-ins at once; a disabled account's token and password sign in nowhere until it is enabled; a token may
expire. Every change is a line of the security log, without the secret. On the test database (both kinds)."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

import pytest

from tests.factories import WHILE_OPEN, make_world
from workflow.context import Context
from workflow.errors import Forbidden, InvalidInput, NotFound
from workflow.people.accounts import Unauthenticated
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role

T0 = WHILE_OPEN
PASSWORD = "ein-langes-gutes-passwort"
EMAIL = "anna.schmidt@zukunftsakademie.example"
SECURITY = "foerderweg.security"


def person(ctx: Context) -> tuple[int, str]:
    """An applicant with an e-mail, a token and a password; (user id, token)."""
    world = make_world(ctx)
    user = ctx.admin.create_user(SYSTEM, "Anna Schmidt", Role.APPLICANT, organisation_id=world.organisation_id,
                                 email=EMAIL)
    assert user.id is not None
    token = ctx.accounts.issue_token(SYSTEM, user.id, now=T0).token
    ctx.signin.set_password(SYSTEM, user.id, PASSWORD)
    return user.id, token


def signed_in(ctx: Context, token: str) -> list[str]:
    """Two browsers of the person, one by token and one by password; their cookies' secrets."""
    by_token = ctx.signin.with_token(token, now=T0)
    by_password = ctx.signin.with_password(EMAIL, PASSWORD, now=T0)
    assert by_token is not None and by_password is not None
    secrets = [by_token.secret, by_password.secret]
    assert all(ctx.signin.resume(s, now=T0) is not None for s in secrets)
    return secrets


def security_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SECURITY]


def test_a_new_token_ends_every_browser_sign_in_of_the_user(ctx: Context, caplog: pytest.LogCaptureFixture) -> None:
    user_id, old = person(ctx)
    for issue in (lambda: ctx.admin.issue_token(SYSTEM, user_id),  # as `foerderweg user add` / demo issue them
                  lambda: ctx.accounts.issue_token(SYSTEM, user_id, now=T0, days=30).token):
        browsers = signed_in(ctx, old)
        with caplog.at_level(logging.INFO, logger=SECURITY):
            new = issue()
        assert [ctx.signin.resume(s, now=T0) for s in browsers] == [None, None]
        assert ctx.accounts.authenticate(old, now=T0) is None
        assert ctx.accounts.identify(new, now=T0).user_id == user_id
        assert any(f"user {user_id}: new API token issued by the command line" in line and
                   "2 signed-in browsers ended" in line for line in security_lines(caplog))
        assert not any(new in r.getMessage() or old in r.getMessage() for r in caplog.records)
        old = new
        caplog.clear()


def test_a_new_password_ends_every_browser_sign_in_and_is_logged_without_it(
        ctx: Context, caplog: pytest.LogCaptureFixture) -> None:
    user_id, token = person(ctx)
    browsers = signed_in(ctx, token)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        ctx.signin.set_password(SYSTEM, user_id, "ein-ganz-anderes-passwort")
    assert [ctx.signin.resume(s, now=T0) for s in browsers] == [None, None]
    assert ctx.signin.with_password(EMAIL, PASSWORD, now=T0) is None
    assert security_lines(caplog) == [f"user {user_id}: password set by the command line; 2 signed-in browsers ended",
                                      f"web sign-in of user {user_id} with the password refused: wrong password"]
    assert not any("passwort" in r.getMessage() for r in caplog.records)


def test_a_disabled_account_signs_in_nowhere_until_it_is_enabled(
        ctx: Context, caplog: pytest.LogCaptureFixture) -> None:
    user_id, token = person(ctx)
    browsers = signed_in(ctx, token)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        account = ctx.accounts.disable(SYSTEM, user_id, now=T0)
        assert not account.active and account.disabled_at == T0
        assert [ctx.signin.resume(s, now=T0) for s in browsers] == [None, None]
        with pytest.raises(Unauthenticated, match="disabled"):
            ctx.accounts.identify(token, now=T0)
        assert ctx.admin.authenticate(token, T0) is None
        # The pages answer as for a wrong token or password; the log says why.
        assert ctx.signin.with_token(token, now=T0) is None
        assert ctx.signin.with_password(EMAIL, PASSWORD, now=T0) is None
    lines = security_lines(caplog)
    assert lines[0] == f"user {user_id} disabled by the command line; 2 signed-in browsers ended"
    assert f"API token of user {user_id} refused: disabled" in lines
    assert f"web sign-in of user {user_id} with the API token refused: disabled" in lines
    assert f"web sign-in of user {user_id} with the password refused: disabled" in lines
    assert not any(token in r.getMessage() or PASSWORD in r.getMessage() for r in caplog.records)

    enabled = ctx.accounts.enable(SYSTEM, user_id, now=T0 + timedelta(hours=1))
    assert enabled.active and enabled.has_token and enabled.has_password
    assert ctx.accounts.identify(token, now=T0).user_id == user_id  # the same token works again
    assert ctx.signin.with_password(EMAIL, PASSWORD, now=T0) is not None
    assert [ctx.signin.resume(s, now=T0) for s in browsers] == [None, None]  # ended sign-ins stay ended


def test_a_token_with_days_expires_and_a_sign_in_with_it_ends_then(ctx: Context) -> None:
    user_id, _ = person(ctx)
    issued = ctx.accounts.issue_token(SYSTEM, user_id, now=T0, days=30)
    expiry = T0 + timedelta(days=30)
    assert issued.account.token_expires_at == expiry
    assert ctx.accounts.identify(issued.token, now=expiry - timedelta(seconds=1)).user_id == user_id
    with pytest.raises(Unauthenticated, match="expired"):
        ctx.accounts.identify(issued.token, now=expiry)
    assert ctx.signin.with_token(issued.token, now=expiry) is None
    # A sign-in a day before the expiry lasts only until it, not the usual hours.
    late = ctx.signin.with_token(issued.token, now=expiry - timedelta(minutes=30))
    assert late is not None and late.expires_at == expiry
    assert ctx.signin.resume(late.secret, now=expiry) is None
    # The password does not expire with the token.
    assert ctx.signin.with_password(EMAIL, PASSWORD, now=expiry + timedelta(days=1)) is not None
    [listed] = [a for a in ctx.accounts.users(SYSTEM, now=expiry) if a.id == user_id]
    assert listed.token_expired and listed.token_expires_at == expiry
    fresh = ctx.accounts.issue_token(SYSTEM, user_id, now=expiry, days=1)
    assert ctx.accounts.identify(fresh.token, now=expiry).user_id == user_id
    for days in (0, -1, 3651):
        with pytest.raises(InvalidInput) as refused:
            ctx.accounts.issue_token(SYSTEM, user_id, now=T0, days=days)
        assert [p.field for p in refused.value.problems] == ["days"]


def test_the_list_shows_the_state_of_each_account_and_no_secret(ctx: Context) -> None:
    user_id, token = person(ctx)
    signed_in(ctx, token)
    ctx.accounts.disable(SYSTEM, user_id, now=T0)
    ctx.signin.with_token(ctx.accounts.issue_token(SYSTEM, user_id, now=T0, days=7).token, now=T0)
    accounts = ctx.accounts.users(SYSTEM, now=T0)
    assert [a.id for a in accounts] == sorted(a.id for a in accounts)
    [mine] = [a for a in accounts if a.id == user_id]
    assert (mine.name, mine.role, mine.email, mine.active, mine.has_token, mine.has_password) == (
        "Anna Schmidt", "applicant", EMAIL, False, True, True)
    assert mine.token_expires_at == T0 + timedelta(days=7) and not mine.token_expired
    assert mine.signed_in_browsers == 0  # disabled: a new token signs no browser in
    assert token not in repr(accounts)
    first, *rest = accounts
    assert ctx.accounts.users(SYSTEM, now=T0, after_id=first.id, limit=1) == rest[:1]
    with pytest.raises(InvalidInput):
        ctx.accounts.users(SYSTEM, now=T0, limit=0)


def test_only_operators_change_accounts_and_an_admin_not_their_own(ctx: Context) -> None:
    world = make_world(ctx)
    admin = world.actor(Role.ADMIN)
    target = world.actor(Role.APPLICANT).user_id
    assert admin.user_id is not None and target is not None
    for role in (Role.APPLICANT, Role.REVIEWER, Role.MANAGER, Role.BANK):
        actor: Actor = world.actor(role)
        for attempt in (partial(ctx.accounts.users, actor, now=T0), partial(ctx.accounts.user, actor, target, now=T0),
                        partial(ctx.accounts.disable, actor, target, now=T0),
                        partial(ctx.accounts.enable, actor, target, now=T0),
                        partial(ctx.accounts.issue_token, actor, target, now=T0)):
            with pytest.raises(Forbidden):
                attempt()
    with pytest.raises(Forbidden, match="your own account"):
        ctx.accounts.disable(admin, admin.user_id, now=T0)
    assert ctx.accounts.user(admin, admin.user_id, now=T0).active
    assert not ctx.accounts.disable(admin, target, now=T0).active
    with pytest.raises(NotFound, match="user 999999 not found"):
        ctx.accounts.disable(admin, 999_999, now=T0)
