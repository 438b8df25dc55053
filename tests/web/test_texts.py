"""Every text a page shows exists in German and English; a key used but never written would show as the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.web import texts
from api.web.texts import LANGUAGES, TextsError, catalogue

WEB = Path(texts.__file__).parent
# t("key", …) in templates and page modules (pages name texts_for(request) `t` too); t("prefix_" ~ name) builds a
# key at run time and is not checked here.
USE = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")


def _used_keys() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("**/*.py")]:
        for key in USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, set()).add(str(path.relative_to(WEB)))
    return used


def test_every_text_used_by_a_page_exists_in_both_languages() -> None:
    known = catalogue()
    missing = {key: sorted(where) for key, where in _used_keys().items() if key not in known}
    assert not missing, f"texts used but not defined in api/web/texts/*.toml: {missing}"
    for key, entry in known.items():
        assert all(entry[lang].strip() for lang in LANGUAGES), f"text '{key}' is empty in a language"


def test_a_text_defined_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.toml").write_text('[same]\nde = "A"\nen = "A"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[same]\nde = "B"\nen = "B"\n', encoding="utf-8")
    monkeypatch.setattr(texts, "FOLDER", tmp_path)
    catalogue.cache_clear()
    try:
        with pytest.raises(TextsError, match="'same' is also defined"):
            catalogue()
        (tmp_path / "b.toml").write_text('[other]\nde = "B"\n', encoding="utf-8")
        with pytest.raises(TextsError, match="needs exactly de and en"):
            catalogue()
    finally:
        catalogue.cache_clear()
