"""Bearer tokens: shown once at creation, stored only as a hash.

Tokens are 256 random bits, so a fast hash is enough to make a stolen database useless for logging in; a slow
password hash would add nothing but latency to every request.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "fw_"


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
