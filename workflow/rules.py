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

from workflow.money import format_eur
from workflow.timeutil import show

# A grant may cover at most 90 % of the eligible cost (Fachkräfterichtlinie: 10 % own share).
MAX_GRANT_NUMERATOR, MAX_GRANT_DENOMINATOR = 9, 10
MIN_REASON_LENGTH = 3


class Need(Enum):
    PLAN = "plan"
    ROUND = "round"
    BUDGET = "budget"


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


@dataclass(frozen=True)
class Facts:
    now: datetime
    reason: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    plan: tuple[PlanYear, ...] = ()
    round: RoundFacts | None = None
    budget: dict[int, BudgetYear] = field(default_factory=dict)


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
        free = budget.amount - budget.bound
        if y.grant_requested > free:
            problems.append(
                f"{y.year}: grant {format_eur(y.grant_requested)} exceeds the free budget {format_eur(free)} "
                f"(budget {format_eur(budget.amount)}, already bound {format_eur(budget.bound)})"
            )
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
              "the alliance's yearly budget still covers the grant of each year"),
    )
}
GUARD_NAMES: frozenset[str] = frozenset(GUARDS)
