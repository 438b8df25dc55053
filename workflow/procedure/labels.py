"""Text shown to people, in German (the default) and English."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    de: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.de
