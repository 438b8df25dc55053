"""The `foerderweg` command as an operator uses it: output they read, exit codes scripts rely on."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from cli.main import main
from cli.output import console
from workflow.context import build_context
from workflow.persistence.db import Database
from workflow.persistence.migrate import alembic_config
from workflow.procedure.registry import SHIPPED_DIR
from workflow.timeutil import utcnow

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wrap at the terminal's width; a test's captured output has none, so give it room."""
    monkeypatch.setattr(console, "width", 200)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", database_url)
    return database_url


def test_db_upgrade_creates_a_fresh_sqlite_file(
    capsys: Capture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", f"sqlite:///{tmp_path}/sub/dir/new.db")
    code, out, _ = run(capsys, "db", "upgrade")
    head = ScriptDirectory.from_config(alembic_config(Database("sqlite://"))).get_current_head()
    assert code == 0 and f"schema {head}" in out and (tmp_path / "sub/dir/new.db").exists()
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and f"database: {head}; code: {head}" in out


def test_procedure_list_show_and_diagram(capsys: Capture) -> None:
    code, out, _ = run(capsys, "procedure", "list")
    assert code == 0 and "saxony-regional" in out
    code, out, _ = run(capsys, "procedure", "show", "saxony-regional", "--lang", "en")
    assert code == 0 and "Revision requested" in out and "funding_plan_complete" in out
    code, out, _ = run(capsys, "procedure", "diagram", "saxony-regional")
    assert code == 0 and out.startswith("stateDiagram-v2\n")
    assert 'state "Zweite Lesung" as second_reading' in out
    assert "draft --> submitted: Einreichen (applicant)" in out and "closed --> [*]" in out


def test_validate_accepts_good_and_names_every_fault_of_bad(capsys: Capture, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "procedure", "validate", str(SHIPPED_DIR / "saxony-regional.v1.toml"))
    assert code == 0 and "ok" in out and "saxony-regional@1" in out
    bad = tmp_path / "kaputt.toml"
    text = (SHIPPED_DIR / "saxony-regional.v1.toml").read_text("utf-8")
    bad.write_text(text.replace('guards = ["budget_covers"]', 'guards = ["budget_deckt"]')
                   .replace('roles = ["bank", "manager"]\n\n[[transitions.inputs]]\nname = "bank_reference"',
                            'roles = ["sparkasse", "manager"]\n\n[[transitions.inputs]]\nname = "bank_reference"', 1),
                   "utf-8")
    code, _, err = run(capsys, "procedure", "validate", str(bad))
    assert code == 1
    assert "kaputt.toml" in err and "unknown guard 'budget_deckt'" in err and "unknown role 'sparkasse'" in err
    assert "Traceback" not in err


def test_unknown_procedure_and_missing_schema_are_clear(
    capsys: Capture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "procedure", "show", "bavaria")
    assert code == 1 and "procedure 'bavaria' is not known" in err
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    code, _, err = run(capsys, "proposal", "show", "1")
    assert code == 1 and "foerderweg db upgrade" in err and "Traceback" not in err


def test_bad_configuration_is_reported_not_crashed(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOERDERWEG_PORT", "achtzig")
    code, _, err = run(capsys, "procedure", "list")
    assert code == 1 and "configuration is invalid" in err and "port" in err


def test_demo_then_proposal_show(capsys: Capture, database: str) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "RobertaRegioZentrum" in out and "Abgeschlossen (closed)" in out
    assert "states reached: 15 of 15" in out
    assert "1. Einreichungstermin 2016: ranking 2016" in out and "budget line" in out  # the ranking, per round
    code, out, _ = run(capsys, "proposal", "show", "1", "--lang", "en")
    assert code == 0
    assert "Not prioritised" in out and "Request a second reading" in out and "Lenkungsgruppe" in out
    assert "revision_deadline: 2016-06-13" in out and "next_session: 2016-06-15" in out  # what the step recorded
    code, out, _ = run(capsys, "proposal", "show", "6")
    assert code == 0 and "Entwurf" in out and "round_open" in out  # the draft's round closed in 2016
    code, _, err = run(capsys, "proposal", "show", "999")
    assert code == 1 and "proposal 999 not found" in err
    code, _, err = run(capsys, "demo")
    assert code == 1 and "already loaded" in err


def test_user_password_lets_the_user_sign_in_to_the_pages(
        capsys: Capture, database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, "user", "add", "--name", "Prof. Wieland", "--role", "applicant", "--org",
                     "Zukunftsakademie Leipzig e.V.", "--email", "wieland@example.org")
    assert code == 0
    user_id = re.search(r"user (\d+) 'Prof. Wieland'", out)
    assert user_id is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
    code, _, err = run(capsys, "user", "password", user_id[1], "--password-stdin")
    assert code == 1 and "password: must have at least 10 characters" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-gutes-langes-passwort\n"))
    code, out, _ = run(capsys, "user", "password", user_id[1], "--password-stdin")
    assert code == 0 and f"password of user {user_id[1]} set" in out
    ctx = build_context()
    try:
        assert ctx.signin.with_password("wieland@example.org", "ein-gutes-langes-passwort", now=utcnow()) is not None
        assert ctx.signin.with_password("wieland@example.org", "falsch-falsch-falsch", now=utcnow()) is None
    finally:
        ctx.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-gutes-langes-passwort\n"))
    code, _, err = run(capsys, "user", "password", "999999", "--password-stdin")
    assert code == 1 and "user 999999 not found" in err
