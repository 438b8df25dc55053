"""What callers hand to the use cases, validated before anything is written.

Amounts come in as euros (Decimal, at most two places) and are kept as cents inside. The total cost of a year is
the sum of its cost lines, so it can never disagree with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflow.errors import FieldProblem, InvalidInput
from workflow.procedure.definition import TransitionDef
from workflow.procedure.text_fields import JsonPattern, JsonString, MultiLine, OneLine, multi_line, one_line
from workflow.proposals.money import to_cents

MAX_EUROS = Decimal("100000000")
# What the OpenAPI document says of an amount: a decimal string of at most MAX_EUROS with two places at most.
EUROS_PATTERN = r"^(?:[0-9]{1,8}(?:\.[0-9]{1,2})?|100000000(?:\.00?)?)$"
Euros = Annotated[Decimal, Field(ge=0, le=MAX_EUROS, max_digits=12, decimal_places=2), JsonString(EUROS_PATTERN)]
MAX_YEARS = 10
# Ids are INTEGER columns (4 bytes on PostgreSQL): a larger id cannot name anything, so it is refused as input
# instead of reaching the database and failing there.
MAX_ID = 2**31 - 1
M = TypeVar("M", bound=BaseModel)
When = TypeVar("When", date, datetime)
# Dates and times of funding work lie in this century (far-off years would only overflow on the way to UTC). The
# JSON schema says so as a pattern: the year is what an ISO 8601 date or time begins with.
IN_CENTURY = r"^(?:20[0-9]{2}|2100)-"


def in_century(value: When) -> When:
    if not 2000 <= value.year <= 2100:
        raise ValueError("must be between the years 2000 and 2100")
    return value


CenturyDate = Annotated[date, AfterValidator(in_century), JsonPattern(IN_CENTURY)]
CenturyTime = Annotated[datetime, AfterValidator(in_century), JsonPattern(IN_CENTURY)]


class FundingYearInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    staff_fte: Annotated[Decimal, JsonString(r"^(?:[0-9]{1,2}(?:\.[0-9]{1,2})?|100(?:\.00?)?)$")] = Field(
        default=Decimal(0), ge=0, le=100, max_digits=6, decimal_places=2,
        description="staff shares in full-time equivalents (VZÄ)")
    staff_costs: Euros = Decimal(0)
    material_costs: Euros = Decimal(0)
    grant_requested: Euros = Decimal(0)
    own_share: Euros = Decimal(0)
    own_share_source: OneLine = Field(default="", max_length=300)

    @property
    def total_cost(self) -> Decimal:
        return self.staff_costs + self.material_costs

    def as_row(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "staff_fte": float(self.staff_fte),
            "staff_costs": to_cents(self.staff_costs),
            "material_costs": to_cents(self.material_costs),
            "total_cost": to_cents(self.total_cost),
            "grant_requested": to_cents(self.grant_requested),
            "own_share": to_cents(self.own_share),
            "own_share_source": self.own_share_source.strip(),
        }


def _unique_years(plan: list[FundingYearInput] | None) -> list[FundingYearInput] | None:
    if plan is None:
        return None
    years = [y.year for y in plan]
    duplicates = sorted({y for y in years if years.count(y) > 1})
    if duplicates:
        raise ValueError(f"year(s) {', '.join(map(str, duplicates))} appear more than once")
    return sorted(plan, key=lambda y: y.year)


def _left_out_not_null(schema: dict[str, Any]) -> None:
    """The JSON schema of a draft's content: a field is left out to keep it, never null (refused by _no_null), and
    at least one is sent."""
    for field in schema.get("properties", {}).values():
        kinds = [k for k in field.pop("anyOf", []) if k != {"type": "null"}]
        field.update(kinds[0] if len(kinds) == 1 else {"anyOf": kinds} if kinds else {})
        if "default" in field and field["default"] is None:
            del field["default"]
    schema["minProperties"] = 1


class DraftContent(BaseModel):
    """The content an applicant writes; every field optional so that a PATCH can send only what changes (at least
    one; a field is left out, not null, so the JSON schema has no null)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra=_left_out_not_null)
    title: OneLine | None = Field(default=None, min_length=3, max_length=300)
    summary: MultiLine | None = Field(default=None, max_length=20_000)
    target_group: MultiLine | None = Field(default=None, max_length=2_000)
    goals: MultiLine | None = Field(default=None, max_length=20_000)
    partners: list[Annotated[OneLine, Field(min_length=1, max_length=200)]] | None = Field(default=None, max_length=50)
    funding_plan: list[FundingYearInput] | None = Field(default=None, max_length=MAX_YEARS)

    _plan_years = field_validator("funding_plan")(_unique_years)

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        """null would erase a field (or the whole funding plan) by accident: leave a field out to keep it."""
        if value is None:
            raise ValueError("null is not a value here; leave the field out to keep it")
        return value


class NewDraft(DraftContent):
    round_id: int = Field(ge=1, le=MAX_ID)
    title: OneLine = Field(min_length=3, max_length=300)

    @model_validator(mode="after")
    def _defaults(self) -> NewDraft:
        self.partners = self.partners or []
        self.funding_plan = self.funding_plan or []
        return self


