"""The words of the web pages in German and English, read from texts/*.toml (one file per group of pages).

A key missing in a language, or given in two files, fails at start; `tests/web/test_texts.py` checks that every
key a template or page uses exists.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("de", "en")
FOLDER = Path(__file__).parent / "texts"


class TextsError(ValueError):
    pass


@cache
def catalogue() -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(FOLDER.glob("*.toml")):
        for key, entry in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if key in texts:
                raise TextsError(f"{path.name}: text '{key}' is also defined in another file")
            if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
                raise TextsError(f"{path.name}: text '{key}' needs exactly de and en")
            texts[key] = {lang: str(entry[lang]) for lang in LANGUAGES}
    return texts


class Texts:
    """t(key, **values) in one language; pages and templates call it, parsers ask it which language it speaks."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "de"

    def __call__(self, key: str, **values: Any) -> str:
        return text(self.language, key, **values)


def text(language: str, key: str, **values: Any) -> str:
    """The text in the language, with {name} placeholders filled. An unknown key shows itself, never an error."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    template = entry.get(language, entry["de"])
    return template.format(**values) if values else template
