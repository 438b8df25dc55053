"""Webhook secrets are sealed in the database (issue 22, finding 8b): a copy of the database alone does not reveal
them, deliveries still sign with them, secrets from before are sealed at start, and without the key the service
refuses to start instead of failing every delivery.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from schedules.ticks import Ticks
from tests.schedules.conftest import DELIVERY, PUBLIC_URL, REVISION_REMINDED, Crew, in_revision, outbox
from tests.schedules.loopback import WebhookReceiver
from workflow.context import Context, build_context
from workflow.people.actors import SYSTEM
from workflow.persistence.db import sqlite_file
from workflow.persistence.models import Alliance
from workflow.persistence.secretbox import SEALED, SecretBox, SecretKeyError
from workflow.settings import Settings

ALLIANCES: Any = Alliance.__table__  # type: ignore[attr-defined]


def stored_secret(ctx: Context, alliance_id: int) -> str | None:
    with ctx.db.read() as session:
        return session.execute(sa.select(ALLIANCES.c.webhook_secret).where(ALLIANCES.c.id == alliance_id)).scalar()


def keyed_ctx(database_url: str, key: str) -> Context:
    return build_context(Settings(database_url=database_url, public_url=PUBLIC_URL, secret_key=key,
                                  delivery=DELIVERY))


def test_the_database_holds_the_secret_sealed_and_deliveries_still_sign_with_it(
        mail_ctx: Context, crew: Crew, receiver: WebhookReceiver) -> None:
    _, secret = mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    assert secret is not None
    stored = stored_secret(mail_ctx, crew.world.alliance_id)
    assert stored is not None and stored.startswith(SEALED) and secret not in stored
    database = sqlite_file(mail_ctx.settings.database_url)
    if database is not None:  # the file itself, and its write-ahead log, hold no trace of it
        mail_ctx.db.dispose()
        for path in (database, Path(f"{database}-wal")):
            assert not path.exists() or secret.encode() not in path.read_bytes()

    receiver.secret = secret
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    Ticks(mail_ctx, real_time=False).drain(REVISION_REMINDED)
    [call] = receiver.calls
    assert call.signature_valid and call.answered == 200
    assert [r.status for r in outbox(mail_ctx, channel="webhook")] == ["sent"]


def test_a_secret_stored_in_clear_still_signs_and_is_sealed_at_start(
        mail_ctx: Context, crew: Crew, receiver: WebhookReceiver) -> None:
    mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    receiver.secret = "a secret from before sealing"
    with mail_ctx.db.write() as session:
        session.execute(sa.update(ALLIANCES).where(ALLIANCES.c.id == crew.world.alliance_id)
                        .values(webhook_secret=receiver.secret))
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk")
    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    Ticks(mail_ctx, real_time=False).drain(REVISION_REMINDED)
    assert [c.signature_valid for c in receiver.calls] == [True]  # readers take an unmarked value as it is

    mail_ctx.publish_procedures()  # what `foerderweg serve` and `foerderweg scheduler` do at start
    stored = stored_secret(mail_ctx, crew.world.alliance_id)
    assert stored is not None and stored.startswith(SEALED) and receiver.secret not in stored
    assert mail_ctx.admin.secrets.open(stored) == receiver.secret
    mail_ctx.publish_procedures()  # a second start changes nothing
    assert stored_secret(mail_ctx, crew.world.alliance_id) == stored


def test_without_the_key_the_secrets_were_sealed_with_the_service_refuses_to_start(
        database_url: str, crew: Crew, tmp_path: Path) -> None:
    first = keyed_ctx(database_url, Fernet.generate_key().decode())
    try:
        first.admin.set_webhook(SYSTEM, crew.world.alliance_id, "https://fka-leipzig.example/hooks")
        first.publish_procedures()
    finally:
        first.close()
    other = keyed_ctx(database_url, Fernet.generate_key().decode())
    try:
        with pytest.raises(SecretKeyError, match="cannot be opened with FOERDERWEG_SECRET_KEY"):
            other.publish_procedures()
        missing = tmp_path / "nowhere" / "foerderweg.db.key"
        # (on PostgreSQL no start without a key at all: tests/workflow/test_secret_key_required.py)
        with pytest.raises(SecretKeyError, match=r"1 webhook secret\(s\) in the database are sealed, but no key"
                                                 r"|FOERDERWEG_SECRET_KEY must be set"):
            SecretBox(None, missing).prepare(other.db)
        stored = stored_secret(other, crew.world.alliance_id)
        assert stored is not None
        with pytest.raises(SecretKeyError, match="is sealed, but no key is set"):
            SecretBox(None, missing).open(stored)  # a delivery after the key file went away
        assert not missing.exists(), "no new key is made: it could open nothing"
    finally:
        other.close()


def test_without_a_key_set_a_key_file_readable_by_its_owner_only_is_made_and_used(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'foerderweg.db'}"
    with caplog.at_level(logging.WARNING, logger="workflow.persistence.secretbox"):
        sealed = SecretBox.for_database(url, None).seal("s3cret")
    key_file = tmp_path / "data" / "foerderweg.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "FOERDERWEG_SECRET_KEY is not set" in caplog.text and str(key_file) in caplog.text
    assert SecretBox.for_database(url, None).open(sealed) == "s3cret"  # the next start finds it
    assert os.listdir(key_file.parent) == ["foerderweg.db.key"]  # no draft left behind

    keyed = SecretBox.for_database(f"sqlite:///{tmp_path / 'other.db'}", SecretStr(Fernet.generate_key().decode()))
    assert keyed.open(keyed.seal("s3cret")) == "s3cret" and not (tmp_path / "other.db.key").exists()


def test_a_key_that_is_not_a_fernet_key_is_refused_at_load_without_showing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key="correct horse battery staple")
    assert "FOERDERWEG_SECRET_KEY is not a Fernet key" in str(refused.value)
    assert "horse" not in str(refused.value)
