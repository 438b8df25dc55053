"""A procedure's [deadlines.*] and config.toml's changes to them are checked when they are loaded.

Each broken definition is the shipped file with one edit; it is refused with a message that names the key to fix
(e.g. "deadlines.revision.remind"), so whoever edits a procedure finds the line without reading code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workflow.context import build_context
from workflow.deadlines.definition import DeadlineOverride, Duration
from workflow.procedure.definition import Procedure, ProcedureError, parse_procedure
from workflow.procedure.faults import Fault
from workflow.procedure.registry import SHIPPED_DIR, ProcedureRegistry
from workflow.procedure.rules import GUARD_NAMES
from workflow.settings import Settings

SHIPPED = (SHIPPED_DIR / "saxony-regional.v1.toml").read_text(encoding="utf-8")


def in_deadline(text: str, name: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` inside the [deadlines.NAME] section only (exactly once)."""
    start = text.index(f"[deadlines.{name}]\n")
    end = text.find("\n[", start + 1)
    end = len(text) if end == -1 else end
    section = text[start:end]
    assert section.count(old) == 1, f"{old!r} is not once in [deadlines.{name}]"
    return text[:start] + section.replace(old, new) + text[end:]


def parse(text: str) -> Procedure:
    return parse_procedure(text.encode("utf-8"), "test.toml", GUARD_NAMES)


def refused(text: str) -> list[Fault]:
    with pytest.raises(ProcedureError) as info:
        parse(text)
    assert info.value.source == "test.toml"
    return info.value.faults


def test_the_shipped_deadlines_load() -> None:
    procedure = parse(SHIPPED)
    assert set(procedure.deadlines) == {"submission", "hearing", "revision", "bank_decision", "tranche_application",
                                        "proof_of_use"}
    revision = procedure.deadlines["revision"]
    assert revision.reminder_offsets == (Duration(7, "d"), Duration(2, "d"))  # earliest first
    assert (revision.remind_at.hour, revision.remind_at.minute) == (9, 0)


BROKEN = [
    # (deadline, old, new, key named, words of the message)
    ("revision", 'states = ["revision_requested"]', 'states = ["revision_requsted"]',
     "deadlines.revision.states", "unknown state 'revision_requsted'"),
    ("hearing", '"second_reading"]', '"second_reading", "not_prioritised"]',
     "deadlines.hearing.states", "terminal state 'not_prioritised' cannot hold a deadline"),
    ("submission", 'remind = ["14d", "7d", "1d"]', 'remind = ["14x", "7d", "1d"]',
     "deadlines.submission.remind", "'14x' is not a duration"),
    ("bank_decision", 'repeat = "1w"', 'repeat = "weekly"',
     "deadlines.bank_decision.overdue.repeat", "'weekly' is not a duration"),
    ("revision", 'recipients = ["applicant"]', 'recipients = ["applicant", "mayor"]',
     "deadlines.revision.recipients", "unknown recipient 'mayor'"),
    ("revision", 'notify = ["manager"]', 'notify = ["managers"]',
     "deadlines.revision.overdue.notify", "unknown recipient 'managers'"),
    ("submission", 'recipients = ["draft_owners"]', 'recipients = ["applicant"]',
     "deadlines.submission.recipients", "'applicant' is not a recipient of a round deadline"),
    ("revision", 'recipients = ["applicant"]', 'recipients = ["draft_owners"]',
     "deadlines.revision.recipients", "'draft_owners' is not a recipient of a proposal deadline"),
    ("revision", 'recipients = ["applicant"]\n', "",
     "deadlines.revision.recipients", "reminders need recipients"),
    ("revision", 'input = "revision_deadline"', 'input = "resubmission_deadline"',
     "deadlines.revision.due.input", "no transition into revision_requested has an input 'resubmission_deadline'"),
    ("hearing", 'input = "next_session"', 'input = "conditions"',
     "deadlines.hearing.due.input", "input 'conditions' of transition 'request_revision' is not a date"),
    ("revision", 'notify = ["manager"] }', 'notify = ["manager"], transition = "withdraw" }',
     "deadlines.revision.overdue.transition", "the system cannot fire 'withdraw': add 'system' to its roles"),
    ("revision", 'notify = ["manager"] }', 'notify = ["manager"], transition = "open_review" }',
     "deadlines.revision.overdue.transition", "'open_review' is not possible from 'revision_requested'"),
    ("revision", 'notify = ["manager"] }', 'notify = ["manager"], transition = "lapse" }',
     "deadlines.revision.overdue.transition", "unknown transition 'lapse'"),
    ("submission", 'from = "submitted"', 'from = "draft"',
     "deadlines.submission.overdue.from", "'open_review' is not possible from 'draft'"),
    ("bank_decision", 'overdue = { notify = ["manager"], repeat = "1w" }', 'overdue = { repeat = "1w" }',
     "deadlines.bank_decision.overdue.repeat", "repeating needs someone to notify"),
    ("revision", 'due = { input = "revision_deadline" }', 'due = { input = "revision_deadline", after = "2w" }',
     "deadlines.revision.due", "give exactly one of input, after, plan_end, before_each_later_year, round_closes "
                               "(given: input, after)"),
    ("revision", 'due = { input = "revision_deadline" }', "due = {}",
     "deadlines.revision.due", "(given: none)"),
    ("submission", 'scope = "round"\n', "",
     "deadlines.submission.due", "round_closes goes with scope = \"round\""),
    ("revision", 'remind = ["7d", "2d"]', 'remind = ["7d", "2d"]\nremind_before = ["1d"]',
     "deadlines.revision.remind_before", "unknown key 'remind_before'"),
    ("revision", 'states = ["revision_requested"]', 'scope = "alliance"\nstates = ["revision_requested"]',
     "deadlines.revision.scope", "alliance deadlines (the action concept) are the installation's"),
]


