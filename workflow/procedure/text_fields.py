"""What a person may type into a text field: one line (titles and names) or several (reasons, descriptions).

A title is shown in lists, mails, exports and the history. A line break there splits a line of a mail or of a CSV
row, a control character hides part of it, and a bidi control (U+202E, right-to-left override) shows it in another
order than it is stored: "Rechnung<U+202E>fdp.exe" reads as "Rechnungexe.pdf". So:

- a one-line field refuses every control character (C0 with tab, CR and LF; DEL; C1), the Unicode line and
  paragraph separators and the bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069);
- a multi-line field keeps line breaks (CRLF and CR are stored as LF) and tabs, and refuses the rest alike.

Both are normalised to NFC (one way of writing "é", so that equal names compare equal) and lose surrounding
whitespace (a line break at the end of a pasted title too) before they are checked. `OneLine` and `MultiLine` are
the pydantic types every text field of a request uses; `one_line` and `multi_line` are the same rules for a use
case's own arguments. The OpenAPI document carries each rule as a `pattern` (ECMA 262, read alike by Python's re),
so a client knows it before sending: a text the pattern admits is never refused for its characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE_REFUSED = f"\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI}"
_MULTI_LINE_REFUSED = f"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI}"  # keeps \t, \n and \r (a line break)
ONE_LINE_REFUSED = re.compile(f"[{_ONE_LINE_REFUSED}]")
MULTI_LINE_REFUSED = re.compile(f"[{_MULTI_LINE_REFUSED}]")


def _escaped(ranges: str) -> str:
    """The character class for a JSON schema: \\u escapes of four hex digits, which ECMA 262, Python and Rust read."""
    return "".join(c if c == "-" else f"\\u{ord(c):04x}" for c in ranges)


def _pattern(refused: str) -> str:
    """Empty, or starts and ends with a character that is neither whitespace nor refused."""
    inner, edge = f"[^{_escaped(refused)}]", f"[^\\s{_escaped(refused)}]"
    return f"^(?:{edge}(?:{inner}*{edge})?)?$"


ONE_LINE_REFUSED_CLASS = _escaped(_ONE_LINE_REFUSED)  # for patterns of one-line values of a narrower form
ONE_LINE_PATTERN = _pattern(_ONE_LINE_REFUSED)
MULTI_LINE_PATTERN = _pattern(_MULTI_LINE_REFUSED)


def _named(char: str) -> str:
    if char in "\r\n\u2028\u2029":
        return f"a line break (U+{ord(char):04X})"
    if char == "\t":
        return "a tab (U+0009)"
    if unicodedata.bidirectional(char) in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "LRM",
                                           "RLM", "ALM"):
        return f"a text-direction control character (U+{ord(char):04X})"
    return f"a control character (U+{ord(char):04X})"


def _tidy(value: str) -> str:
    # NFC almost always keeps or shortens a text; for the few characters it would lengthen (composition
    # exclusions), the text is kept as sent, so that a length the request was checked for still holds.
    composed = unicodedata.normalize("NFC", value)
    return (composed if len(composed) <= len(value) else value).strip()


def one_line(value: str) -> str:
    """The text, NFC and stripped; ValueError if it then holds a line break, a control or a bidi character."""
    value = _tidy(value)
    found = ONE_LINE_REFUSED.search(value)
    if found:
        raise ValueError(f"must be a single line without {_named(found.group())}")
    return value


def multi_line(value: str) -> str:
    """The text with LF line breaks, NFC and stripped; ValueError if it holds a control or a bidi character."""
    value = _tidy(value.replace("\r\n", "\n").replace("\r", "\n"))
    found = MULTI_LINE_REFUSED.search(value)
    if found:
        raise ValueError(f"must not contain {_named(found.group())}")
    return value


class JsonPattern:
    """Documents a rule the validator checks as the field's `pattern` in the JSON schema (and so in OpenAPI)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        found: dict[str, Any] = handler(schema)
        found["pattern"] = self.pattern
        return found


class JsonString:
    """Documents a value the validator also takes in other forms (an amount as a JSON number) as what clients
    should send: a string of the pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern}


OneLine = Annotated[str, AfterValidator(one_line), JsonPattern(ONE_LINE_PATTERN)]
MultiLine = Annotated[str, AfterValidator(multi_line), JsonPattern(MULTI_LINE_PATTERN)]
