"""The guards of workflow/procedure/rules.py as pure functions over Facts, and the money helpers they format with."""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from workflow.procedure.rules import (
    GUARD_NAMES,
    GUARDS,
    BudgetYear,
    Check,
    ConditionFact,
    Facts,
    Need,
    PlanYear,
    RoundFacts,
    ScoringFacts,
    budget_covers,
    conditions_answered,
    conditions_met,
    funding_plan_complete,
    quorum_scored,
    reason_given,
    round_closed,
    round_open,
    score_threshold_met,
)
from workflow.proposals.money import format_eur, to_cents, to_euros
from workflow.review.results import Sheet, result_of
from workflow.review.scheme import Criterion, KoCriterion, ScoringScheme
from workflow.timeutil import show

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OPENS = datetime(2026, 4, 12, 0, 0, tzinfo=UTC)
CLOSES = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
ROUND = RoundFacts(name="Runde 2026", opens_at=OPENS, closes_at=CLOSES)
ONE_MICROSECOND = timedelta(microseconds=1)


def year(
    y: int = 2026, *, total: int = 3_500_000, grant: int = 3_150_000, own: int | None = None,
    source: str = "Kofinanzierung Stadt Leipzig",
) -> PlanYear:
    """A plan year in cents; the own share defaults to what makes grant + own share = total."""
    return PlanYear(year=y, total_cost=total, grant_requested=grant,
                    own_share=total - grant if own is None else own, own_share_source=source)


def plan(*years: PlanYear) -> Facts:
    return Facts(now=NOW, plan=years)


# ----------------------------------------------------------------------------------------------------
# funding_plan_complete


def test_a_complete_plan_passes() -> None:
    assert funding_plan_complete(plan(year(2026), year(2027, total=1_000_000, grant=500_000))) is None


def test_an_empty_plan_is_refused() -> None:
    assert funding_plan_complete(plan()) == "the funding plan has no year"


@pytest.mark.parametrize(
    ("grant", "passes"),
    [(899_999, True), (900_000, True), (900_001, False)],
    ids=["below-90-percent", "exactly-90-percent", "90-percent-plus-one-cent"],
)
def test_grant_of_at_most_90_percent_boundary_in_cents(grant: int, passes: bool) -> None:
    # 90 % of 10.000,01 EUR is 9.000,009 EUR: 9.000,00 EUR is allowed, 9.000,01 EUR is not.
    why = funding_plan_complete(plan(year(total=1_000_001, grant=grant)))

    if passes:
        assert why is None
    else:
        assert why is not None
        assert "exceeds 90 %" in why
        assert "at most 9.000,00 EUR" in why


def test_grant_of_90_percent_plus_one_cent_names_the_year_and_the_limit() -> None:
    why = funding_plan_complete(plan(year(2027, total=3_500_000, grant=3_150_001)))

    assert why == (
        "2027: grant 31.500,01 EUR exceeds 90 % of the total cost 35.000,00 EUR (at most 31.500,00 EUR)"
    )


def test_grant_of_exactly_90_percent_of_a_round_total_passes() -> None:
    assert funding_plan_complete(plan(year(total=3_500_000, grant=3_150_000))) is None


@pytest.mark.parametrize(
    "own", [349_999, 350_001, 0], ids=["one-cent-short", "one-cent-over", "no-own-share"]
)
def test_grant_and_own_share_must_add_up_to_the_total(own: int) -> None:
    why = funding_plan_complete(plan(year(2026, total=3_500_000, grant=3_150_000, own=own)))

    assert why == (
        f"2026: grant 31.500,00 EUR and own share {format_eur(own)} "
        "do not add up to the total cost 35.000,00 EUR"
    )


@pytest.mark.parametrize("source", ["", "   "], ids=["empty", "blank"])
def test_own_share_without_source_is_refused(source: str) -> None:
    why = funding_plan_complete(plan(year(2026, source=source)))

    assert why == "2026: the source of the own share is not stated"


def test_no_own_share_needs_no_source() -> None:
    # A grant of 100 % is refused by the 90 % rule, but not for a missing source of a zero own share.
    why = funding_plan_complete(plan(year(2026, total=100_000, grant=100_000, own=0, source="")))

    assert why is not None
    assert "exceeds 90 %" in why
    assert "source" not in why


