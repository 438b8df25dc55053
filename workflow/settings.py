"""Settings: config.toml first, FOERDERWEG_* environment variables over it, secrets only from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from workflow.deadlines.definition import DeadlineOverride

CONFIG_ENV = "FOERDERWEG_CONFIG"
SECRET_KEY_ENV = "FOERDERWEG_SECRET_KEY"
MAKE_A_KEY = "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def config_path() -> Path:
    """The config file: $FOERDERWEG_CONFIG, else ./config.toml (it is optional: defaults apply without it)."""
    return Path(os.environ.get(CONFIG_ENV, "config.toml"))


class SmtpSettings(BaseModel):
    """The mail server reminders go through. No host: e-mail is off (in-app and webhooks still work)."""

    # hide_input_in_errors: an error would otherwise print what it was given, the password with it.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    # "starttls": plain connection upgraded with STARTTLS (port 587 or 25); "implicit": TLS from the first byte
    # (port 465); "none". Unset: "starttls" if the older key starttls = true, else "none".
    tls: Literal["starttls", "implicit", "none"] | None = None
    starttls: bool = False
    # A CA bundle (PEM) to verify the mail server's certificate with, instead of the system's (a private CA).
    ca_file: Path | None = None
    username: str | None = None
    # Only from the environment: FOERDERWEG_SMTP__PASSWORD.
    password: SecretStr | None = None
    sender: str = "foerderweg@localhost"
    timeout_seconds: float = Field(default=10, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @property
    def security(self) -> Literal["starttls", "implicit", "none"]:
        return self.tls or ("starttls" if self.starttls else "none")

    @model_validator(mode="after")
    def _no_login_in_clear(self) -> SmtpSettings:
        if self.starttls and self.tls not in (None, "starttls"):
            raise ValueError(f'smtp.starttls = true contradicts smtp.tls = "{self.tls}": keep smtp.tls only')
        if self.username and self.security == "none":
            raise ValueError('smtp.username is set (a login with FOERDERWEG_SMTP__PASSWORD) but smtp.tls is "none" '
                             "(smtp.starttls = false): the password would cross the network in clear. Set "
                             'smtp.tls = "starttls" (port 587 or 25) or smtp.tls = "implicit" (port 465)')
        return self


class SchedulerSettings(BaseModel):
    """The clock: how often each tick runs, and how a sweep treats what fell due while nobody was sweeping."""

    model_config = ConfigDict(extra="forbid")
    sweep_every_seconds: int = Field(default=60, ge=1)
    close_rounds_every_seconds: int = Field(default=60, ge=1)
    drain_every_seconds: int = Field(default=15, ge=1)
    # Migrations of running proposals started over the API are carried on by this tick, for at most
    # migrate_budget_seconds per run (the CLI runs its own in the foreground).
    migrate_every_seconds: int = Field(default=15, ge=1)
    migrate_budget_seconds: int = Field(default=10, ge=1)
    # A reminder that fell due longer ago than this is recorded as skipped instead of sent (escalations are sent).
    catch_up_limit_hours: float = Field(default=48, ge=0)
    # How long a sweeper or sender may hold rows it claimed; after that another instance takes them over.
    lease_seconds: int = Field(default=300, ge=5)
    batch_size: int = Field(default=200, ge=1, le=10_000)


class DeliverySettings(BaseModel):
    """Retries of failed deliveries: exponential backoff, then parked as failed for an operator."""

    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=8, ge=1)
    backoff_seconds: int = Field(default=60, ge=1)
    backoff_max_seconds: int = Field(default=6 * 3600, ge=1)
    # The whole time one webhook call may take (name lookup, connection, request, the receiver's answer).
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=300)
    # Webhook calls under way at once in a drain, beside e-mail's own sender: a slow receiver holds one of them.
    webhook_concurrency: int = Field(default=4, ge=1, le=64)
    # Networks a webhook may reach although they are not public (loopback, private, link-local, ...), e.g.
    # ["10.20.0.0/16"] for a receiver in the own network. Empty: public addresses only.
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)


class WebSettings(BaseModel):
    """The web pages: how long a sign-in lasts, and whether its cookie is sent over HTTPS only."""

    model_config = ConfigDict(extra="forbid")
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # None: Secure cookies exactly when public_url is https (so http://127.0.0.1 works while developing).
    secure_cookies: bool | None = None


class LimitsSettings(BaseModel):
    """What one request may send, and how failed sign-ins slow down the next ones (per account and per address)."""

    model_config = ConfigDict(extra="forbid")
    # A request body (JSON or a form) larger than this is refused with 413 before it is read further.
    body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # Failures in the window before the delays begin: one account from one address, one address for any account,
    # one account from any address (high enough that a guesser elsewhere does not lock its owner out).
    sign_in_free_failures_per_account_and_client: int = Field(default=5, ge=1)
    sign_in_free_failures_per_client: int = Field(default=20, ge=1)
    sign_in_free_failures_per_account: int = Field(default=50, ge=1)
    sign_in_window_minutes: float = Field(default=15, gt=0)
    sign_in_max_delay_seconds: float = Field(default=900, ge=1)
    # Sign-ins whose password is being checked at the same time (argon2 takes ~50 ms of a core and 64 MiB each);
    # more wait for their turn without holding a thread.
    sign_in_concurrency: int = Field(default=2, ge=1, le=64)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOERDERWEG_", env_nested_delimiter="__", extra="ignore",
                                      hide_input_in_errors=True)  # errors show no secret_key, token or password

    database_url: str = "sqlite:///data/foerderweg.db"
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    default_procedure: str = "saxony-regional"
    procedure_dirs: list[Path] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # json: one object per line for a log collector (with the request id); text: lines for a person at a terminal.
    log_format: Literal["json", "text"] = "json"
    # On SIGTERM the service stops taking requests and gives running ones (and a running tick) this long.
    shutdown_grace_seconds: int = Field(default=30, ge=1, le=3600)
    # If set, GET /metrics wants 'Authorization: Bearer <token>'. Only from the environment: FOERDERWEG_METRICS_TOKEN.
    metrics_token: SecretStr | None = None
    # Seals the webhook secrets in the database (workflow/persistence/secretbox.py). Only from the environment:
    # FOERDERWEG_SECRET_KEY. Unset: a key file made beside the SQLite database, with a warning.
    secret_key: SecretStr | None = None
    # Links in notifications point here.
    public_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    # Changes to a deadline's reminders in every procedure, e.g. [deadlines.submission] remind = ["7d", "1d"].
    deadlines: dict[str, DeadlineOverride] = Field(default_factory=dict)

    @field_validator("secret_key")
    @classmethod
    def _a_fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        """A secret copied from an example ("change-me") or too short to resist guessing stops the start."""
        found = []
        if self.metrics_token is not None and (is_placeholder(token := self.metrics_token.get_secret_value())
                                               or len(token) < MIN_TOKEN_LENGTH):
            found.append(f"FOERDERWEG_METRICS_TOKEN (at least {MIN_TOKEN_LENGTH} random characters)")
        if self.smtp.password is not None and is_placeholder(self.smtp.password.get_secret_value()):
            found.append("FOERDERWEG_SMTP__PASSWORD")
        if is_placeholder(_password_in(self.database_url) or "a password"):
            found.append("the password in FOERDERWEG_DATABASE_URL")
        if found:
            raise ValueError("placeholder or weak secrets, as in an example file: " + ", ".join(found)
                             + "; set real ones in the environment (docs/deployment.md)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlWithoutSecrets(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


SECRETS = (("secret_key",), ("metrics_token",), ("smtp", "password"), ("database_url",))


class TomlWithoutSecrets(TomlConfigSettingsSource):
    """The config file, which must hold no secret: it is often readable by others, copied and checked in. A secret
    there stops the start, naming the key and the variable to use instead (the value itself is never shown)."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        found = []
        for path in SECRETS:
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value and (path != ("database_url",) or _password_in(str(value))):
                found.append(f"{'.'.join(path)} (use FOERDERWEG_{'__'.join(path).upper()})")
        if found:
            raise SettingsError(f"{config_path()} holds secrets, which come only from the environment: "
                                + ", ".join(found))
        return data


PLACEHOLDERS = frozenset({"change-me", "changeme", "change_me", "replace-me", "replaceme", "secret", "password",
                          "passwort", "geheim", "example", "todo", "xxx"})
MIN_TOKEN_LENGTH = 16


def is_placeholder(secret: str) -> bool:
    """A value that stands in an example instead of a secret ("change-me", "secret", …)."""
    value = secret.strip().lower()
    return not value or value in PLACEHOLDERS or any(p in value for p in ("change-me", "changeme", "replace-me"))


def _password_in(url: str) -> str | None:
    try:
        password = make_url(url).password
    except ArgumentError:  # not a URL: the engine says so when it is made
        return None
    return None if password is None else str(password)


def check_key(value: str) -> None:
    """Raise ValueError (without the value) unless `value` is a Fernet key (32 bytes, URL-safe base64)."""
    try:
        Fernet(value.strip().encode())
    except (ValueError, TypeError):
        raise ValueError(f"{SECRET_KEY_ENV} is not a Fernet key (32 bytes in URL-safe base64); make one with: "
                         f"{MAKE_A_KEY}") from None


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
