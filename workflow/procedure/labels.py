"""Text shown to people, in German (the default) and English."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Surrounding white space is stripped, so a label needs a character that is not white space; the pattern says so
# in the API's schema too (a lone vertical tab has length 1 but strips to nothing).
_SHOWN = r"\S"


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    de: str = Field(min_length=1, pattern=_SHOWN)
    en: str = Field(min_length=1, pattern=_SHOWN)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.de
