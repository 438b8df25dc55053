"""How the processes log: JSON lines (or plain text) on stderr, each carrying the request id it was written under."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from api.request_context import REQUEST_ID

OUR_LOGGERS = ("foerderweg", "workflow", "schedules", "api", "apscheduler", "uvicorn", "uvicorn.error")
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d"
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was written under ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        record.__dict__.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
        return True


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A dictConfig for uvicorn and for us. uvicorn's own access log is off: the app logs each answer itself,
    with its route, duration and request id."""
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS, "timestamp": "time",
         "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
         "json_ensure_ascii": False}
        if fmt == "json" else {"format": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "cli.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "main",
                              "filters": ["request_id"]}},
        "loggers": {
            **{name: {"handlers": ["main"], "level": level.upper(), "propagate": False} for name in OUR_LOGGERS},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "apscheduler": {"handlers": ["main"], "level": "WARNING", "propagate": False},
        },
    }


def configure(level: str, fmt: str) -> None:
    logging.config.dictConfig(log_config(level, fmt))
