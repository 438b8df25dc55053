"""A scoring scheme (Bewertungsmatrix): weighted criteria with maximum points, k.o. criteria, a minimum share of
the maximum, a quorum of voting members, and the rule that breaks ties in the ranking.

A procedure may bring one (Lower Saxony's bank scores with fixed criteria); otherwise the alliance's manager sets
one per round. The same model validates both, so a scheme from TOML and one from the API obey the same rules.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflow.procedure.labels import Labels

KEY = r"^[a-z][a-z0-9_]*$"
TIE_BREAKS = {
    "earlier_submission_first": "the proposal submitted earlier ranks first",
    "lower_grant_first": "the proposal asking for the smaller grant ranks first",
}


def _labels(value: Any) -> Any:
    """A criterion named in one language only is named the same in both."""
    return {"de": value, "en": value} if isinstance(value, str) else value


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=KEY, max_length=60)
    label: Labels
    weight: int = Field(default=1, ge=1, le=100)
    max_points: int = Field(ge=1, le=1000)

    _label = field_validator("label", mode="before")(_labels)


class KoCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=KEY, max_length=60)
    label: Labels

    _label = field_validator("label", mode="before")(_labels)


class ScoringScheme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Who scores: the steering group's voting members, or the bank (Lower Saxony).
    scorers: Literal["reviewer", "bank"] = "reviewer"
    # A fixed scheme comes with the procedure and no round may change it.
    fixed: bool = False
    criteria: tuple[Criterion, ...] = Field(min_length=1, max_length=30)
    ko: tuple[KoCriterion, ...] = Field(default=(), max_length=30)
    # Percent of the maximum weighted total below which a proposal cannot be prioritised (or approved).
    min_share: int = Field(default=0, ge=0, le=100)
    # Scores of members without a conflict of interest needed before the decision.
    quorum: int = Field(default=1, ge=1, le=100)
    # Members see the others' scores only after scoring themselves, so that nobody follows the first score.
    blind: bool = True
    tie_break: Literal["earlier_submission_first", "lower_grant_first"] = "earlier_submission_first"

    @model_validator(mode="after")
    def _unique_keys(self) -> ScoringScheme:
        keys = [c.key for c in self.criteria] + [k.key for k in self.ko]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"criterion key(s) used more than once: {', '.join(doubled)}")
        return self

    @property
    def max_total(self) -> int:
        return sum(c.weight * c.max_points for c in self.criteria)
