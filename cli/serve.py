"""`foerderweg serve`: the HTTP service."""

from __future__ import annotations

import logging

import typer
import uvicorn

from api.app import create_app
from schedules import clock
from workflow.context import build_context
from workflow.settings import load_settings


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
    # The ticks log what they did (rounds closed, reminders written, mail sent) beside uvicorn's access log.
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(name)s %(message)s")
    ticking = clock.background(ctx) if scheduler else None
    try:
        if ticking is not None:
            ticking.start()
        uvicorn.run(create_app(ctx), host=host or settings.host, port=port or settings.port,
                    log_level=settings.log_level)
    finally:
        if ticking is not None:
            # Let a running tick finish: its rows are claimed, and half-done work would wait for the lease.
            ticking.shutdown(wait=True)
        ctx.close()
