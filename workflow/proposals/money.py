"""Amounts are integer euro cents inside the engine: exact sums on every database, no float drift."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def to_cents(euros: Decimal | int | str) -> int:
    return int((Decimal(euros) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_eur(cents: int) -> str:
    """German notation, as applicants read it: 1.234,50 EUR."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} EUR"
