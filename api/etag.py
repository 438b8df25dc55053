"""Versions on the wire: ETag out, If-Match in (RFC 9110). A proposal's ETag is its version number."""

from __future__ import annotations

from workflow.errors import DomainError, FieldProblem, InvalidInput


class PreconditionRequired(DomainError):
    title = "Precondition required"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version the client decided on. Missing: 428, so that no client can overwrite blindly."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("send 'If-Match' with the version (ETag) you read, e.g. If-Match: \"3\"")
    value = if_match.strip()
    value = value.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise InvalidInput([FieldProblem("If-Match", f"{if_match!r} is not a proposal version such as \"3\"")])
    return int(value)