@pytest.mark.parametrize("total", [0, -100], ids=["zero", "negative"])
def test_total_cost_of_zero_or_less_is_refused(total: int) -> None:
    why = funding_plan_complete(plan(year(2026, total=total, grant=0, own=0)))

    assert why == "2026: total cost must be greater than 0"


def test_every_year_is_checked_and_all_problems_are_reported_in_year_order() -> None:
    why = funding_plan_complete(plan(
        year(2028, source=""),
        year(2026),
        year(2027, total=0, grant=0, own=0),
        year(2029, total=1_000_000, grant=900_001),
    ))

    assert why is not None
    problems = why.split("; ")
    assert [p.split(":")[0] for p in problems] == ["2027", "2028", "2029"]
    assert problems[0] == "2027: total cost must be greater than 0"
    assert problems[1] == "2028: the source of the own share is not stated"
    assert problems[2].startswith("2029: grant 9.000,01 EUR exceeds 90 %")
    assert "2026" not in why


def test_one_year_may_have_several_problems() -> None:
    why = funding_plan_complete(plan(year(2026, total=1_000_000, grant=950_000, own=10_000, source="")))

    assert why is not None
    assert why.count("2026:") == 3
    assert "exceeds 90 %" in why
    assert "do not add up" in why
    assert "not stated" in why


# ----------------------------------------------------------------------------------------------------
# round_open / round_closed


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - ONE_MICROSECOND, f"round 'Runde 2026' opens only at {show(OPENS)}"),
        (OPENS, None),
        (NOW, None),
        (CLOSES - ONE_MICROSECOND, None),
        (CLOSES, f"round 'Runde 2026' closed at {show(CLOSES)}"),
        (CLOSES + timedelta(days=30), f"round 'Runde 2026' closed at {show(CLOSES)}"),
    ],
    ids=["before-opening", "at-opening", "while-open", "just-before-closing", "at-closing", "long-after"],
)
def test_round_open_includes_opens_at_and_excludes_closes_at(now: datetime, expected: str | None) -> None:
    assert round_open(Facts(now=now, round=ROUND)) == expected


@pytest.mark.parametrize(
    ("now", "closed"),
    [(OPENS - ONE_MICROSECOND, False), (OPENS, False), (CLOSES - ONE_MICROSECOND, False), (CLOSES, True),
     (CLOSES + timedelta(days=30), True)],
    ids=["before-opening", "at-opening", "just-before-closing", "at-closing", "long-after"],
)
def test_round_closed_from_closes_at_on(now: datetime, closed: bool) -> None:
    why = round_closed(Facts(now=now, round=ROUND))

    if closed:
        assert why is None
    else:
        assert why == f"round 'Runde 2026' is still open until {show(CLOSES)}"


@pytest.mark.parametrize("now", [OPENS, CLOSES], ids=["at-opening", "at-closing"])
def test_round_open_and_round_closed_never_both_hold(now: datetime) -> None:
    facts = Facts(now=now, round=ROUND)

    assert (round_open(facts) is None) != (round_closed(facts) is None)


@pytest.mark.parametrize("guard", [round_open, round_closed], ids=["round_open", "round_closed"])
def test_round_guards_refuse_a_proposal_without_round(guard: Check) -> None:
    assert guard(Facts(now=NOW, round=None)) == "the proposal belongs to no submission round"


# ----------------------------------------------------------------------------------------------------
# reason_given


@pytest.mark.parametrize("reason", [None, "", "  ", "ab", "  ab  ", "\n\t"], ids=repr)
def test_missing_or_too_short_reason_is_refused(reason: str | None) -> None:
    assert reason_given(Facts(now=NOW, reason=reason)) == "a reason of at least 3 characters is required"


@pytest.mark.parametrize(
    "reason", ["abc", "  abc  ", "Begründung laut Beschluss der Lenkungsgruppe"], ids=repr
)
def test_reason_of_three_characters_or_more_passes(reason: str) -> None:
    assert reason_given(Facts(now=NOW, reason=reason)) is None


# ----------------------------------------------------------------------------------------------------
# budget_covers


def budget(*years: PlanYear, **budgets: BudgetYear) -> Facts:
    return Facts(now=NOW, plan=years, budget={int(k.removeprefix("y")): v for k, v in budgets.items()})


