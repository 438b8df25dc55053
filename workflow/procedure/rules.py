"""Guards: pure functions over facts, named in procedure definitions.

A guard returns None when its rule holds, else a sentence saying why not. It reads only the `Facts` it declares,
so the service loads just those (no round lookup for a withdrawal, no budget sums for a submission). Time is a
fact like any other: `now` is passed in, never read from a clock here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from workflow.proposals.money import format_eur
from workflow.review.results import Result, Sheet
from workflow.review.scheme import ScoringScheme
from workflow.timeutil import show

# A grant may cover at most 90 % of the eligible cost (Fachkräfterichtlinie: 10 % own share).
MAX_GRANT_NUMERATOR, MAX_GRANT_DENOMINATOR = 9, 10
MIN_REASON_LENGTH = 3


class Need(Enum):
    PLAN = "plan"
    ROUND = "round"
    BUDGET = "budget"
    SCORES = "scores"
    CONDITIONS = "conditions"


@dataclass(frozen=True)
class PlanYear:
    year: int
    total_cost: int  # cents, as every amount here
    grant_requested: int
    own_share: int
    own_share_source: str


@dataclass(frozen=True)
class RoundFacts:
    name: str
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class BudgetYear:
    amount: int | None  # None: the alliance has no budget for that year
    bound: int  # grants of the alliance's other proposals that already bind this year's budget
    reserve: int = 0  # drawn for the alliance and this year from a reserve pool, on a recorded reason


@dataclass(frozen=True)
class ScoringFacts:
    scheme: ScoringScheme | None  # None: the round has none yet
    sheets: tuple[Sheet, ...]  # scores that count (members without a conflict of interest)
    eligible: int  # members who may score this proposal
    result: Result | None


@dataclass(frozen=True)
class ConditionFact:
    position: int
    status: str  # open | answered | met | not_met


@dataclass(frozen=True)
class Facts:
    now: datetime
    reason: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    plan: tuple[PlanYear, ...] = ()
    round: RoundFacts | None = None
    budget: dict[int, BudgetYear] = field(default_factory=dict)
    scoring: ScoringFacts | None = None
    # The conditions of the latest second reading (earlier readings' conditions were judged already).
    conditions: tuple[ConditionFact, ...] = ()


Check = Callable[[Facts], str | None]


@dataclass(frozen=True)
class Guard:
    name: str
    needs: frozenset[Need]
    check: Check
    description: str
    # Judges what the caller sends with the request (a reason), so it cannot be judged in advance.
    on_request: bool = False


def funding_plan_complete(facts: Facts) -> str | None:
    if not facts.plan:
        return "the funding plan has no year"
    problems: list[str] = []
    for y in sorted(facts.plan, key=lambda p: p.year):
        if y.total_cost <= 0:
            problems.append(f"{y.year}: total cost must be greater than 0")
            continue
        if y.grant_requested * MAX_GRANT_DENOMINATOR > y.total_cost * MAX_GRANT_NUMERATOR:
            limit = y.total_cost * MAX_GRANT_NUMERATOR // MAX_GRANT_DENOMINATOR
            problems.append(
                f"{y.year}: grant {format_eur(y.grant_requested)} exceeds 90 % of the total cost "
                f"{format_eur(y.total_cost)} (at most {format_eur(limit)})"
            )
        if y.grant_requested + y.own_share != y.total_cost:
            problems.append(
                f"{y.year}: grant {format_eur(y.grant_requested)} and own share {format_eur(y.own_share)} "
                f"do not add up to the total cost {format_eur(y.total_cost)}"
            )
        if y.own_share > 0 and not y.own_share_source.strip():
            problems.append(f"{y.year}: the source of the own share is not stated")
    return "; ".join(problems) or None


def round_open(facts: Facts) -> str | None:
    r = facts.round
    if r is None:
        return "the proposal belongs to no submission round"
    if facts.now < r.opens_at:
        return f"round '{r.name}' opens only at {show(r.opens_at)}"
    if facts.now >= r.closes_at:
        return f"round '{r.name}' closed at {show(r.closes_at)}"
    return None


def round_closed(facts: Facts) -> str | None:
    r = facts.round
    if r is None:
        return "the proposal belongs to no submission round"
    if facts.now < r.closes_at:
        return f"round '{r.name}' is still open until {show(r.closes_at)}"
    return None


def reason_given(facts: Facts) -> str | None:
    if facts.reason is None or len(facts.reason.strip()) < MIN_REASON_LENGTH:
        return f"a reason of at least {MIN_REASON_LENGTH} characters is required"
    return None


def budget_covers(facts: Facts) -> str | None:
    problems: list[str] = []
    for y in sorted(facts.plan, key=lambda p: p.year):
        if y.grant_requested <= 0:
            continue
        budget = facts.budget.get(y.year)
        if budget is None or budget.amount is None:
            problems.append(f"{y.year}: the alliance has no budget for this year")
            continue
        free = budget.amount + budget.reserve - budget.bound
        if y.grant_requested > free:
            drawn = f", drawn from the reserve {format_eur(budget.reserve)}" if budget.reserve else ""
            problems.append(
                f"{y.year}: grant {format_eur(y.grant_requested)} exceeds the free budget {format_eur(free)} "
                f"(budget {format_eur(budget.amount)}{drawn}, already bound {format_eur(budget.bound)}); "
                "a drawing on the reserve with a recorded reason can cover the difference"
            )
    return "; ".join(problems) or None


NO_SCHEME = "the round has no scoring scheme yet; the manager sets one (PUT /rounds/{id}/scoring-scheme)"


def quorum_scored(facts: Facts) -> str | None:
    s = facts.scoring
    if s is None or s.scheme is None:
        return NO_SCHEME
    quorum = s.scheme.quorum
    if s.eligible < quorum:
        return (f"only {s.eligible} member(s) without a conflict of interest may score this proposal; "
                f"the quorum is {quorum}")
    if len(s.sheets) < quorum:
        return f"{len(s.sheets)} of the {quorum} scores the quorum needs are in"
    return None


def score_threshold_met(facts: Facts) -> str | None:
    s = facts.scoring
    if s is None or s.scheme is None:
        return NO_SCHEME
    if s.result is None or s.result.scores == 0:
        return "the proposal has no scores yet"
    problems = [f"k.o. criterion '{key}' is not met" for key in s.result.ko_failed]
    if s.result.share < s.scheme.min_share:
        problems.append(f"its score ({s.result.total} of {s.result.max_total} points, {s.result.share} %) is "
                        f"below the minimum of {s.scheme.min_share} % of the maximum")
    return "; ".join(problems) or None


def conditions_answered(facts: Facts) -> str | None:
    open_ = [c.position for c in facts.conditions if c.status == "open"]
    if open_:
        return f"condition(s) {', '.join(map(str, open_))} of the second reading are not answered yet"
    return None


# A condition of a second reading is not judged yet while it is open or answered; until then it may be answered.
UNJUDGED = ("open", "answered")


def conditions_met(facts: Facts) -> str | None:
    problems = []
    unjudged = [c.position for c in facts.conditions if c.status in UNJUDGED]
    if unjudged:
        problems.append(f"condition(s) {', '.join(map(str, unjudged))} of the second reading are not judged yet")
    failed = [c.position for c in facts.conditions if c.status == "not_met"]
    if failed:
        problems.append(f"condition(s) {', '.join(map(str, failed))} of the second reading were judged not met")
    return "; ".join(problems) or None


GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard("funding_plan_complete", frozenset({Need.PLAN}), funding_plan_complete,
              "each year: grant and own share add up to the total, grant at most 90 %, own share's source stated"),
        Guard("round_open", frozenset({Need.ROUND}), round_open, "the proposal's submission round is open"),
        Guard("round_closed", frozenset({Need.ROUND}), round_closed,
              "the proposal's submission round has closed"),
        Guard("reason_given", frozenset(), reason_given, "a reason is given", on_request=True),
        Guard("budget_covers", frozenset({Need.PLAN, Need.BUDGET}), budget_covers,
              "the alliance's yearly budget (with any drawing on a reserve) still covers the grant of each year"),
        Guard("quorum_scored", frozenset({Need.SCORES}), quorum_scored,
              "enough members without a conflict of interest have scored the proposal (the scheme's quorum)"),
        Guard("score_threshold_met", frozenset({Need.SCORES}), score_threshold_met,
              "no k.o. criterion failed and the score reaches the scheme's minimum share of the maximum"),
        Guard("conditions_answered", frozenset({Need.CONDITIONS}), conditions_answered,
              "the applicant answered every condition of the second reading"),
        Guard("conditions_met", frozenset({Need.CONDITIONS}), conditions_met,
              "the steering group judged every condition of the second reading met"),
    )
}
GUARD_NAMES: frozenset[str] = frozenset(GUARDS)
