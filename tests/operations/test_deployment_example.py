"""The example installation of docs/deployment/ runs as written: its configuration loads, and the commands of its
systemd units (two API replicas without a clock, two schedulers) serve one database together.

Only what cannot run in a test is replaced: the database (the test's), the mail server (one on loopback, without
TLS or login), the addresses (loopback, free ports) and the installation path of the command.
"""

from __future__ import annotations

import configparser
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from pydantic import ValidationError

from tests.conftest import TEST_SECRET_KEY
from tests.factories import REASON, new_draft
from tests.schedules.conftest import in_revision, make_crew, outbox
from tests.schedules.loopback import SmtpServer
from tests.serving import REPO, free_port, wait_healthy
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.settings import CONFIG_ENV, load_settings

EXAMPLE = REPO / "docs" / "deployment"
INSTALLED = "/opt/foerderweg/.venv/bin/foerderweg"


def unit_command(unit: str, instance: str = "") -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read(EXAMPLE / unit)
    command = shlex.split(parser["Service"]["ExecStart"].replace("%i", instance))
    assert command[0] == INSTALLED, f"{unit} starts {command[0]}"
    return [sys.executable, "-m", "cli", *command[1:]]


def environment_file() -> dict[str, str]:
    lines = (EXAMPLE / "foerderweg.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


# What the operator writes where the example says change-me.
FILLED_IN = {"FOERDERWEG_SMTP__PASSWORD": "Vq7#pL2!xR9z",
             "FOERDERWEG_METRICS_TOKEN": "9c1f0e7d6b5a4c3e2f1a0b9c8d7e6f5a",
             "FOERDERWEG_SECRET_KEY": TEST_SECRET_KEY}
HARDENING = {"NoNewPrivileges": "yes", "UMask": "0077", "ProtectSystem": "strict", "ProtectHome": "yes",
             "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "",
             "StateDirectory": "foerderweg", "WorkingDirectory": "/var/lib/foerderweg"}


def unit_service(unit: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read(EXAMPLE / unit)
    return dict(parser["Service"])


@pytest.mark.parametrize("unit", ["foerderweg-api@.service", "foerderweg-scheduler.service"])
def test_the_units_are_hardened(unit: str) -> None:
    service = unit_service(unit)
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    assert service["User"] == "foerderweg"


def test_the_example_secrets_as_written_stop_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever copies the environment file without filling it in gets a refusal naming what to fill in."""
    for key in [k for k in os.environ if k.startswith("FOERDERWEG_")]:
        monkeypatch.delenv(key)
    for key, value in environment_file().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(CONFIG_ENV, str(EXAMPLE / "foerderweg.toml"))
    with pytest.raises(ValidationError) as refused:
        load_settings()
    message = str(refused.value)
    for named in ("FOERDERWEG_METRICS_TOKEN", "FOERDERWEG_SMTP__PASSWORD", "the password in FOERDERWEG_DATABASE_URL"):
        assert named in message


def test_the_example_configuration_is_valid_and_says_what_the_documentation_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in [k for k in os.environ if k.startswith("FOERDERWEG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv(CONFIG_ENV, str(EXAMPLE / "foerderweg.toml"))
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert (settings.log_format, settings.smtp.starttls, settings.scheduler.lease_seconds) == ("json", True, 300)
    # Secrets stay out of the file; the environment file brings them.
    assert settings.smtp.password is None and settings.metrics_token is None
    env = environment_file()
    assert {"FOERDERWEG_DATABASE_URL", "FOERDERWEG_SMTP__PASSWORD", "FOERDERWEG_METRICS_TOKEN"} <= set(env)
    # systemd must wait longer than the service's own grace period, or it kills requests being finished.
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(EXAMPLE / "foerderweg-api@.service")
    assert int(parser["Service"]["TimeoutStopSec"]) > settings.shutdown_grace_seconds


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


@contextmanager
def installation(database_url: str, smtp_port: int, folder: Path) -> Iterator[tuple[list[str], list[Process]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERWEG_")}
    env |= environment_file() | FILLED_IN
    env |= {CONFIG_ENV: str(EXAMPLE / "foerderweg.toml"), "FOERDERWEG_DATABASE_URL": database_url,
            "FOERDERWEG_HOST": "127.0.0.1", "FOERDERWEG_SMTP__HOST": "127.0.0.1",
            "FOERDERWEG_SMTP__PORT": str(smtp_port), "FOERDERWEG_SMTP__STARTTLS": "false",
            "FOERDERWEG_SMTP__USERNAME": "", "FOERDERWEG_SCHEDULER__DRAIN_EVERY_SECONDS": "1"}
    ports = [free_port(), free_port()]
    commands = [(f"api-{port}", unit_command("foerderweg-api@.service", str(port))) for port in ports]
    for n in range(2):
        command = unit_command("foerderweg-scheduler.service")
        command[command.index("--metrics-port") + 1] = str(free_port())
        commands.append((f"scheduler-{n}", command))
    processes: list[Process] = []
    try:
        for name, command in commands:
            log_path = folder / f"{name}.log"
            with log_path.open("wb") as log:
                popen = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
            processes.append(Process(name, popen, log_path))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=False):
            wait_healthy(url, process.popen, process.log)
        yield urls, processes
    finally:
        for process in processes:
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait()


def test_two_replicas_and_two_schedulers_from_the_example_serve_one_database(
    ctx: Context, database_url: str, tmp_path: Path
) -> None:
    crew = make_crew(ctx)
    # Sent back for revision by 15.06.2026, long overdue by the wall clock: the schedulers escalate to Maria.
    in_revision(ctx, crew.world, title="MINT-Netzwerk Leipzig")
    draft = new_draft(ctx, crew.world, title="Antrag im Verbund")
    auth = {"Authorization": f"Bearer {ctx.admin.issue_token(SYSTEM, crew.anna.id)}"}
    with SmtpServer() as smtp, installation(database_url, smtp.port, tmp_path) as (urls, processes):
        first, second = urls
        step = httpx.post(f"{first}/proposals/{draft}/transitions", json={"transition": "withdraw", "reason": REASON},
                          headers={**auth, "If-Match": '"1"', "X-Request-ID": "via-replica-1"}, timeout=10)
        assert step.status_code == 200, step.text
        seen = httpx.get(f"{second}/proposals/{draft}", headers=auth, timeout=10)
        assert seen.json()["state"] == "withdrawn" and seen.headers["ETag"] == step.headers["ETag"]
        # The same step on the old version through the other replica: refused, not applied twice.
        again = httpx.post(f"{second}/proposals/{draft}/transitions", json={"transition": "withdraw", "reason": REASON},
                           headers={**auth, "If-Match": '"1"'}, timeout=10)
        assert again.status_code == 409

        # /metrics wants the token of the environment file; with it, the Prometheus format.
        metrics_token = FILLED_IN["FOERDERWEG_METRICS_TOKEN"]
        assert httpx.get(f"{second}/metrics", timeout=10).status_code == 401
        scraped = httpx.get(f"{second}/metrics", headers={"Authorization": f"Bearer {metrics_token}"}, timeout=10)
        assert scraped.status_code == 200 and "foerderweg_http_requests_total" in scraped.text

        # Both schedulers sweep and deliver; each message reaches the mail server once.
        mails = smtp.wait_for(lambda got: any(crew.maria.email in m.recipients for m in got), seconds=30)
        assert any(crew.maria.email in m.recipients for m in mails), [p.log() for p in processes]
        for process in processes:
            process.popen.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.popen.wait(timeout=60) == 0, process.log()
            assert "Traceback" not in process.log(), process.log()
    rows = outbox(ctx, channel="email")
    assert not [r for r in rows if r.status == "sending"]
    assert len(smtp.mails) == len([r for r in rows if r.status == "sent"])
    assert set(smtp.message_ids().values()) == {1}
