"""Definitions that load as TOML and pass the schema, yet would trap or confuse: refused at load."""

from __future__ import annotations

import pytest

from workflow.procedure.definition import ProcedureError, parse_procedure
from workflow.procedure.rules import GUARD_NAMES

BASE = """
[procedure]
key = "trap-test"
version = 1
initial = "draft"
title = { de = "Falle", en = "Trap" }

[states.draft]
label = { de = "Entwurf", en = "Draft" }
[states.a]
label = { de = "A", en = "A" }
[states.b]
label = { de = "B", en = "B" }
[states.done]
label = { de = "Fertig", en = "Done" }
terminal = true

[[transitions]]
name = "start"
label = { de = "Start", en = "Start" }
from = ["draft"]
to = "a"
roles = ["applicant"]

[[transitions]]
name = "there"
label = { de = "Hin", en = "There" }
from = ["a"]
to = "b"
roles = ["manager"]

[[transitions]]
name = "back"
label = { de = "Zurück", en = "Back" }
from = ["b"]
to = "a"
roles = ["manager"]

[[transitions]]
name = "finish"
label = { de = "Fertig", en = "Finish" }
from = ["draft"]
to = "done"
roles = ["applicant"]
"""


def faults_of(text: str) -> list[str]:
    with pytest.raises(ProcedureError) as refused:
        parse_procedure(text.encode(), "trap.toml", GUARD_NAMES)
    return [f"{f.key}: {f.message}" for f in refused.value.faults]


def test_a_loop_without_a_way_to_an_end_is_refused() -> None:
    faults = faults_of(BASE)
    assert "states.a: no way out: from 'a' no path leads to a terminal state" in faults
    assert "states.b: no way out: from 'b' no path leads to a terminal state" in faults
    assert not any(f.startswith("states.draft") for f in faults)


def test_the_same_loop_with_an_exit_loads() -> None:
    fixed = BASE.replace('from = ["draft"]\nto = "done"', 'from = ["draft", "b"]\nto = "done"')
    procedure = parse_procedure(fixed.encode(), "trap.toml", GUARD_NAMES)
    assert procedure.ref == "trap-test@1"


def test_a_label_of_blanks_is_a_missing_label() -> None:
    fixed = BASE.replace('from = ["draft"]\nto = "done"', 'from = ["draft", "b"]\nto = "done"')
    faults = faults_of(fixed.replace('label = { de = "A", en = "A" }', 'label = { de = "  ", en = "A" }'))
    assert any(f.startswith("states.a.label.de:") for f in faults)


def test_a_guard_listed_twice_is_refused() -> None:
    fixed = BASE.replace('from = ["draft"]\nto = "done"', 'from = ["draft", "b"]\nto = "done"')
    doubled = fixed.replace('to = "b"\nroles = ["manager"]',
                            'to = "b"\nroles = ["manager"]\nguards = ["reason_given", "reason_given"]')
    assert "transitions[1] 'there'.guards: guard 'reason_given' is listed twice" in faults_of(doubled)
