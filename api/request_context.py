"""The id of the request being answered, for every log line written while it runs (wherever that is)."""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("foerderweg_request_id", default=None)
