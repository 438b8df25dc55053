"""Password hashes for the web sign-in (argon2id, the OWASP recommendation; parameters from argon2-cffi).

Unlike API tokens, passwords are chosen by people and guessable, so they get a slow, salted hash. That hash takes
~50 ms of the machine's cores (argon2 runs several threads) and 64 MiB: it runs on two threads of its own, at a
lower scheduling priority where the system allows it (Linux: per thread), so that a burst of sign-ins leaves the
processor to the requests around it instead of taking it from them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflow.errors import FieldProblem, InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 200
_hasher = PasswordHasher()
T = TypeVar("T")
NICENESS = 10


def _lower_priority() -> None:
    """Make this thread (and the threads argon2 starts from it) yield the processor to everything else."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        with contextlib.suppress(OSError):  # not allowed here: hashing runs at the usual priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


_hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hash", initializer=_lower_priority)


def _on_hashing_threads(work: Callable[[], T]) -> T:
    return _hashing.submit(work).result()


# Checked when nobody has the e-mail given, so that a wrong address takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput([FieldProblem("password", f"must have at least {MIN_LENGTH} characters")])
    if len(password) > MAX_LENGTH:
        raise InvalidInput([FieldProblem("password", f"must have at most {MAX_LENGTH} characters")])


def hash_password(password: str) -> str:
    check_strength(password)
    return _on_hashing_threads(lambda: _hasher.hash(password))


def verify(stored: str | None, password: str) -> bool:
    try:
        return _on_hashing_threads(lambda: _hasher.verify(stored or _DUMMY, password[:MAX_LENGTH])) \
            and stored is not None
    except (VerificationError, InvalidHashError):
        return False