@pytest.mark.parametrize(("deadline", "old", "new", "key", "words"), BROKEN,
                         ids=[f"{b[3].removeprefix('deadlines.')}:{b[4][:32]}" for b in BROKEN])
def test_a_broken_deadline_is_refused_naming_its_key(deadline, old, new, key, words) -> None:
    faults = refused(in_deadline(SHIPPED, deadline, old, new))
    assert any(f.key == key and words in f.message for f in faults), faults


def test_every_broken_deadline_is_reported_at_once() -> None:
    text = in_deadline(SHIPPED, "revision", 'input = "revision_deadline"', 'input = "revision_date"')
    text = in_deadline(text, "proof_of_use", 'recipients = ["applicant"]', 'recipients = ["applicants"]')
    with pytest.raises(ProcedureError) as info:
        parse(text)
    keys = {f.key for f in info.value.faults}
    assert keys == {"deadlines.revision.due.input", "deadlines.proof_of_use.recipients"}
    assert "test.toml: deadlines.proof_of_use.recipients: unknown recipient 'applicants'" in str(info.value)


# --- config.toml [deadlines.NAME] ------------------------------------------------------------------------

def test_a_config_override_for_a_deadline_nobody_defines_is_refused() -> None:
    with pytest.raises(ProcedureError) as info:
        ProcedureRegistry.from_dirs((), {"submision": DeadlineOverride(remind=["7d"])})
    assert info.value.source == "config.toml"
    [fault] = info.value.faults
    assert fault.key == "deadlines.submision"
    assert "no procedure has a deadline 'submision'" in fault.message and "submission" in fault.message


def test_a_config_override_that_breaks_a_deadline_is_refused_naming_config_toml() -> None:
    with pytest.raises(ProcedureError) as info:
        ProcedureRegistry.from_dirs((), {"submission": DeadlineOverride(recipients=["applicant"])})
    assert any(f.key == "config.toml: deadlines.submission.recipients"
               and "'applicant' is not a recipient of a round deadline" in f.message for f in info.value.faults)


def test_a_config_override_with_a_bad_duration_is_refused_when_settings_load() -> None:
    with pytest.raises(ValidationError, match="'7 days' is not a duration"):
        Settings(database_url="sqlite://", deadlines={"revision": {"remind": ["7 days"]}})
    with pytest.raises(ValidationError, match="'1 week' is not a duration"):
        Settings(database_url="sqlite://", deadlines={"bank_decision": {"repeat": "1 week"}})


def test_a_config_override_changes_only_what_it_names() -> None:
    registry = ProcedureRegistry.from_dirs((), {"revision": DeadlineOverride(remind=["3d"], notify=[]),
                                                "action_concept": DeadlineOverride(remind=["2m"])})
    shipped = ProcedureRegistry.from_dirs().latest("saxony-regional").deadlines
    changed = registry.latest("saxony-regional").deadlines
    assert changed["revision"].reminder_offsets == (Duration(3, "d"),)
    assert changed["revision"].overdue.notify == ()
    assert changed["revision"].recipients == shipped["revision"].recipients
    assert {k: v for k, v in changed.items() if k != "revision"} == {k: v for k, v in shipped.items()
                                                                      if k != "revision"}


@pytest.mark.parametrize("recipients", [["mayor"], ["applicant"]])
def test_a_config_override_of_the_action_concept_with_a_wrong_recipient_is_refused(tmp_path: Path,
                                                                                   recipients) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'never-opened.db'}",
                        deadlines={"action_concept": {"recipients": recipients}})
    with pytest.raises(ProcedureError):
        build_context(settings).close()


def test_an_override_of_a_definition_whose_reminders_were_read_already_has_the_new_reminders() -> None:
    definition = ProcedureRegistry.from_dirs().get("saxony-regional", 1).deadlines["revision"]
    assert [str(d) for d in definition.reminder_offsets] == ["7d", "2d"]  # read, and cached on the model
    changed = DeadlineOverride(remind=["4w", "2d"], repeat="1w", notify=["manager"]).apply(definition)
    assert [str(d) for d in changed.reminder_offsets] == ["4w", "2d"]
    assert str(changed.repeat) == "1w"
