"""`foerderweg serve`: the HTTP service, with the clock beside it unless --no-scheduler.

One worker: the API and the clock in this process. Several (`--workers N`): uvicorn runs N API processes that
share the port, and the clock runs as one `foerderweg scheduler` child; their counters meet in a shared folder
(PROMETHEUS_MULTIPROC_DIR) so that /metrics on any worker reports them all. SIGTERM or Ctrl-C stops taking
requests, lets running requests and a running tick finish (up to shutdown_grace_seconds), then exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import typer
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.metrics import MULTIPROC_ENV
from cli.logs import configure, log_config
from schedules import clock
from workflow.context import build_context
from workflow.settings import Settings, load_settings


class Address(NamedTuple):
    host: str
    port: int


def serve(
    host: str = typer.Option(None, help="address to bind (default from config: 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default from config: 8000)"),
    workers: int = typer.Option(1, min=1, max=64, help="API processes sharing the port (PostgreSQL, or SQLite "
                                                       "on one machine: their writers take turns on a lock file "
                                                       "beside the database)"),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="run the clock (reminders, round closing, delivery) with the service; "
                                        "turn it off for API replicas beside a `foerderweg scheduler`"),
) -> None:
    """Run the HTTP service on the configured database."""
    settings = load_settings()
    configure(settings.log_level, settings.log_format)
    # Built here, not in a worker's startup, so that a broken procedure or configuration is one clear error.
    ctx = build_context(settings)
    ctx.publish_procedures()
    address = Address(host or settings.host, port or settings.port)
    if workers == 1:
        ticking = clock.background(ctx) if scheduler else None
        try:
            if ticking is not None:
                ticking.start()
            _after_uvicorn_returns_from_a_signal()
            _run(create_app(ctx), settings, address)
        finally:
            if ticking is not None:
                # Let a running tick finish: its rows are claimed, and half-done work would wait for the lease.
                ticking.shutdown(wait=True)
            ctx.close()
        return
    ctx.close()
    _serve_workers(settings, workers, scheduler, address)


def _serve_workers(settings: Settings, workers: int, scheduler: bool, address: Address) -> None:
    counters = Path(tempfile.mkdtemp(prefix="foerderweg-metrics-"))
    os.environ[MULTIPROC_ENV] = str(counters)
    ticking = (subprocess.Popen([sys.executable, "-m", "cli", "scheduler"], env=os.environ.copy())
               if scheduler else None)
    try:
        _run("api.app:create_app", settings, address, workers=workers)
    finally:
        if ticking is not None:
            ticking.terminate()  # SIGTERM: the scheduler finishes its running tick, then exits
            try:
                ticking.wait(timeout=settings.shutdown_grace_seconds + 5)
            except subprocess.TimeoutExpired:
                ticking.kill()
        shutil.rmtree(counters, ignore_errors=True)


def _after_uvicorn_returns_from_a_signal() -> None:
    # uvicorn shuts down on SIGTERM/SIGINT, restores the handlers it found and raises the signal again. With the
    # default handlers that kills the process before the clock has finished its tick; with these the raise
    # comes back here, the clock stops and the database closes, and the process exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)


def _run(app: FastAPI | str, settings: Settings, address: Address, workers: int = 1) -> None:
    # An import string with factory=True lets each worker process build its own app and database pool.
    uvicorn.run(app, host=address.host, port=address.port, workers=workers if workers > 1 else None,
                factory=isinstance(app, str), log_level=settings.log_level,
                log_config=log_config(settings.log_level, settings.log_format), access_log=False,
                timeout_graceful_shutdown=settings.shutdown_grace_seconds, server_header=False)
