"""Real `foerderweg` processes for the reliability suite: API servers (with or without their clock), schedulers,
killed with SIGKILL or stopped with SIGTERM, each logging to its own file.

tests/serving.py starts servers for a test's whole block; here a test needs the process itself: to kill it in the
middle of a load, to start it again on the same port and database, to run `foerderweg scheduler` beside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import secret_key_env
from tests.serving import REPO, free_port, wait_healthy

FORBIDDEN_IN_LOG = ("database is locked", "Traceback", "unhandled error", "Internal error", "OperationalError")
COMMAND = [sys.executable, "-c", "from cli.main import main; main()"]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `foerderweg` process on the test's database (nothing of the caller's FOERDERWEG_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERWEG_")}
    return {**env, **secret_key_env(), "FOERDERWEG_DATABASE_URL": database_url, "FOERDERWEG_LOG_LEVEL": "info",
            **extra}


class Process:
    """One `foerderweg` process; `start()` again after `kill()` runs it anew with the same arguments."""

    def __init__(self, args: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.args = args
        self.env = dict(env)
        self.log_path = log_path
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Process:
        assert self.popen is None or self.popen.poll() is not None, "the process runs already"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start {self.starts}: foerderweg {' '.join(self.args)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen([*COMMAND, *self.args], env=self.env, cwd=REPO, stdout=log,
                                          stderr=subprocess.STDOUT)
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is finished, no connection is closed politely."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        assert self.popen.wait(timeout=15) == -signal.SIGKILL

    def stop(self) -> int | None:
        """SIGTERM and wait (SIGKILL after 15 s); the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)
        return self.popen.returncode

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def log_since_last_start(self) -> str:
        return self.log().rsplit("\n=== start ", 1)[-1]


class ServerProcess(Process):
    def __init__(self, database_url: str, folder: Path, name: str, *, scheduler: bool = False,
                 port: int | None = None, **env: str) -> None:
        self.port = port or free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not scheduler:
            args.append("--no-scheduler")
        super().__init__(args, environment(database_url, **env), folder / f"{name}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        super().start()
        self.wait_healthy()
        return self

    def wait_healthy(self, seconds: float = 30) -> None:
        assert self.popen is not None, "the server was not started"
        wait_healthy(self.url, self.popen, self.log, seconds)


def scheduler_process(database_url: str, folder: Path, name: str, **env: str) -> Process:
    return Process(["scheduler"], environment(database_url, **env), folder / f"{name}.log")


@contextmanager
def running(*processes: Process) -> Iterator[None]:
    """Start each (a server waits until it answers); always stop them all."""
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in processes:
            process.stop()


def assert_clean(text: str, what: str) -> None:
    for needle in FORBIDDEN_IN_LOG:
        assert needle not in text, f"{what} log contains {needle!r}:\n{text}"
    assert '" 500 ' not in text, f"{what} answered 500:\n{text}"
