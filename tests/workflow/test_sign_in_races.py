"""A sign-in whose password is being checked while the account's credentials change does not survive the change.

The password's hash is checked outside any transaction (argon2 must not hold SQLite's writer); a password set, a
token issued or the account disabled in that time signs out every browser, and the sign-in being checked must not
slip in after it. The change is made from inside the check, so the race is hit every time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.workflow.test_accounts import EMAIL, PASSWORD, T0, person
from workflow.context import Context
from workflow.people import signin
from workflow.people.actors import SYSTEM


def during_the_check(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    real = signin.verify

    def verify_while_changed(stored: str | None, password: str) -> bool:
        result = real(stored, password)
        change()
        return result

    monkeypatch.setattr(signin, "verify", verify_while_changed)


@pytest.mark.parametrize("change", ["password", "token", "disable"])
def test_credentials_changed_during_the_check_refuse_the_sign_in(ctx: Context, monkeypatch: pytest.MonkeyPatch,
                                                                 change: str) -> None:
    user_id, _ = person(ctx)
    changes = {"password": lambda: ctx.signin.set_password(SYSTEM, user_id, "ein-ganz-neues-passwort"),
               "token": lambda: ctx.accounts.issue_token(SYSTEM, user_id, now=T0),
               "disable": lambda: ctx.accounts.disable(SYSTEM, user_id, now=T0)}
    during_the_check(monkeypatch, changes[change])
    assert ctx.signin.with_password(EMAIL, PASSWORD, now=T0) is None


def test_an_unchanged_account_signs_in(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    person(ctx)
    during_the_check(monkeypatch, lambda: None)
    grant = ctx.signin.with_password(EMAIL, PASSWORD, now=T0)
    assert grant is not None and ctx.signin.resume(grant.secret, now=T0) is not None
