"""`foerderweg serve`: the HTTP service."""

from __future__ import annotations

import copy
from typing import Any

import typer
import uvicorn

from api.app import create_app
from schedules import clock
from workflow.context import build_context
from workflow.settings import load_settings


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus ours: what the ticks did (rounds closed, reminders written, mail sent)."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for name in ("foerderweg", "workflow", "schedules"):
        config["loggers"][name] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def serve(
    host: str = typer.Option(None, help="address to bind (default from config: 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default from config: 8000)"),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="run the clock (reminders, round closing, delivery) in this process; "
                                        "turn it off for API replicas beside a `foerderweg scheduler`"),
) -> None:
    """Run the HTTP service on the configured database."""
    settings = load_settings()
    # Built here, not in the app's startup, so that a broken procedure or configuration is one clear error.
    ctx = build_context(settings)
    ticking = clock.background(ctx) if scheduler else None
    try:
        if ticking is not None:
            ticking.start()
        uvicorn.run(create_app(ctx), host=host or settings.host, port=port or settings.port,
                    log_level=settings.log_level, log_config=log_config(settings.log_level))
    finally:
        if ticking is not None:
            # Let a running tick finish: its rows are claimed, and half-done work would wait for the lease.
            ticking.shutdown(wait=True)
        ctx.close()
