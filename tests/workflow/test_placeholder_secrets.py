"""Secrets copied from an example file stop the start, naming the variable and never its value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workflow.settings import Settings


def settings_with(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(("values", "named"), [
    ({"metrics_token": "change-me"}, "FOERDERWEG_METRICS_TOKEN"),
    ({"metrics_token": "CHANGEME"}, "FOERDERWEG_METRICS_TOKEN"),
    ({"metrics_token": "kurz-4711"}, "FOERDERWEG_METRICS_TOKEN"),  # too short to resist guessing
    ({"smtp": {"host": "mail.example.org", "tls": "starttls", "username": "fw", "password": "change-me"}},
     "FOERDERWEG_SMTP__PASSWORD"),
    ({"smtp": {"host": "mail.example.org", "tls": "starttls", "username": "fw", "password": "secret"}},
     "FOERDERWEG_SMTP__PASSWORD"),
    ({"database_url": "postgresql+psycopg://foerderweg:change-me@db.internal:5432/foerderweg"},
     "the password in FOERDERWEG_DATABASE_URL"),
], ids=["metrics change-me", "metrics CHANGEME", "metrics short", "smtp change-me", "smtp secret", "database url"])
def test_placeholder_secrets_are_refused_by_name(values: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings_with(**values)
    message = str(refused.value)
    assert named in message and "placeholder" in message
    assert "change-me" not in message.lower() and "kurz-4711" not in message  # the value itself is not shown


def test_real_secrets_are_taken() -> None:
    settings = settings_with(
        metrics_token="9c1f0e7d6b5a4c3e2f1a0b9c8d7e6f5a",
        smtp={"host": "mail.example.org", "tls": "starttls", "username": "fw", "password": "Vq7#pL2!xR9z"},
        database_url="postgresql+psycopg://foerderweg:Vq7pL2xR9zW4@db.internal:5432/foerderweg")
    assert settings.metrics_token is not None
    assert settings_with(database_url="sqlite:///data/foerderweg.db").database_url.endswith("foerderweg.db")
    assert settings_with(database_url="postgresql+psycopg://foerderweg@db.internal/foerderweg").metrics_token is None
