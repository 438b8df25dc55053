"""Secrets copied from an example file, or written into the config file, stop the start, naming the variable and
never its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from workflow.settings import CONFIG_ENV, Settings, load_settings


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


@pytest.mark.parametrize(("text", "key"), [
    ('metrics_token = "9c1f0e7d6b5a4c3e2f1a0b9c8d7e6f5a"\n', "metrics_token (use FOERDERWEG_METRICS_TOKEN)"),
    ('[smtp]\nhost = "mail.example.org"\ntls = "starttls"\nusername = "fw"\npassword = "Vq7#pL2!xR9z"\n',
     "smtp.password (use FOERDERWEG_SMTP__PASSWORD)"),
    ('database_url = "postgresql+psycopg://fw:Vq7pL2xR9zW4@db.internal/foerderweg"\n',
     "database_url (use FOERDERWEG_DATABASE_URL)"),
], ids=["metrics token", "smtp password", "database password"])
def test_secrets_in_the_config_file_stop_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                                   key: str) -> None:
    config = tmp_path / "foerderweg.toml"
    config.write_text(text)
    monkeypatch.setenv(CONFIG_ENV, str(config))
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert key in str(refused.value) and str(config) in str(refused.value)
    assert "Vq7" not in str(refused.value) and "9c1f0e" not in str(refused.value)


def test_a_database_url_without_a_password_may_stand_in_the_config_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "foerderweg.toml"
    config.write_text('database_url = "postgresql+psycopg://foerderweg@db.internal/foerderweg"\n')
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.delenv("FOERDERWEG_DATABASE_URL", raising=False)
    assert load_settings().database_url.endswith("@db.internal/foerderweg")
