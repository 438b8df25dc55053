"""Settings: config.toml first, FOERDERWEG_* environment variables over it, secrets only from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "FOERDERWEG_CONFIG"


def config_path() -> Path:
    """The config file: $FOERDERWEG_CONFIG, else ./config.toml (it is optional: defaults apply without it)."""
    return Path(os.environ.get(CONFIG_ENV, "config.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOERDERWEG_", env_nested_delimiter="__", extra="ignore")

    database_url: str = "sqlite:///data/foerderweg.db"
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    default_procedure: str = "saxony-regional"
    procedure_dirs: list[Path] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
