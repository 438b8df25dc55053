"""`foerderweg serve` processes on free loopback ports, for tests and benchmarks that need a real server."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass
class Server:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Callable[[], str], seconds: float = 30) -> None:
    """Poll a starting server's /health until it answers 200; fail with its log if it exits or takes too long."""
    until = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"server exited:\n{log()}"
        assert time.monotonic() < until, f"server did not answer within {seconds} s:\n{log()}"
        time.sleep(0.05)  # polling a starting process, not waiting for a deadline


@contextmanager
def serve(database_url: str, folder: Path, processes: int = 1, log_level: str = "info", *, args: Sequence[str] = (),
          env: Mapping[str, str] | None = None) -> Iterator[list[Server]]:
    """`foerderweg serve` processes on free loopback ports, each logging to a file; always stopped.

    Several processes on one database run as workers behind a proxy would: on SQLite their writers meet at the
    database's lock file and write lock (BEGIN IMMEDIATE), not only at the lock inside one process.
    """
    env = {**os.environ, "FOERDERWEG_DATABASE_URL": database_url, "FOERDERWEG_LOG_LEVEL": log_level, **(env or {})}
    servers: list[Server] = []
    started: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(processes):
            port = free_port()
            server = Server(url=f"http://127.0.0.1:{port}", log_path=folder / f"server-{n}.log")
            command = [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
            with server.log_path.open("wb") as log:
                server.process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            started.append(server.process)
            servers.append(server)
        for server, process in zip(servers, started, strict=True):
            wait_healthy(server.url, process, server.log)
        yield servers
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