def check_text(value: str) -> str:
    """A text of several lines as a person writes it
    (workflow.procedure.text_fields.multi_line): no NUL character (which PostgreSQL cannot store either), no other
    control or bidi character; ValueError otherwise."""
    return multi_line(value)


def clean_text(field: str, value: str) -> str:
    """`check_text` for a use case's own arguments: the text tidied, or InvalidInput naming `field`."""
    try:
        return multi_line(value)
    except ValueError as exc:
        raise InvalidInput([FieldProblem(field, str(exc))]) from None


def clean_line(field: str, value: str) -> str:
    """A title or name for a use case's own arguments (workflow.procedure.text_fields.one_line): the text tidied, or
    InvalidInput naming `field` if it holds a line break, a control or a bidi character."""
    try:
        return one_line(value)
    except ValueError as exc:
        raise InvalidInput([FieldProblem(field, str(exc))]) from None


def parse_model(model: type[M], data: Mapping[str, Any] | M) -> M:
    """Validate into `model`, turning pydantic's errors into the domain's InvalidInput."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput([
            FieldProblem(".".join(str(p) for p in err["loc"]) or "body", str(err["msg"]).removeprefix("Value error, "))
            for err in exc.errors()
        ]) from exc


def normalise_transition_inputs(transition: TransitionDef, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check the inputs a transition declares; return them in a JSON-safe form for the audit row."""
    raw = dict(raw or {})
    declared = {i.name: i for i in transition.inputs}
    problems: list[FieldProblem] = []
    for name in sorted(set(raw) - set(declared)):
        takes = ", ".join(declared) or "no inputs"
        problems.append(FieldProblem(f"inputs.{name}", f"unknown input; '{transition.name}' takes: {takes}"))
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        value = raw.get(name)
        if value is None or value in ("", []):
            if spec.required:
                problems.append(FieldProblem(f"inputs.{name}", f"required ({spec.label.en})"))
            continue
        try:
            values[name] = COERCE[spec.type](value)
        except ValueError as exc:
            problems.append(FieldProblem(f"inputs.{name}", str(exc)))
    if problems:
        raise InvalidInput(problems)
    return values


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    if len(value) > 20_000:
        raise ValueError("must be at most 20000 characters")
    return check_text(value)


def _text_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("must be a list of non-empty texts")
    if len(value) > 100:
        raise ValueError("must have at most 100 entries")
    return [check_text(v) for v in value]


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        raise ValueError("must be a calendar date (YYYY-MM-DD), not a date with a time")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"'{value}' is not an amount in EUR") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("must be a non-negative amount in EUR with at most two decimal places")
    if amount > MAX_EUROS:
        raise ValueError(f"must be at most {MAX_EUROS} EUR")
    return str(amount.quantize(Decimal("0.01")))


MAX_CONDITIONS = 50


def _conditions(value: Any) -> list[dict[str, Any]]:
    """Second-reading conditions: each a text, or {text, responsible, due}; who acts defaults to the applicant."""
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of conditions (texts, or objects with text, responsible, due)")
    if len(value) > MAX_CONDITIONS:
        raise ValueError(f"must have at most {MAX_CONDITIONS} conditions")
    result = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, str):
            item = {"text": item}  # noqa: PLW2901 - a bare text is a condition with defaults
        if not isinstance(item, dict) or set(item) - {"text", "responsible", "due"}:
            raise ValueError(f"condition {index}: give a text, or an object with text, responsible and due")
        try:
            text = _text(item.get("text"))
            responsible = _text(item["responsible"]) if item.get("responsible") is not None else "applicant"
            due = _date(item["due"]) if item.get("due") is not None else None
        except ValueError as exc:
            raise ValueError(f"condition {index}: {exc}") from None
        if len(responsible) > 200:
            raise ValueError(f"condition {index}: responsible must be at most 200 characters")
        result.append({"text": text, "responsible": responsible, "due": due})
    return result


def _amounts_by_year(value: Any) -> dict[str, str]:
    """Amounts per budget year, e.g. {"2016": "45000.00"}: what the bank approved of each year's request."""
    if not isinstance(value, dict) or not value:
        raise ValueError('must be an object of years and amounts, e.g. {"2016": "45000.00"}')
    result = {}
    for year, amount in value.items():
        if not (isinstance(year, str) and year.isdigit() and 2000 <= int(year) <= 2100):
            raise ValueError(f"'{year}' is not a year between 2000 and 2100")
        if isinstance(amount, bool) or not isinstance(amount, (str, int, float)):
            raise ValueError(f"{year}: not an amount in EUR")
        try:
            result[year] = _money(amount)
        except ValueError as exc:
            raise ValueError(f"{year}: {exc}") from None
    return dict(sorted(result.items()))


# One coercer per input type a procedure may declare (InputDef.type); each returns a JSON-safe value.
COERCE: dict[str, Callable[[Any], Any]] = {
    "text": _text, "text_list": _text_list, "date": _date, "integer": _integer, "money": _money,
    "conditions": _conditions, "amounts_by_year": _amounts_by_year,
}
