"""How values of the engine's read models appear in answers, as field types of the response schemas.

The response schemas read a read model's attributes (`from_attributes`); where the answer writes a value differently
(cents as EUR strings, exact decimals as strings, labels in the caller's language, a collection as its size), the
field's type here says how. None stays None: whether a field may be null is the schema's to say.
"""

from __future__ import annotations

from collections.abc import Sized
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from workflow.proposals.money import to_euros


def euro_string(cents: int | None) -> str | None:
    """Cents as an exact EUR amount: 1980000 -> "19800.00"."""
    return None if cents is None else str(to_euros(cents))


def decimal_string(value: Decimal | str | None) -> str | None:
    """An exact decimal as written ("4.33"); a stored document has it as a string already."""
    return None if value is None else str(value)


def language(info: ValidationInfo) -> str:
    """The caller's language: `model_validate(view, context={"language": ...})`."""
    if not info.context or "language" not in info.context:
        raise ValueError("a label in the caller's language needs the language in the validation context")
    chosen: str = info.context["language"]
    return chosen


def in_language(labels: Any, info: ValidationInfo) -> Any:
    """A label in every language ({"de": …, "en": …} or Labels) as the one in the caller's language."""
    if isinstance(labels, dict):
        return labels[language(info)]
    return labels.get(language(info)) if hasattr(labels, "get") else labels


def size(items: Sized | int) -> int:
    return items if isinstance(items, int) else len(items)


EurAmount = Annotated[str, BeforeValidator(euro_string)]
EurAmountOrNone = Annotated[str | None, BeforeValidator(euro_string)]
DecimalString = Annotated[str, BeforeValidator(decimal_string)]
DecimalOrNone = Annotated[str | None, BeforeValidator(decimal_string)]
InLanguage = Annotated[str, BeforeValidator(in_language)]
Count = Annotated[int, BeforeValidator(size)]


class With:
    """An object's attributes, some of them replaced or added: for a schema that reads a read model and a little
    more (`Out.model_validate(With(view, passes=...))`)."""

    def __init__(self, base: object, **more: Any) -> None:
        self._base = base
        self._more = more

    def __getattr__(self, name: str) -> Any:
        return self._more[name] if name in self._more else getattr(self._base, name)
