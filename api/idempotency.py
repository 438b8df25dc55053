"""Idempotent requests: a retried request with the same Idempotency-Key gets the first answer and no second effect.

This is the HTTP adapter's wrapper around the engine's unit of work: it opens the transaction, lets the action
(a step, a creation) run in it, and stores the HTTP answer (status, JSON body, ETag) under the caller's key in the
same transaction, so that a crash can never leave an effect without its key or a key without its effect. The
engine knows nothing of it: it is given a session, as every adapter gives it one. Only successful requests are
kept: a refused request changed nothing, and repeating it is harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow.errors import FieldProblem, InvalidInput, StaleVersion
from workflow.people.actors import Actor
from workflow.persistence.db import Database
from workflow.proposals import store as repo
from workflow.proposals.records import IdempotencyEntry

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredAnswer:
    """What the adapter answered the first time: status, body and ETag, replayed as they were."""

    status: int
    body: dict[str, Any]
    etag: str | None = None

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers={"ETag": self.etag} if self.etag else {})


@dataclass(frozen=True)
class Once:
    """One request sent with an Idempotency-Key."""

    key: str
    scope: str  # what the key was used for, e.g. "POST /proposals/12/transitions"
    fingerprint: str

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


def actor_key(actor: Actor) -> str:
    """Whose idempotency keys these are: each person's own in the role they act in, and the system's. A stored
    answer shows what its caller could see then (salary lines for an applicant): it is never replayed to anyone
    else, nor to the same person acting in another role."""
    return f"user:{actor.user_id}:{actor.role.value}" if actor.user_id is not None else actor.role.value


def answer_once(db: Database, actor: Actor, once: Once, now: datetime,
                action: Callable[[Session], StoredAnswer]) -> StoredAnswer:
    """Run `action` in a new transaction and keep its answer with it, unless this caller's key has an answer
    already: then replay that (KeyReused if the key came with a different request)."""
    key = check_key(once.key)
    owner = actor_key(actor)
    try:
        with db.write() as session:
            stored = repo.idempotency_record(session, owner, key)
            if stored is not None:
                return _replay(stored, once)
            answer = action(session)
            repo.insert_idempotency_record(session, {
                "actor_key": owner, "key": key, "scope": once.scope, "fingerprint": once.fingerprint,
                "status": answer.status, "body": answer.body, "etag": answer.etag, "created_at": now,
            })
            return answer
    except (StaleVersion, IntegrityError):
        # A concurrent request with the same key may have done the step first: then answer as it did.
        with db.read() as session:
            stored = repo.idempotency_record(session, owner, key)
        if stored is None:
            raise
        return _replay(stored, once)


def _replay(stored: IdempotencyEntry, once: Once) -> StoredAnswer:
    if (stored.scope, stored.fingerprint) != (once.scope, once.fingerprint):
        raise KeyReused(once.key)
    return StoredAnswer(status=stored.status, body=dict(stored.body), etag=stored.etag)
