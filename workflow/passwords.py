"""Password hashes for the web sign-in (argon2id, the OWASP recommendation; parameters from argon2-cffi).

Unlike API tokens, passwords are chosen by people and guessable, so they get a slow, salted hash.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflow.errors import FieldProblem, InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 200
_hasher = PasswordHasher()
# Checked when nobody has the e-mail given, so that a wrong address takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput([FieldProblem("password", f"must have at least {MIN_LENGTH} characters")])
    if len(password) > MAX_LENGTH:
        raise InvalidInput([FieldProblem("password", f"must have at most {MAX_LENGTH} characters")])


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password[:MAX_LENGTH]) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
