"""A published procedure version never changes: a changed file under the same version is refused at start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.main import main
from cli.output import console
from tests.factories import make_world
from tests.versioning.mini import MINI_V1, MINI_V2, edit, write_mini
from workflow.context import build_context
from workflow.procedure.faults import ProcedureError
from workflow.procedure.registry import ProcedureRegistry
from workflow.settings import Settings
from workflow.versioning import store
from workflow.versioning.published import publish

FIRST = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def registry(folder: Path) -> ProcedureRegistry:
    return ProcedureRegistry.from_dirs([folder])


def test_the_first_start_publishes_every_version_and_later_starts_publish_nothing_again(
        database_url: str, tmp_path: Path) -> None:
    folder = write_mini(tmp_path / "procedures", MINI_V1)
    ctx = build_context(Settings(database_url=database_url, procedure_dirs=[folder]))
    try:
        assert publish(ctx.db, ctx.procedures, FIRST) == [p.ref for p in ctx.procedures.all()]
        assert publish(ctx.db, ctx.procedures, LATER) == []
        with ctx.db.read() as session:
            rows = store.published(session, "mini")
        assert rows[1].fingerprint == ctx.procedures.get("mini", 1).digest
        assert rows[1].published_at == FIRST and rows[1].source == "mini.v1.toml"
        # A new version beside the old one is published by the next start; the old one stays as it was.
        write_mini(folder, MINI_V2)
        assert publish(ctx.db, registry(folder), LATER) == ["mini@2"]
    finally:
        ctx.close()


def test_a_changed_file_under_a_published_version_is_refused_with_what_to_do(database_url: str,
                                                                              tmp_path: Path) -> None:
    folder = write_mini(tmp_path / "procedures", MINI_V1)
    ctx = build_context(Settings(database_url=database_url, procedure_dirs=[folder]))
    try:
        publish(ctx.db, ctx.procedures, FIRST)
        write_mini(folder, edit(MINI_V1, 'roles = ["bank"]', 'roles = ["bank", "manager"]'))
        with pytest.raises(ProcedureError) as refused:
            publish(ctx.db, registry(folder), LATER)
        message = str(refused.value)
        assert "mini@1 was published on 2026-11-02 (from mini.v1.toml)" in message
        assert "version = 2" in message and "foerderweg procedure migrate" in message
        # Nothing was written by the refused start: the stored fingerprint is still the first one.
        with ctx.db.read() as session:
            assert store.published(session, "mini")[1].fingerprint == ctx.procedures.get("mini", 1).digest
    finally:
        ctx.close()


def test_comments_and_layout_are_not_a_change_but_a_label_is(database_url: str, tmp_path: Path) -> None:
    folder = write_mini(tmp_path / "procedures", MINI_V1)
    ctx = build_context(Settings(database_url=database_url, procedure_dirs=[folder]))
    try:
        publish(ctx.db, ctx.procedures, FIRST)
        write_mini(folder, "# reformatted, with a comment\n" + edit(MINI_V1, 'key = "mini"', 'key   =   "mini"  # k'))
        assert publish(ctx.db, registry(folder), LATER) == []
        write_mini(folder, edit(MINI_V1, 'en = "Checked"', 'en = "Examined"'))
        with pytest.raises(ProcedureError, match="mini@1 was published"):
            publish(ctx.db, registry(folder), LATER)
    finally:
        ctx.close()


def test_a_version_that_rounds_run_on_cannot_disappear(database_url: str, tmp_path: Path) -> None:
    folder = write_mini(tmp_path / "procedures", MINI_V1)
    ctx = build_context(Settings(database_url=database_url, procedure_dirs=[folder]))
    try:
        make_world(ctx, procedure_key="mini")
        publish(ctx.db, ctx.procedures, FIRST)
        (folder / "mini.v1.toml").unlink()
        write_mini(folder, MINI_V2.replace('renamed_from = "withdraw"\n', ""))
        with pytest.raises(ProcedureError, match=r"rounds, proposals or deadlines of this installation run on it "
                                                 r"\(published from mini.v1.toml\), but no definition file"):
            publish(ctx.db, registry(folder), LATER)
    finally:
        ctx.close()


def test_the_shipped_versions_are_published_by_db_upgrade(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    with pytest.raises(SystemExit) as exited:
        main(["db", "upgrade"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "procedure versions published:" in out
    for ref in ("saxony-regional@1", "saxony-regional@2", "lower-saxony-regional@1"):
        assert ref in out
