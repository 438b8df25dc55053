"""Idempotent requests: a retried request with the same key returns the first answer and has no second effect.

The key, a fingerprint of the request and the first answer are written in the same transaction as the effect, so a
crash can never leave an effect without its key or a key without its effect. Only successful requests are kept: a
refused request changed nothing, and repeating it is harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow.errors import FieldProblem, InvalidInput

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredAnswer:
    """What the adapter answered the first time, opaque to the engine (for HTTP: status, body, ETag)."""

    status: int
    body: dict[str, Any]
    etag: str | None = None


@dataclass(frozen=True)
class Once:
    key: str
    scope: str  # what the key was used for, e.g. "POST /proposals/12/transitions"
    fingerprint: str
    render: Callable[[Any], StoredAnswer]

    @staticmethod
    def fingerprint_of(payload: Any) -> str:
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput([FieldProblem("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")])
    return key


class KeyReused(InvalidInput):
    """The same key came with a different request: refusing protects against a client bug doing the wrong thing."""

    def __init__(self, key: str) -> None:
        super().__init__([FieldProblem("Idempotency-Key",
                                       f"key '{key}' was already used for a different request; use a new key")])
