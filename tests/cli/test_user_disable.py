"""`foerderweg user disable / enable / list` and tokens with `--days` (security review, finding 7): what an
operator reads, what scripts parse, and what the commands do to the user's token and browsers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.cli.test_cli import run
from workflow.context import Context, build_context
from workflow.people.accounts import Unauthenticated
from workflow.people.actors import SYSTEM
from workflow.timeutil import utcnow

Capture = pytest.CaptureFixture[str]
EMAIL = "dr.konstantin.weber-hohenstein@zukunftsakademie-leipzig-nordwest.example"


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Context]:
    """The commands' database, and a context on it to look behind them."""
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", database_url)
    ctx = build_context()
    yield ctx
    ctx.close()


def add_user(capsys: Capture, *extra: str) -> tuple[int, str, str]:
    """A user added on the command line: (id, token, what it printed)."""
    code, out, err = run(capsys, "user", "add", "--name", "Dr. Konstantin Weber-Hohenstein", "--role", "applicant",
                         "--org", "Zukunftsakademie Leipzig e.V.", "--email", EMAIL, *extra)
    assert code == 0, err
    found = re.search(r"user (\d+) 'Dr. Konstantin Weber-Hohenstein'", out)
    assert found is not None
    return int(found[1]), out.strip().splitlines()[-1], out


def test_disable_refuses_the_token_and_signs_out_enable_restores_it(capsys: Capture, database: Context) -> None:
    user_id, token, _ = add_user(capsys)
    browser = database.signin.with_token(token, now=utcnow())
    assert browser is not None
    code, out, _ = run(capsys, "user", "disable", str(user_id))
    assert code == 0 and f"user {user_id} 'Dr. Konstantin Weber-Hohenstein' is disabled" in out
    with pytest.raises(Unauthenticated, match="disabled"):
        database.accounts.identify(token, now=utcnow())
    assert database.signin.resume(browser.secret, now=utcnow()) is None
    code, out, _ = run(capsys, "user", "list", "--json")
    [row] = [u for u in json.loads(out) if u["id"] == user_id]
    assert row["active"] is False and row["disabled_at"] is not None
    code, out, _ = run(capsys, "user", "enable", str(user_id))
    assert code == 0 and f"user {user_id} 'Dr. Konstantin Weber-Hohenstein' is enabled" in out
    assert database.accounts.identify(token, now=utcnow()).user_id == user_id
    code, _, err = run(capsys, "user", "disable", "999999")
    assert code == 1 and "user 999999 not found" in err and "Traceback" not in err


def test_tokens_with_days_expire_and_the_list_shows_when(capsys: Capture, database: Context) -> None:
    user_id, token, out = add_user(capsys, "--token-days", "30")
    assert "valid until" in out
    now = utcnow()
    [account] = [a for a in database.accounts.users(SYSTEM, now=now) if a.id == user_id]
    assert account.token_expires_at is not None
    assert timedelta(days=29, hours=23) < account.token_expires_at - now <= timedelta(days=30)
    with pytest.raises(Unauthenticated, match="expired"):
        database.accounts.identify(token, now=account.token_expires_at)
    browser = database.signin.with_token(token, now=now)
    assert browser is not None

    code, out, err = run(capsys, "user", "token", str(user_id), "--days", "7")
    assert code == 0 and re.fullmatch(r"fw_\S+\n", out)  # the token alone on standard output, for scripts
    assert "valid until" in err and "signed out" in err
    new = out.strip()
    assert database.accounts.authenticate(token, now=now) is None
    assert database.accounts.identify(new, now=now).user_id == user_id
    assert database.signin.resume(browser.secret, now=now) is None
    code, out, _ = run(capsys, "user", "list", "--json")
    [row] = [u for u in json.loads(out) if u["id"] == user_id]
    assert row["token_expires_at"].startswith(str((now + timedelta(days=7)).date()))
    assert row["has_token"] is True and row["token_expired"] is False and row["email"] == EMAIL
    assert new not in out and token not in out and "hash" not in out
    for bad in ("0", "3651", "viele"):
        code, _, err = run(capsys, "user", "token", str(user_id), "--days", bad)
        assert code == 2 and "--days" in err


def test_the_list_is_a_whole_table_when_piped_and_never_a_repr(capsys: Capture, database: Context) -> None:
    user_id, token, _ = add_user(capsys, "--token-days", "3")
    run(capsys, "user", "disable", str(user_id))
    code, out, _ = run(capsys, "user", "list")  # captured: not a terminal, like `| less` or `> file`
    assert code == 0
    [line] = [line for line in out.splitlines() if f" {user_id} " in line]
    assert EMAIL in line and "Dr. Konstantin Weber-Hohenstein" in line and "Zukunftsakademie Leipzig e.V." in line
    assert "disabled since" in line and "until" in line and "Europe/Berlin" in line
    assert "…" not in out and "Account(" not in out and "datetime" not in out and token not in out
    code, out, _ = run(capsys, "user", "list", "--json")
    assert code == 0 and isinstance(json.loads(out), list)