def test_grant_of_exactly_the_free_budget_passes() -> None:
    facts = budget(year(2026, grant=3_150_000), y2026=BudgetYear(amount=10_000_000, bound=6_850_000))

    assert budget_covers(facts) is None


def test_grant_one_cent_above_the_free_budget_is_refused() -> None:
    facts = budget(year(2026, grant=3_150_000), y2026=BudgetYear(amount=10_000_000, bound=6_850_001))

    assert budget_covers(facts) == (
        "2026: grant 31.500,00 EUR exceeds the free budget 31.499,99 EUR "
        "(budget 100.000,00 EUR, already bound 68.500,01 EUR); "
        "a drawing on the reserve with a recorded reason can cover the difference"
    )


def test_a_drawing_on_the_reserve_adds_to_the_free_budget_to_the_cent() -> None:
    covered = budget(year(2026, grant=3_150_000), y2026=BudgetYear(amount=10_000_000, bound=7_000_000, reserve=150_000))
    short = budget(year(2026, grant=3_150_000), y2026=BudgetYear(amount=10_000_000, bound=7_000_000, reserve=149_999))

    assert budget_covers(covered) is None
    assert budget_covers(short) == (
        "2026: grant 31.500,00 EUR exceeds the free budget 31.499,99 EUR "
        "(budget 100.000,00 EUR, drawn from the reserve 1.499,99 EUR, already bound 70.000,00 EUR); "
        "a drawing on the reserve with a recorded reason can cover the difference"
    )


@pytest.mark.parametrize(
    "budgets",
    [{}, {"y2026": BudgetYear(amount=None, bound=0)}, {"y2027": BudgetYear(amount=10_000_000, bound=0)}],
    ids=["no-budget-at-all", "budget-amount-none", "budget-only-for-another-year"],
)
def test_year_without_budget_is_refused(budgets: dict[str, BudgetYear]) -> None:
    assert budget_covers(budget(year(2026), **budgets)) == "2026: the alliance has no budget for this year"


def test_years_with_zero_grant_are_ignored() -> None:
    facts = budget(
        year(2025, total=100_000, grant=0, own=100_000),
        year(2026, grant=1_000_000),
        y2026=BudgetYear(amount=1_000_000, bound=0),
    )

    assert budget_covers(facts) is None


def test_every_year_of_the_budget_is_checked_and_all_problems_reported() -> None:
    facts = budget(
        year(2028, grant=100),
        year(2026, grant=200),
        year(2027, grant=300),
        y2026=BudgetYear(amount=199, bound=0),
        y2027=BudgetYear(amount=1_000, bound=700),
    )

    why = budget_covers(facts)

    assert why is not None
    # Each year's problem starts with its year; a year's problem may itself contain "; " (the hint on the reserve).
    problems = re.split(r"; (?=\d{4}: )", why)
    assert [p.split(":")[0] for p in problems] == ["2026", "2028"]
    assert "exceeds the free budget 1,99 EUR" in problems[0]
    assert problems[1] == "2028: the alliance has no budget for this year"


def test_an_empty_plan_binds_no_budget() -> None:
    assert budget_covers(budget()) is None


# ----------------------------------------------------------------------------------------------------
# the guard table


EXPECTED_NEEDS = {
    "funding_plan_complete": frozenset({Need.PLAN}),
    "round_open": frozenset({Need.ROUND}),
    "round_closed": frozenset({Need.ROUND}),
    "reason_given": frozenset(),
    "budget_covers": frozenset({Need.PLAN, Need.BUDGET}),
    "quorum_scored": frozenset({Need.SCORES}),
    "score_threshold_met": frozenset({Need.SCORES}),
    "conditions_answered": frozenset({Need.CONDITIONS}),
    "conditions_met": frozenset({Need.CONDITIONS}),
}


def test_the_guard_table_lists_every_guard_under_its_own_name() -> None:
    assert set(GUARDS) == set(EXPECTED_NEEDS)
    assert frozenset(EXPECTED_NEEDS) == GUARD_NAMES
    assert GUARDS["funding_plan_complete"].check is funding_plan_complete
    assert GUARDS["round_open"].check is round_open
    assert GUARDS["round_closed"].check is round_closed
    assert GUARDS["reason_given"].check is reason_given
    assert GUARDS["budget_covers"].check is budget_covers
    assert GUARDS["quorum_scored"].check is quorum_scored
    assert GUARDS["score_threshold_met"].check is score_threshold_met
    assert GUARDS["conditions_answered"].check is conditions_answered
    assert GUARDS["conditions_met"].check is conditions_met


