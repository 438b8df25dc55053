"""HTTP floors over loopback: a floor app in its own uvicorn process, served the way `foerderweg serve` serves the
project (uvloop, httptools, one worker, no access log, log level warning), loaded by wrk."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench._common import Load
from bench.floors.http_apps import APPS, FLOOR_DATABASE_ENV
from bench.floors.schema import PROPOSALS, create_database
from bench.wrk import post_json_script, run_wrk

HOST = "127.0.0.1"
REPOSITORY = Path(__file__).resolve().parents[2]
STEP_BODY = {"actor": "bench", "reason": "floor"}
WARM_UP_REQUESTS = 100
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def http_floor(name: str, folder: Path, *, duration_s: float, connections: int) -> Load:
    """The floor app `name` (see bench.floors.http_apps.APPS) on a fresh database in `folder`, under wrk load
    spread over all its proposals."""
    if name not in APPS:
        raise ValueError(f"no HTTP floor {name!r}; there are {', '.join(APPS)}")
    database = create_database(folder / f"floor-http-{name}.db")
    paths = [f"/proposals/{i}/step" for i in range(1, PROPOSALS + 1)]
    script = post_json_script(folder, paths=paths, body=STEP_BODY)
    with floor_server(name, database) as server:
        _warm_up(server.url, paths[:WARM_UP_REQUESTS])
        return run_wrk(server.url + paths[0], script=script, duration_s=duration_s, connections=connections)


@contextmanager
def floor_server(name: str, database: Path) -> Iterator[Server]:
    """The floor app `name` serving `database` until the block ends."""
    with uvicorn_server(f"bench.floors.http_apps:{name}", env={FLOOR_DATABASE_ENV: str(database)}) as server:
        yield server


@contextmanager
def uvicorn_server(factory: str, *, env: Mapping[str, str], health_path: str = "/health") -> Iterator[Server]:
    """`factory` ("module:function" returning an ASGI app) in a uvicorn child process on a free loopback port,
    answering `health_path` before this yields; stopped with SIGTERM (then SIGKILL) afterwards."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port),
               "--loop", "uvloop", "--http", "httptools", "--workers", "1", "--log-level", "warning",
               "--no-access-log", "--no-server-header"]
    child_env = {**os.environ, **env,
                 "PYTHONPATH": os.pathsep.join(p for p in (str(REPOSITORY), os.environ.get("PYTHONPATH")) if p)}
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPOSITORY, env=child_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(process, url + health_path, log)
            yield Server(url=url, pid=process.pid)
        finally:
            _stop(process)


def _free_port() -> int:
    # The port may be taken again between here and uvicorn's bind; on loopback in a benchmark that is rare.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(process: subprocess.Popen[bytes], health_url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) before it answered:\n{_read(log)}")
        try:
            with urllib.request.urlopen(health_url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer {health_url} within {STARTUP_TIMEOUT_S:.0f} s:\n{_read(log)}")


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _warm_up(url: str, paths: list[str]) -> None:
    # The first requests import and build what the handler needs; keep that out of the measured seconds.
    body = json.dumps(STEP_BODY).encode()
    for path in paths:
        request = urllib.request.Request(url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()
