"""What a procedure says about a deadline, validated at load like the rest of the definition.

    [deadlines.revision]
    label      = { de = "...", en = "..." }
    states     = ["revision_requested"]        # open while the proposal is in one of these; leaving them cancels it
    due        = { input = "revision_deadline" }
    remind     = ["7d", "2d"]                  # days (d), weeks (w) or calendar months (m) before the due day
    recipients = ["applicant"]
    overdue    = { notify = ["manager"], repeat = "1w", transition = "..." }

Where the due moment comes from (exactly one of):
    input         a date input of the step that opens it (the deadline ends when that day ends, Europe/Berlin)
    after         a duration after the step that enters `states`
    plan_end      a duration after the last year of the funding plan ends
    before_each_later_year
                  a duration before each year of the funding plan after the first begins (one row per year)
    round_closes  the round's submission deadline (scope = "round": one row per round, not per proposal)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflow.procedure.labels import Labels
from workflow.timeutil import DEFAULT_ZONE

DURATION = re.compile(r"^([1-9][0-9]{0,3})([dwm])$")
REFERENCE_DAY = date(2000, 1, 1)
DUE_SOURCES = ("input", "after", "plan_end", "before_each_later_year")

# Who receives a reminder or an escalation. Resolved when it fires, so people who joined since are included.
RECIPIENTS = frozenset({
    "applicant",      # the applicant users of the proposal's organisation
    "draft_owners",   # round scope: the applicant users of every organisation with a draft in the round
    "reviewer",       # the voting members of the proposal's alliance
    "manager",        # the managing members of the alliance
    "admin",          # the installation's administrators
})


@dataclass(frozen=True)
class Duration:
    """A calendar duration: '14d', '2w', '3m'. Months are calendar months (31 May - 1m = 30 April)."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = DURATION.match(text.strip())
        if match is None:
            raise ValueError(f"'{text}' is not a duration: write a number and d, w or m (e.g. '14d', '2w', '3m')")
        return cls(int(match.group(1)), match.group(2))

    @property
    def delta(self) -> relativedelta:
        if self.unit == "m":
            return relativedelta(months=self.amount)
        return relativedelta(days=self.amount * (7 if self.unit == "w" else 1))

    def before(self, day: date) -> date:
        return day - self.delta

    def after(self, moment: datetime) -> datetime:
        """On the Berlin wall clock: six weeks after 10:00 is 10:00, even if summer time began in between."""
        return (moment.astimezone(DEFAULT_ZONE) + self.delta).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _duration(text: str) -> str:
    Duration.parse(text)
    return text.strip()


class DueDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input: str | None = None
    after: str | None = None
    plan_end: str | None = None
    before_each_later_year: str | None = None
    round_closes: bool = False

    _check_after = field_validator("after", "plan_end", "before_each_later_year")(
        lambda v: None if v is None else _duration(v))

    @model_validator(mode="after")
    def _exactly_one(self) -> DueDef:
        given = [name for name in DUE_SOURCES if getattr(self, name) is not None]
        given += ["round_closes"] if self.round_closes else []
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(DUE_SOURCES)}, round_closes "
                             f"(given: {', '.join(given) or 'none'})")
        return self

    @property
    def source(self) -> str:
        return next((name for name in DUE_SOURCES if getattr(self, name) is not None), "round_closes")


class OverdueDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Escalation: these people are told the deadline passed. Escalations cannot be muted.
    notify: tuple[str, ...] = ()
    # Tell them again every so often until the deadline is met or cancelled.
    repeat: str | None = None
    # A step the system takes by itself when the deadline passes (the role 'system' must be allowed to fire it).
    transition: str | None = None
    # Round scope: the state of the round's proposals the transition applies to.
    from_state: str | None = Field(default=None, alias="from")

    _check_repeat = field_validator("repeat")(lambda v: None if v is None else _duration(v))


class DeadlineDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    label: Labels
    # What the recipient of a reminder has to do, in one sentence.
    todo: Labels | None = None
    # "alliance" is for the installation's own deadlines (the action concept), not for procedure files.
    scope: Literal["proposal", "round", "alliance"] = "proposal"
    states: tuple[str, ...] = ()
    due: DueDef
    remind: tuple[str, ...] = ()
    # Local wall-clock time reminders are sent at; stays the same across a change to or from summer time.
    remind_at: time = time(9, 0)
    recipients: tuple[str, ...] = ()
    overdue: OverdueDef = OverdueDef()
    # Switch the overdue transition off without editing the procedure (config.toml).
    auto_transition: bool = True

    _check_remind = field_validator("remind")(lambda v: tuple(_duration(x) for x in v))

    @cached_property
    def reminder_offsets(self) -> tuple[Duration, ...]:
        """Earliest reminder first (parsed once: every step and sweep asks)."""
        offsets = {Duration.parse(x) for x in self.remind}
        return tuple(sorted(offsets, key=lambda d: d.before(REFERENCE_DAY)))

    @cached_property
    def repeat(self) -> Duration | None:
        return None if self.overdue.repeat is None else Duration.parse(self.overdue.repeat)

    @property
    def overdue_transition(self) -> str | None:
        return self.overdue.transition if self.auto_transition else None


class DeadlineOverride(BaseModel):
    """config.toml `[deadlines.NAME]`: change reminders and recipients of a deadline in every procedure."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    remind: list[str] | None = None
    remind_at: time | None = None
    recipients: list[str] | None = None
    notify: list[str] | None = None
    repeat: str | None = None
    auto_transition: bool | None = None

    _check = field_validator("remind")(lambda v: None if v is None else [_duration(x) for x in v])
    _check_repeat = field_validator("repeat")(lambda v: None if v is None else _duration(v))

    def apply(self, definition: DeadlineDef) -> DeadlineDef:
        overdue = definition.overdue.model_copy(update={
            k: v for k, v in (("notify", self.notify and tuple(self.notify)), ("repeat", self.repeat))
            if v is not None})
        if self.notify == []:
            overdue = overdue.model_copy(update={"notify": ()})
        update: dict[str, object] = {"overdue": overdue}
        if self.remind is not None:
            update["remind"] = tuple(self.remind)
        if self.remind_at is not None:
            update["remind_at"] = self.remind_at
        if self.recipients is not None:
            update["recipients"] = tuple(self.recipients)
        if self.auto_transition is not None:
            update["auto_transition"] = self.auto_transition
        changed = definition.model_copy(update=update)
        # model_copy copies the instance's cached properties too: parse the changed values afresh.
        for cached in ("reminder_offsets", "repeat"):
            changed.__dict__.pop(cached, None)
        return changed
