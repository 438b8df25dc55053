"""Instances on PostgreSQL share the database, so they must share the key that seals its webhook secrets: without
FOERDERWEG_SECRET_KEY they refuse to start, instead of each making a key file of its own that opens nothing the
others sealed. A SQLite installation (one machine) makes its key file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.conftest import TEST_SECRET_KEY
from workflow.context import Context
from workflow.persistence.secretbox import SecretBox, SecretKeyError


def test_without_a_key_only_sqlite_starts(ctx: Context, tmp_path: Path) -> None:
    key_file = tmp_path / "made-here.key"
    box = SecretBox(None, key_file)
    if ctx.db.dialect == "sqlite":
        assert box.prepare(ctx.db) == (0, 0)
    else:
        with pytest.raises(SecretKeyError, match="FOERDERWEG_SECRET_KEY must be set"):
            box.prepare(ctx.db)
    assert not key_file.exists()  # nothing to seal yet: no key file made either way


def test_with_a_key_every_database_starts(ctx: Context, tmp_path: Path) -> None:
    assert SecretBox(SecretStr(TEST_SECRET_KEY), tmp_path / "unused.key").prepare(ctx.db) == (0, 0)
