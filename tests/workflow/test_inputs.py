"""What callers hand to the use cases: drafts, funding years and the inputs a transition declares."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from workflow.errors import InvalidInput
from workflow.procedure.definition import TransitionDef
from workflow.procedure.inputs import (
    MAX_YEARS,
    DraftContent,
    FundingYearInput,
    NewDraft,
    normalise_transition_inputs,
    parse_model,
)
from workflow.procedure.registry import ProcedureRegistry

LABEL = {"de": "Bezeichnung", "en": "Label"}


def draft(**changes: Any) -> dict[str, Any]:
    return {"title": "Fachkräftenetzwerk Westsachsen", "round_id": 7, **changes}


def problems_of(model: type[NewDraft] | type[DraftContent], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        parse_model(model, data)
    return {p.field: p.problem for p in info.value.problems}


def input_problems(transition: TransitionDef, raw: dict[str, Any] | None) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        normalise_transition_inputs(transition, raw)
    return {p.field: p.problem for p in info.value.problems}


def synthetic(*inputs: tuple[str, str, bool]) -> TransitionDef:
    """A transition that takes the given (name, type, required) inputs."""
    return TransitionDef.model_validate({
        "name": "record",
        "label": LABEL,
        "from": ["draft"],
        "to": "submitted",
        "roles": ["manager"],
        "inputs": [{"name": n, "type": t, "required": r, "label": LABEL} for n, t, r in inputs],
    })


@pytest.fixture(scope="module")
def transitions() -> dict[str, TransitionDef]:
    return ProcedureRegistry.from_dirs().get("saxony-regional", 1).transitions


# ----------------------------------------------------------------------------------------------------
# NewDraft / DraftContent


def test_a_valid_new_draft_gets_empty_partners_and_plan() -> None:
    result = parse_model(NewDraft, draft())

    assert result.title == "Fachkräftenetzwerk Westsachsen"
    assert result.round_id == 7
    assert result.partners == []
    assert result.funding_plan == []


def test_parse_model_returns_an_already_validated_model_as_is() -> None:
    result = parse_model(NewDraft, draft())

    assert parse_model(NewDraft, result) is result


def test_new_draft_requires_title_and_round() -> None:
    problems = problems_of(NewDraft, {})

    assert problems == {"title": "Field required", "round_id": "Field required"}


@pytest.mark.parametrize("title", ["ab", "  ab  ", ""], ids=["two-characters", "padded-two", "empty"])
def test_title_needs_at_least_three_characters(title: str) -> None:
    problems = problems_of(NewDraft, draft(title=title))

    assert list(problems) == ["title"]
    assert "at least 3 characters" in problems["title"]


def test_title_is_stripped() -> None:
    assert parse_model(NewDraft, draft(title="  abc  ")).title == "abc"


def test_round_id_must_be_a_number() -> None:
    problems = problems_of(NewDraft, draft(round_id="seven"))

    assert list(problems) == ["round_id"]


def test_unknown_field_is_refused() -> None:
    problems = problems_of(NewDraft, draft(colour="red"))

    assert problems == {"colour": "Extra inputs are not permitted"}


def test_unknown_field_inside_a_funding_year_is_refused() -> None:
    problems = problems_of(NewDraft, draft(funding_plan=[{"year": 2026, "grant": "10"}]))

    assert problems == {"funding_plan.0.grant": "Extra inputs are not permitted"}


def test_duplicate_funding_years_are_refused() -> None:
    plan = [{"year": 2026}, {"year": 2027}, {"year": 2026}, {"year": 2027}, {"year": 2028}]

    problems = problems_of(NewDraft, draft(funding_plan=plan))

    assert list(problems) == ["funding_plan"]
    assert "2026, 2027 appear more than once" in problems["funding_plan"]


def test_duplicate_funding_years_are_refused_in_a_change_too() -> None:
    problems = problems_of(DraftContent, {"funding_plan": [{"year": 2026}, {"year": 2026}]})

    assert "2026 appear more than once" in problems["funding_plan"]


def test_funding_years_are_kept_in_year_order() -> None:
    result = parse_model(NewDraft, draft(funding_plan=[{"year": 2028}, {"year": 2026}, {"year": 2027}]))

    assert result.funding_plan is not None
    assert [y.year for y in result.funding_plan] == [2026, 2027, 2028]


def test_ten_funding_years_pass_and_eleven_are_refused() -> None:
    ten = [{"year": 2026 + i} for i in range(MAX_YEARS)]
    eleven = [{"year": 2026 + i} for i in range(MAX_YEARS + 1)]

    result = parse_model(NewDraft, draft(funding_plan=ten))
    problems = problems_of(NewDraft, draft(funding_plan=eleven))

    assert MAX_YEARS == 10
    assert result.funding_plan is not None
    assert len(result.funding_plan) == 10
    assert list(problems) == ["funding_plan"]
    assert "at most 10" in problems["funding_plan"]


@pytest.mark.parametrize(
    "field", ["staff_costs", "material_costs", "grant_requested", "own_share", "staff_fte"]
)
def test_negative_amounts_are_refused(field: str) -> None:
    problems = problems_of(NewDraft, draft(funding_plan=[{"year": 2026, field: "-0.01"}]))

    assert problems == {f"funding_plan.0.{field}": "Input should be greater than or equal to 0"}


@pytest.mark.parametrize("value", ["1.005", 1.005, "0.001"], ids=["text", "number", "a-tenth-cent"])
def test_amounts_with_three_decimal_places_are_refused(value: object) -> None:
    problems = problems_of(NewDraft, draft(funding_plan=[{"year": 2026, "grant_requested": value}]))

    assert problems == {
        "funding_plan.0.grant_requested": "Decimal input should have no more than 2 decimal places",
    }


def test_problems_in_several_years_name_each_field() -> None:
    plan = [{"year": 2026, "own_share": "-1"}, {"year": 2027, "material_costs": "1.999"}, {"year": 1999}]

    problems = problems_of(NewDraft, draft(funding_plan=plan))

    assert set(problems) == {
        "funding_plan.0.own_share", "funding_plan.1.material_costs", "funding_plan.2.year",
    }


def test_draft_content_accepts_a_partial_change_and_leaves_the_rest_unset() -> None:
    change = parse_model(DraftContent, {"summary": "  Kurzbeschreibung  "})

    assert change.summary == "Kurzbeschreibung"
    assert change.title is None
    assert change.funding_plan is None
    assert change.model_dump(exclude_unset=True) == {"summary": "Kurzbeschreibung"}


def test_draft_content_still_checks_the_title_when_it_is_sent() -> None:
    assert list(problems_of(DraftContent, {"title": "ab"})) == ["title"]


def test_empty_partner_name_is_refused() -> None:
    assert list(problems_of(NewDraft, draft(partners=["IHK Chemnitz", ""]))) == ["partners.1"]


# ----------------------------------------------------------------------------------------------------
# FundingYearInput.as_row


def test_as_row_keeps_cents_and_sums_the_total_from_the_cost_lines() -> None:
    year = FundingYearInput.model_validate({
        "year": 2026,
        "staff_fte": "1.5",
        "staff_costs": "40000.10",
        "material_costs": "9999.95",
        "grant_requested": "45000.04",
        "own_share": "5000.01",
        "own_share_source": "  Kofinanzierung Stadt Leipzig \n",
    })

    row = year.as_row()

    assert row == {
        "year": 2026,
        "staff_fte": 1.5,
        "staff_costs": 4_000_010,
        "material_costs": 999_995,
        "total_cost": 5_000_005,
        "grant_requested": 4_500_004,
        "own_share": 500_001,
        "own_share_source": "Kofinanzierung Stadt Leipzig",
    }
    assert year.total_cost == Decimal("50000.05")
    cents = ("staff_costs", "material_costs", "total_cost", "grant_requested", "own_share")
    assert all(type(row[k]) is int for k in cents)


def test_as_row_of_an_empty_year_is_all_zero() -> None:
    row = FundingYearInput(year=2027).as_row()

    assert row["total_cost"] == 0
    assert row["grant_requested"] == 0
    assert row["own_share_source"] == ""


# ----------------------------------------------------------------------------------------------------
# normalise_transition_inputs against the shipped transitions


def test_request_revision_requires_all_three_inputs(transitions: dict[str, TransitionDef]) -> None:
    problems = input_problems(transitions["request_revision"], {})

    assert problems == {
        "inputs.conditions": "required (Conditions)",
        "inputs.revision_deadline": "required (Revision deadline)",
        "inputs.next_session": "required (Session of the second reading)",
    }


@pytest.mark.parametrize(
    "raw",
    [None, {"conditions": [], "revision_deadline": "", "next_session": None}],
    ids=["no-inputs-at-all", "empty-values"],
)
def test_empty_values_count_as_missing(
    transitions: dict[str, TransitionDef], raw: dict[str, Any] | None
) -> None:
    problems = input_problems(transitions["request_revision"], raw)

    assert set(problems) == {"inputs.conditions", "inputs.revision_deadline", "inputs.next_session"}
    assert all(p.startswith("required") for p in problems.values())


def test_a_valid_revision_request_is_returned_normalised(transitions: dict[str, TransitionDef]) -> None:
    values = normalise_transition_inputs(transitions["request_revision"], {
        "conditions": ["  Kostenplan überarbeiten ", "Kooperationsvereinbarung beilegen"],
        "revision_deadline": date(2026, 7, 15),
        "next_session": "2026-08-03",
    })

    assert values == {
        "conditions": [
            {"text": "Kostenplan überarbeiten", "responsible": "applicant", "due": None},
            {"text": "Kooperationsvereinbarung beilegen", "responsible": "applicant", "due": None},
        ],
        "revision_deadline": "2026-07-15",
        "next_session": "2026-08-03",
    }


def test_a_condition_may_name_who_answers_it_and_by_when(transitions: dict[str, TransitionDef]) -> None:
    values = normalise_transition_inputs(transitions["request_revision"], {
        "conditions": [{"text": " Kooperationsvereinbarung beilegen ", "responsible": " HTWK Leipzig ",
                        "due": date(2026, 7, 1)}, "Kostenplan überarbeiten"],
        "revision_deadline": "2026-07-15",
        "next_session": "2026-08-03",
    })

    assert values["conditions"] == [
        {"text": "Kooperationsvereinbarung beilegen", "responsible": "HTWK Leipzig", "due": "2026-07-01"},
        {"text": "Kostenplan überarbeiten", "responsible": "applicant", "due": None},
    ]


@pytest.mark.parametrize("value", ["2016-13-01", "2016-02-30", "morgen", 20160101], ids=repr)
def test_bad_date_is_refused(transitions: dict[str, TransitionDef], value: object) -> None:
    raw = {"conditions": ["Auflage"], "revision_deadline": value, "next_session": "2026-08-03"}

    problems = input_problems(transitions["request_revision"], raw)

    assert list(problems) == ["inputs.revision_deadline"]
    assert "YYYY-MM-DD" in problems["inputs.revision_deadline"]


def test_bad_date_names_the_value(transitions: dict[str, TransitionDef]) -> None:
    raw = {"conditions": ["Auflage"], "revision_deadline": "2016-13-01", "next_session": "2026-08-03"}

    problems = input_problems(transitions["request_revision"], raw)

    assert problems == {"inputs.revision_deadline": "'2016-13-01' is not a date (YYYY-MM-DD)"}


@pytest.mark.parametrize(
    "documents", [["Antrag", ""], ["  "], "Antrag", ["Antrag", 3]],
    ids=["empty-string", "blank-string", "not-a-list", "not-a-text"],
)
def test_text_list_needs_non_empty_texts(transitions: dict[str, TransitionDef], documents: object) -> None:
    problems = input_problems(transitions["forward"], {"documents": documents})

    assert problems == {"inputs.documents": "must be a list of non-empty texts"}


@pytest.mark.parametrize(
    ("conditions", "problem"),
    [
        (["Auflage", ""], "condition 2: must be a non-empty text"),
        (["  "], "condition 1: must be a non-empty text"),
        ("Auflage", "must be a non-empty list of conditions (texts, or objects with text, responsible, due)"),
        (["Auflage", 3], "condition 2: give a text, or an object with text, responsible and due"),
        ([{"text": "Auflage", "owner": "HTWK"}],
         "condition 1: give a text, or an object with text, responsible and due"),
        ([{"responsible": "HTWK"}], "condition 1: must be a non-empty text"),
        ([{"text": "Auflage", "due": "2026-02-30"}], "condition 1: '2026-02-30' is not a date (YYYY-MM-DD)"),
        ([{"text": "Auflage", "responsible": "x" * 201}], "condition 1: responsible must be at most 200 characters"),
        (["Auflage"] * 51, "must have at most 50 conditions"),
    ],
    ids=["empty-string", "blank-string", "not-a-list", "not-a-text", "unknown-key", "no-text", "bad-due",
         "long-responsible", "too-many"],
)
def test_conditions_need_a_text_each_and_name_the_one_at_fault(
    transitions: dict[str, TransitionDef], conditions: object, problem: str,
) -> None:
    raw = {"conditions": conditions, "revision_deadline": "2026-07-15", "next_session": "2026-08-03"}

    problems = input_problems(transitions["request_revision"], raw)

    assert problems == {"inputs.conditions": problem}


def test_unknown_input_is_refused_naming_what_the_transition_takes(
    transitions: dict[str, TransitionDef],
) -> None:
    problems = input_problems(transitions["approve"], {"bank_reference": "SAB-2026-0042", "amount": "100"})

    assert problems == {
        "inputs.amount": "unknown input; 'approve' takes: bank_reference, decision_date, approved_amounts"}


def test_inputs_for_a_transition_that_takes_none_are_refused(transitions: dict[str, TransitionDef]) -> None:
    problems = input_problems(transitions["prioritise"], {"note": "dringend"})

    assert problems == {"inputs.note": "unknown input; 'prioritise' takes: no inputs"}


def test_optional_input_may_be_omitted(transitions: dict[str, TransitionDef]) -> None:
    values = normalise_transition_inputs(transitions["approve"], {"bank_reference": "  SAB-2026-0042 "})

    assert values == {"bank_reference": "SAB-2026-0042"}


def test_optional_input_is_checked_when_given(transitions: dict[str, TransitionDef]) -> None:
    raw = {"bank_reference": "SAB-2026-0042", "decision_date": "2026-02-30"}

    assert list(input_problems(transitions["approve"], raw)) == ["inputs.decision_date"]


def test_optional_input_is_kept_when_given(transitions: dict[str, TransitionDef]) -> None:
    raw = {"bank_reference": "SAB-2026-0042", "decision_date": "2026-09-01"}

    assert normalise_transition_inputs(transitions["approve"], raw) == raw


def test_required_text_must_not_be_blank(transitions: dict[str, TransitionDef]) -> None:
    problems = input_problems(transitions["approve"], {"bank_reference": "   "})

    assert problems == {"inputs.bank_reference": "must be a non-empty text"}


def test_a_transition_without_inputs_returns_nothing(transitions: dict[str, TransitionDef]) -> None:
    assert normalise_transition_inputs(transitions["prioritise"], None) == {}
    assert normalise_transition_inputs(transitions["prioritise"], {}) == {}


def test_all_problems_are_reported_together(transitions: dict[str, TransitionDef]) -> None:
    raw = {"conditions": [""], "revision_deadline": "2016-13-01", "next_session": "2016-13-01", "x": 1}

    problems = input_problems(transitions["request_revision"], raw)

    assert set(problems) == {
        "inputs.x", "inputs.conditions", "inputs.revision_deadline", "inputs.next_session",
    }


def test_datetime_for_a_date_input_does_not_keep_its_time(transitions: dict[str, TransitionDef]) -> None:
    raw = {"bank_reference": "SAB-2026-0042", "decision_date": datetime(2026, 9, 1, 10, 30)}

    try:
        outcome: object = normalise_transition_inputs(transitions["approve"], raw)
    except InvalidInput as exc:
        outcome = [p.field for p in exc.problems]

    # Either refused as not a date, or kept as the date alone: never "2026-09-01T10:30:00".
    kept_as_date = {"bank_reference": "SAB-2026-0042", "decision_date": "2026-09-01"}
    assert outcome in (kept_as_date, ["inputs.decision_date"])


# ----------------------------------------------------------------------------------------------------
# integer and money, on a synthetic transition


def test_synthetic_transition_is_built_from_its_alias() -> None:
    transition = synthetic(("count", "integer", True))

    assert transition.sources == ("draft",)
    assert transition.inputs[0].type == "integer"


@pytest.mark.parametrize("value", [0, 3, -2, 10**12])
def test_integer_takes_whole_numbers(value: int) -> None:
    transition = synthetic(("count", "integer", True))

    assert normalise_transition_inputs(transition, {"count": value}) == {"count": value}


@pytest.mark.parametrize("value", [True, False, 3.0, "3"], ids=repr)
def test_integer_refuses_booleans_floats_and_texts(value: object) -> None:
    problems = input_problems(synthetic(("count", "integer", True)), {"count": value})

    assert problems == {"inputs.count": "must be a whole number"}


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("10.5", "10.50"), ("10", "10.00"), ("0", "0.00"), ("12345.67", "12345.67"), ("1e2", "100.00"),
        (10.5, "10.50"), (7, "7.00"), (Decimal("0.10"), "0.10"),
    ],
    ids=repr,
)
def test_money_is_normalised_to_two_places(value: object, normalised: str) -> None:
    assert normalise_transition_inputs(synthetic(("amount", "money", True)), {"amount": value}) == {
        "amount": normalised
    }


@pytest.mark.parametrize("value", ["12.345", "-1", "-0.01", "NaN", "Infinity"], ids=repr)
def test_money_refuses_negatives_and_more_than_two_places(value: str) -> None:
    problems = input_problems(synthetic(("amount", "money", True)), {"amount": value})

    assert problems == {
        "inputs.amount": "must be a non-negative amount in EUR with at most two decimal places"
    }


@pytest.mark.parametrize("value", ["zehn Euro", "1,50", True], ids=repr)
def test_money_refuses_what_is_no_amount(value: object) -> None:
    problems = input_problems(synthetic(("amount", "money", True)), {"amount": value})

    assert problems == {"inputs.amount": f"'{value}' is not an amount in EUR"}


@pytest.mark.parametrize("value", ["1e30", "1" + "0" * 29], ids=["exponent", "thirty-digits"])
def test_money_refuses_huge_amounts_as_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_transition_inputs(synthetic(("amount", "money", True)), {"amount": value})


def test_optional_money_may_be_omitted_and_required_money_may_not() -> None:
    transition = synthetic(("fee", "money", False), ("amount", "money", True))

    assert normalise_transition_inputs(transition, {"amount": "1"}) == {"amount": "1.00"}
    assert input_problems(transition, {"fee": "1"}) == {"inputs.amount": "required (Label)"}
