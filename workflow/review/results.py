"""What a proposal's scores add up to, and who may not score it. Pure functions: no database, no clock.

The result is the mean of the members' points per criterion, weighted and summed. A k.o. criterion fails when
at least half of the scores say it is not met: the group decides it like everything else, by its members.
Conflicted members' scores do not count (they are refused when given; a conflict found later leaves them out).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from workflow.review.scheme import ScoringScheme

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Member:
    """A person who may score: a voting member of the steering group, or a bank officer."""

    user_id: int
    name: str
    organisation_id: int | None
    organisation_name: str | None


@dataclass(frozen=True)
class Sheet:
    """One member's scores of one proposal."""

    scorer_id: int
    points: dict[str, int]
    ko: dict[str, bool]  # criterion key -> met


@dataclass(frozen=True)
class ProposalParties:
    """Whose proposal it is: the lead organisation and the named partners."""

    organisation_id: int
    partners: tuple[str, ...]


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def conflict_of(member: Member, parties: ProposalParties) -> str | None:
    """Why the member may not score this proposal (their organisation leads it or is a partner), or None."""
    if member.organisation_id is not None and member.organisation_id == parties.organisation_id:
        return "the member's organisation is the applicant"
    if member.organisation_name and any(_same_name(member.organisation_name, p) for p in parties.partners):
        return f"the member's organisation ({member.organisation_name}) is a partner of the proposal"
    return None


@dataclass(frozen=True)
class Result:
    scores: int  # sheets that count
    per_criterion: dict[str, Decimal]  # mean points, two places
    total: Decimal  # weighted sum of the means
    max_total: int
    share: Decimal  # percent of the maximum
    ko_failed: tuple[str, ...]

    def passes(self, scheme: ScoringScheme) -> bool:
        return self.scores > 0 and not self.ko_failed and self.share >= scheme.min_share


def result_of(scheme: ScoringScheme, sheets: list[Sheet]) -> Result:
    n = len(sheets)
    per_criterion: dict[str, Decimal] = {}
    total = Decimal(0)
    for c in scheme.criteria:
        mean = Decimal(sum(s.points.get(c.key, 0) for s in sheets)) / n if n else Decimal(0)
        per_criterion[c.key] = mean.quantize(TWO_PLACES, ROUND_HALF_UP)
        total += mean * c.weight
    failed = tuple(k.key for k in scheme.ko
                   if n and 2 * sum(1 for s in sheets if s.ko.get(k.key) is False) >= n)
    share = (total * 100 / scheme.max_total) if n else Decimal(0)
    return Result(scores=n, per_criterion=per_criterion, total=total.quantize(TWO_PLACES, ROUND_HALF_UP),
                  max_total=scheme.max_total, share=share.quantize(TWO_PLACES, ROUND_HALF_UP), ko_failed=failed)


def check_sheet(scheme: ScoringScheme, points: dict[str, int], ko: dict[str, bool]) -> list[tuple[str, str]]:
    """(field, problem) for every way the sheet does not fit the scheme; empty when it fits."""
    problems: list[tuple[str, str]] = []
    criteria = {c.key: c for c in scheme.criteria}
    for key in sorted(set(points) - set(criteria)):
        problems.append((f"points.{key}", f"not a criterion of this scheme (criteria: {', '.join(criteria)})"))
    for key, c in criteria.items():
        if key not in points:
            problems.append((f"points.{key}", f"missing: every criterion is scored (0 to {c.max_points})"))
        elif not 0 <= points[key] <= c.max_points:
            problems.append((f"points.{key}", f"must be between 0 and {c.max_points}"))
    ko_keys = {k.key for k in scheme.ko}
    for key in sorted(set(ko) - ko_keys):
        problems.append((f"ko.{key}", "not a k.o. criterion of this scheme"
                                      + (f" (k.o. criteria: {', '.join(sorted(ko_keys))})" if ko_keys else "")))
    for key in sorted(ko_keys - set(ko)):
        problems.append((f"ko.{key}", "missing: say whether this k.o. criterion is met (true or false)"))
    return problems