@pytest.mark.parametrize("name", sorted(EXPECTED_NEEDS))
def test_every_guard_has_a_description_and_its_declared_needs(name: str) -> None:
    guard = GUARDS[name]

    assert guard.name == name
    assert guard.description.strip()
    assert guard.needs == EXPECTED_NEEDS[name]
    assert guard.on_request is (name == "reason_given")


# A scheme asking for two scores and half the points, with one score of one member, k.o. criterion failed.
SCHEME = ScoringScheme(criteria=(Criterion(key="regional_need", label="Fachkräftebedarf", max_points=5),),
                       ko=(KoCriterion(key="guideline_fit", label="Fördergegenstand"),), min_share=50, quorum=2)
SHEET = Sheet(scorer_id=1, points={"regional_need": 1}, ko={"guideline_fit": False})

# Facts in which every guard fails, so that a guard reading a fact it does not declare shows up.
FULL_FACTS = Facts(
    now=CLOSES + timedelta(days=1),
    reason="ab",
    plan=(year(2026, source=""),),
    round=ROUND,
    budget={2026: BudgetYear(amount=100, bound=0)},
    scoring=ScoringFacts(scheme=SCHEME, sheets=(SHEET,), eligible=1, result=result_of(SCHEME, [SHEET])),
    conditions=(ConditionFact(position=1, status="open"), ConditionFact(position=2, status="not_met")),
)


@pytest.mark.parametrize("name", sorted(EXPECTED_NEEDS))
def test_every_guard_reads_only_the_facts_it_declares(name: str) -> None:
    guard = GUARDS[name]
    only_declared = Facts(
        now=FULL_FACTS.now,
        reason=FULL_FACTS.reason,
        plan=FULL_FACTS.plan if Need.PLAN in guard.needs else (),
        round=FULL_FACTS.round if Need.ROUND in guard.needs else None,
        budget=FULL_FACTS.budget if Need.BUDGET in guard.needs else {},
        scoring=FULL_FACTS.scoring if Need.SCORES in guard.needs else None,
        conditions=FULL_FACTS.conditions if Need.CONDITIONS in guard.needs else (),
    )

    assert guard.check(only_declared) == guard.check(FULL_FACTS)
    assert (guard.check(FULL_FACTS) is None) == (name == "round_closed")


def test_guards_do_not_change_the_facts() -> None:
    facts = deepcopy(FULL_FACTS)
    for guard in GUARDS.values():
        guard.check(facts)

    assert facts == FULL_FACTS


# ----------------------------------------------------------------------------------------------------
# workflow.proposals.money


@pytest.mark.parametrize(
    ("euros", "cents"),
    [("0", 0), ("0.01", 1), ("1234.56", 123_456), ("100000000.00", 10_000_000_000), ("-12.30", -1_230)],
)
def test_to_cents_and_to_euros_round_trip(euros: str, cents: int) -> None:
    assert to_cents(Decimal(euros)) == cents
    assert to_cents(euros) == cents
    assert to_euros(cents) == Decimal(euros)
    assert to_cents(to_euros(cents)) == cents
    assert str(to_euros(cents)) == str(Decimal(euros).quantize(Decimal("0.01")))


def test_to_cents_takes_whole_euros_as_int() -> None:
    assert to_cents(35_000) == 3_500_000


def test_to_cents_rounds_half_up() -> None:
    assert to_cents("0.005") == 1
    assert to_cents("0.004") == 0
    assert to_cents("1.005") == 101


def test_to_euros_always_has_two_places() -> None:
    assert str(to_euros(100)) == "1.00"
    assert str(to_euros(5)) == "0.05"
    assert str(to_euros(-5)) == "-0.05"


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (123_456, "1.234,56 EUR"),
        (0, "0,00 EUR"),
        (5, "0,05 EUR"),
        (100, "1,00 EUR"),
        (3_150_000, "31.500,00 EUR"),
        (10_000_000_000, "100.000.000,00 EUR"),
        (-123_456, "-1.234,56 EUR"),
        (-5, "-0,05 EUR"),
    ],
)
def test_format_eur_writes_german_notation(cents: int, text: str) -> None:
    assert format_eur(cents) == text
