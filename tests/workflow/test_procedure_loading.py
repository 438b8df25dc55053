"""Loading procedure definitions.

The shipped one works; every kind of broken one is refused with a message that names the file, the key and the
fault; the registry and the shared machine agree with the TOML itself.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from workflow.errors import NotFound
from workflow.procedure.definition import Procedure, ProcedureError, load_procedure, parse_procedure
from workflow.procedure.machine import ProcedureMachine
from workflow.procedure.registry import ProcedureRegistry
from workflow.procedure.rules import GUARD_NAMES

# Located independently of workflow.procedure.registry.SHIPPED_DIR, so the machine test reads the file itself.
SHIPPED_FILE = Path(__file__).resolve().parents[2] / "workflow" / "procedure" / "shipped" / "saxony-regional.v1.toml"

# A minimal valid definition: draft -> submitted -> approved, withdrawal from draft and submitted.
BASE = """\
[procedure]
key = "test-procedure"
version = 1
initial = "draft"
title = { de = "Testverfahren", en = "Test procedure" }

[states.draft]
label = { de = "Entwurf", en = "Draft" }
editable = true

[states.submitted]
label = { de = "Eingereicht", en = "Submitted" }

[states.approved]
label = { de = "Bewilligt", en = "Approved" }
terminal = true

[states.withdrawn]
label = { de = "Zurückgezogen", en = "Withdrawn" }
terminal = true

[[transitions]]
name = "submit"
label = { de = "Einreichen", en = "Submit" }
from = ["draft"]
to = "submitted"
roles = ["applicant"]
guards = ["round_open"]

[[transitions]]
name = "approve"
label = { de = "Bewilligen", en = "Approve" }
from = ["submitted"]
to = "approved"
roles = ["bank"]

[[transitions.inputs]]
name = "bank_reference"
type = "text"
label = { de = "Aktenzeichen", en = "Bank reference" }

[[transitions]]
name = "withdraw"
label = { de = "Zurückziehen", en = "Withdraw" }
from = ["draft", "submitted"]
to = "withdrawn"
roles = ["applicant"]
guards = ["reason_given"]
"""

NO_TERMINAL = """\
[procedure]
key = "test-procedure"
version = 1
initial = "draft"
title = { de = "Testverfahren", en = "Test procedure" }

[states.draft]
label = { de = "Entwurf", en = "Draft" }

[states.submitted]
label = { de = "Eingereicht", en = "Submitted" }

[[transitions]]
name = "submit"
label = { de = "Einreichen", en = "Submit" }
from = ["draft"]
to = "submitted"
roles = ["applicant"]

[[transitions]]
name = "return"
label = { de = "Zurückgeben", en = "Return" }
from = ["submitted"]
to = "draft"
roles = ["manager"]
"""

ARCHIVED_STATE = """
[states.archived]
label = { de = "Archiviert", en = "Archived" }
terminal = true
"""

PARKED_STATE_AND_TRANSITION = """
[states.parked]
label = { de = "Zurückgestellt", en = "Parked" }

[[transitions]]
name = "park"
label = { de = "Zurückstellen", en = "Park" }
from = ["submitted"]
to = "parked"
roles = ["manager"]
"""

REOPEN_FROM_TERMINAL = """
[[transitions]]
name = "reopen"
label = { de = "Wieder öffnen", en = "Reopen" }
from = ["approved"]
to = "draft"
roles = ["manager"]
"""

FIRST_TRANSITION = """
[[transitions]]
name = "submit"
"""

BANK_REFERENCE_INPUT = """\
[[transitions.inputs]]
name = "bank_reference"
type = "text"
label = { de = "Aktenzeichen", en = "Bank reference" }
"""

SECOND_BANK_REFERENCE = """
[[transitions.inputs]]
name = "bank_reference"
type = "date"
label = { de = "Aktenzeichen (nochmal)", en = "Bank reference (again)" }
"""

DUPLICATE_DRAFT_TABLE = """
[states.draft]
label = { de = "Entwurf (nochmal)", en = "Draft (again)" }
"""


def edit(text: str, old: str, new: str) -> str:
    """Replace `old`, which must occur exactly once, so that a changed base cannot silently skip an edit."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the base definition"
    return text.replace(old, new)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> ProcedureError:
    with pytest.raises(ProcedureError) as info:
        load_procedure(path, GUARD_NAMES)
    return info.value


def line_with(message: str, *parts: str) -> str | None:
    """The line of the error message that contains every part, if any."""
    return next((line for line in message.splitlines() if all(p in line for p in parts)), None)


# ----------------------------------------------------------------------------------------------------
# the shipped definition


def test_shipped_saxony_regional_v1_loads_through_the_registry() -> None:
    registry = ProcedureRegistry.from_dirs()
    procedure = registry.get("saxony-regional", 1)

    assert procedure.key == "saxony-regional"
    assert procedure.version == 1
    assert procedure.ref == "saxony-regional@1"
    assert Path(procedure.source).resolve() == SHIPPED_FILE
    assert procedure.initial == "draft"
    assert procedure.title.de
    assert procedure.title.en
    assert registry.keys().count("saxony-regional") == 1
    assert [p.version for p in registry.versions("saxony-regional")] == [1, 2]
    assert registry.get("saxony-regional", 2).version == 2
    assert registry.latest("saxony-regional") is registry.get("saxony-regional", 2)
    assert len(procedure.digest) == 64


def test_every_shipped_state_has_german_and_english_labels_and_some_state_is_terminal(
    procedures: ProcedureRegistry,
) -> None:
    procedure = procedures.get("saxony-regional", 1)
    data = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))

    assert set(procedure.states) == set(data["states"])
    for name, state in procedure.states.items():
        assert state.label.de.strip(), name
        assert state.label.en.strip(), name
        assert state.label.de == data["states"][name]["label"]["de"]
        assert state.label.en == data["states"][name]["label"]["en"]
        assert state.label.get("en") == state.label.en
        assert state.label.get("de") == state.label.de
    terminal = {name for name, state in procedure.states.items() if state.terminal}
    assert terminal
    assert terminal == {name for name, s in data["states"].items() if s.get("terminal", False)}


def test_base_definition_of_these_tests_is_valid(tmp_path: Path) -> None:
    """Positive control: every broken case below is this definition with one fault added."""
    procedure = load_procedure(write(tmp_path, "base.toml", BASE), GUARD_NAMES)

    assert isinstance(procedure, Procedure)
    assert procedure.ref == "test-procedure@1"
    assert procedure.source == str(tmp_path / "base.toml")
    assert procedure.initial == "draft"
    assert list(procedure.states) == ["draft", "submitted", "approved", "withdrawn"]
    assert list(procedure.transitions) == ["submit", "approve", "withdraw"]
    assert procedure.transitions["withdraw"].sources == ("draft", "submitted")
    assert procedure.transitions["approve"].inputs[0].name == "bank_reference"
    assert [t.name for t in procedure.transitions_from("submitted")] == ["approve", "withdraw"]
    assert procedure.transitions_from("approved") == []


def test_same_bytes_give_the_same_digest_and_a_change_another(tmp_path: Path) -> None:
    first = parse_procedure(BASE.encode(), "a.toml", GUARD_NAMES)
    again = parse_procedure(BASE.encode(), "b.toml", GUARD_NAMES)
    changed_text = edit(BASE, 'en = "Draft"', 'en = "Draft proposal"')
    changed = parse_procedure(changed_text.encode(), "c.toml", GUARD_NAMES)

    assert first.digest == again.digest
    assert first.digest != changed.digest


# ----------------------------------------------------------------------------------------------------
# broken definitions: one case per fault kind


@dataclass(frozen=True)
class Broken:
    file: str
    text: str
    key: str
    fault: str


BROKEN = {
    "unknown-state-in-to": Broken(
        "broken-unknown-state-to.toml",
        edit(BASE, 'to = "withdrawn"', 'to = "withdrawm"'),
        "transitions[2] 'withdraw'.to",
        "unknown state 'withdrawm' (known states: approved, draft, submitted, withdrawn)",
    ),
    "unknown-state-in-from": Broken(
        "broken-unknown-state-from.toml",
        edit(BASE, 'from = ["draft", "submitted"]', 'from = ["draft", "sumbitted"]'),
        "transitions[2] 'withdraw'.from",
        "unknown state 'sumbitted'",
    ),
    "unknown-initial-state": Broken(
        "broken-unknown-initial.toml",
        edit(BASE, 'initial = "draft"', 'initial = "start"'),
        "procedure.initial",
        "unknown state 'start'",
    ),
    "initial-state-terminal": Broken(
        "broken-initial-terminal.toml",
        edit(BASE, 'editable = true', 'terminal = true'),
        "procedure.initial",
        "initial state 'draft' is terminal",
    ),
    "unreachable-state": Broken(
        "broken-unreachable.toml",
        edit(BASE, FIRST_TRANSITION, ARCHIVED_STATE + FIRST_TRANSITION),
        "states.archived",
        "unreachable state 'archived': no path leads to it from 'draft'",
    ),
    "no-terminal-state": Broken(
        "broken-no-terminal.toml",
        NO_TERMINAL,
        "states",
        "no terminal state",
    ),
    "non-terminal-dead-end": Broken(
        "broken-dead-end.toml",
        BASE + PARKED_STATE_AND_TRANSITION,
        "states.parked",
        "dead end: non-terminal state 'parked' has no outgoing transition",
    ),
    "unknown-guard": Broken(
        "broken-unknown-guard.toml",
        edit(BASE, 'guards = ["round_open"]', 'guards = ["round_opn"]'),
        "transitions[0] 'submit'.guards",
        "unknown guard 'round_opn'",
    ),
    "unknown-role": Broken(
        "broken-unknown-role.toml",
        edit(BASE, 'roles = ["bank"]', 'roles = ["banker"]'),
        "transitions[1] 'approve'.roles",
        "unknown role 'banker'",
    ),
    "duplicate-transition-name": Broken(
        "broken-duplicate-transition.toml",
        edit(BASE, 'name = "withdraw"', 'name = "approve"'),
        "transitions[2] 'approve'",
        "duplicate transition name 'approve' (first defined at transitions[1])",
    ),
    "state-without-label": Broken(
        "broken-state-without-label.toml",
        edit(BASE, 'label = { de = "Eingereicht", en = "Submitted" }\n', ""),
        "states.submitted.label",
        "missing label (needs de and en)",
    ),
    "label-without-en": Broken(
        "broken-label-without-en.toml",
        edit(BASE, 'label = { de = "Eingereicht", en = "Submitted" }', 'label = { de = "Eingereicht" }'),
        "states.submitted.label.en",
        "missing label (needs de and en)",
    ),
    "transition-without-to": Broken(
        "broken-transition-without-to.toml",
        edit(BASE, 'to = "withdrawn"\n', ""),
        "transitions[2].to",
        "missing 'to'",
    ),
    "terminal-state-with-outgoing-transition": Broken(
        "broken-terminal-outgoing.toml",
        BASE + REOPEN_FROM_TERMINAL,
        "transitions[3] 'reopen'.from",
        "terminal state 'approved' cannot have outgoing transitions",
    ),
    "unknown-key": Broken(
        "broken-unknown-key.toml",
        edit(BASE, 'guards = ["reason_given"]', 'gaurds = ["reason_given"]'),
        "transitions[2].gaurds",
        "unknown key 'gaurds'",
    ),
    "duplicate-input-name": Broken(
        "broken-duplicate-input.toml",
        edit(BASE, BANK_REFERENCE_INPUT, BANK_REFERENCE_INPUT + SECOND_BANK_REFERENCE),
        "transitions[1] 'approve'.inputs",
        "duplicate input name 'bank_reference'",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_definition_is_refused_naming_file_key_and_fault(tmp_path: Path, case: Broken) -> None:
    path = write(tmp_path, case.file, case.text)

    error = refusal(path)

    assert error.source == str(path)
    assert any(f.key == case.key and case.fault in f.message for f in error.faults), error.faults
    # One line of the message says it all: which file, which key, what is wrong.
    assert line_with(str(error), case.file, f": {case.key}: ", case.fault), str(error)


def test_every_fault_line_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broken-unknown-role.toml", BROKEN["unknown-role"].text)

    error = refusal(path)

    lines = str(error).splitlines()
    assert lines[0] == "procedure definition refused:"
    assert len(lines) == 1 + len(error.faults)
    assert all(line.strip().startswith(f"{path}: ") for line in lines[1:])


def test_toml_syntax_error_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = edit(BASE, 'to = "approved"', 'to = "approved')
    line_number = text.splitlines().index('to = "approved') + 1
    path = write(tmp_path, "broken-syntax.toml", text)

    error = refusal(path)

    assert len(error.faults) == 1
    assert line_with(str(error), "broken-syntax.toml", "not valid TOML", f"line {line_number}"), str(error)


def test_state_table_defined_twice_is_refused_by_toml(tmp_path: Path) -> None:
    text = BASE.replace("\n[[transitions]]", DUPLICATE_DRAFT_TABLE + "\n[[transitions]]", 1)
    path = write(tmp_path, "broken-duplicate-state.toml", text)

    error = refusal(path)

    message = str(error)
    file = "broken-duplicate-state.toml"
    assert line_with(message, file, "not valid TOML", "'states', 'draft'", "twice"), message


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken-encoding.toml"
    path.write_bytes(BASE.replace("Zurückgezogen", "Zur\xfcckgezogen").encode("latin-1"))

    error = refusal(path)

    assert line_with(str(error), "broken-encoding.toml", "not UTF-8"), str(error)


def test_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    error = refusal(tmp_path / "nowhere.toml")

    assert error.source == str(tmp_path / "nowhere.toml")
    assert line_with(str(error), "nowhere.toml", "cannot read file"), str(error)


def test_several_faults_are_all_reported_not_only_the_first(tmp_path: Path) -> None:
    text = edit(BASE, 'guards = ["round_open"]', 'guards = ["round_opn"]')
    text = edit(text, 'roles = ["bank"]', 'roles = ["banker"]')
    text += PARKED_STATE_AND_TRANSITION
    path = write(tmp_path, "broken-several.toml", text)

    error = refusal(path)

    assert len(error.faults) >= 2
    message = str(error)
    file = "broken-several.toml"
    assert line_with(message, file, "transitions[0] 'submit'.guards", "unknown guard 'round_opn'"), message
    assert line_with(message, file, "transitions[1] 'approve'.roles", "unknown role 'banker'"), message
    assert line_with(message, file, "states.parked", "dead end"), message


def test_several_schema_faults_are_all_reported(tmp_path: Path) -> None:
    text = edit(BASE, 'guards = ["reason_given"]', 'gaurds = ["reason_given"]')
    text = edit(text, 'label = { de = "Eingereicht", en = "Submitted" }', 'label = { de = "Eingereicht" }')
    path = write(tmp_path, "broken-schema.toml", text)

    error = refusal(path)

    assert {f.key for f in error.faults} >= {"transitions[2].gaurds", "states.submitted.label.en"}


# ----------------------------------------------------------------------------------------------------
# the registry


def test_registry_refuses_two_files_with_the_same_key_and_version_naming_both(tmp_path: Path) -> None:
    write(tmp_path, "first.toml", BASE)
    write(tmp_path, "second.toml", BASE)

    with pytest.raises(ProcedureError) as info:
        ProcedureRegistry.from_dirs([tmp_path])

    message = str(info.value)
    assert "test-procedure@1" in message
    assert "first.toml" in message
    assert "second.toml" in message
    assert info.value.faults[0].key == "procedure.version"


def test_registry_refuses_a_copy_of_the_shipped_definition(tmp_path: Path) -> None:
    write(tmp_path, "copy.toml", SHIPPED_FILE.read_text(encoding="utf-8"))

    with pytest.raises(ProcedureError) as info:
        ProcedureRegistry.from_dirs([tmp_path])

    message = str(info.value)
    assert "saxony-regional@1" in message
    assert "copy.toml" in message
    assert "saxony-regional.v1.toml" in message


def test_registry_refuses_a_broken_file_in_an_extra_folder(tmp_path: Path) -> None:
    write(tmp_path, "broken-unknown-guard.toml", BROKEN["unknown-guard"].text)

    with pytest.raises(ProcedureError, match=r"broken-unknown-guard\.toml.*unknown guard 'round_opn'"):
        ProcedureRegistry.from_dirs([tmp_path])


def test_registry_refuses_an_extra_folder_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ProcedureError, match="not a folder"):
        ProcedureRegistry.from_dirs([tmp_path / "missing"])


def test_registry_makes_procedures_of_extra_folders_available(tmp_path: Path) -> None:
    write(tmp_path, "test-procedure.v1.toml", BASE)
    write(tmp_path, "test-procedure.v2.toml", edit(BASE, "version = 1", "version = 2"))

    registry = ProcedureRegistry.from_dirs([tmp_path])

    v1 = registry.get("test-procedure", 1)
    v2 = registry.get("test-procedure", 2)
    assert (v1.key, v1.version) == ("test-procedure", 1)
    assert (v2.key, v2.version) == ("test-procedure", 2)
    assert v1.source == str(tmp_path / "test-procedure.v1.toml")
    assert registry.latest("test-procedure") is v2
    assert registry.get("test-procedure") is v2
    assert registry.keys() == sorted({"saxony-regional", "lower-saxony-regional", "test-procedure"})
    assert registry.get("saxony-regional", 1).key == "saxony-regional"
    assert registry.machine("test-procedure", 1).procedure is v1
    refs = [p.ref for p in registry.all() if p.key == "test-procedure"]
    assert refs == ["test-procedure@1", "test-procedure@2"]


def test_registry_raises_not_found_for_unknown_keys_and_versions(procedures: ProcedureRegistry) -> None:
    with pytest.raises(NotFound, match="no-such-procedure"):
        procedures.latest("no-such-procedure")
    with pytest.raises(NotFound, match="no-such-procedure"):
        procedures.get("no-such-procedure")
    with pytest.raises(NotFound, match="saxony-regional@99"):
        procedures.get("saxony-regional", 99)
    with pytest.raises(NotFound):
        procedures.machine("no-such-procedure", 1)


# ----------------------------------------------------------------------------------------------------
# the shared machine


def test_machine_target_matches_the_toml_for_every_state_and_transition(
    procedures: ProcedureRegistry,
) -> None:
    data = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    machine = procedures.machine("saxony-regional", 1)
    expected_moves = 0

    for state in data["states"]:
        for transition in data["transitions"]:
            expected = transition["to"] if state in transition["from"] else None
            expected_moves += expected is not None
            assert machine.target(state, transition["name"]) == expected, (state, transition["name"])

    # Every source of every transition was checked as a possible move.
    assert expected_moves == sum(len(t["from"]) for t in data["transitions"])


def test_machine_possible_from_lists_the_transitions_in_definition_order(
    procedures: ProcedureRegistry,
) -> None:
    data = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    machine = procedures.machine("saxony-regional", 1)

    for state in data["states"]:
        expected = [t["name"] for t in data["transitions"] if state in t["from"]]
        assert [t.name for t in machine.possible_from(state)] == expected, state


def test_machine_knows_nothing_of_unknown_transitions_or_states(procedures: ProcedureRegistry) -> None:
    machine = procedures.machine("saxony-regional", 1)

    assert machine.target("draft", "no_such_transition") is None
    assert machine.target("no_such_state", "submit") is None
    assert machine.possible_from("no_such_state") == []


def test_machine_has_no_model_and_no_auto_transitions(procedures: ProcedureRegistry) -> None:
    data = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    machine = procedures.machine("saxony-regional", 1)

    assert machine.machine.models == []
    assert "to_draft" not in machine.machine.events
    assert not any(name.startswith("to_") for name in machine.machine.events)
    assert set(machine.machine.events) == {t["name"] for t in data["transitions"]}


def test_machine_built_from_a_procedure_matches_its_definition(tmp_path: Path) -> None:
    procedure = load_procedure(write(tmp_path, "base.toml", BASE), GUARD_NAMES)

    machine = ProcedureMachine(procedure)

    assert machine.machine.models == []
    assert machine.target("draft", "submit") == "submitted"
    assert machine.target("submitted", "withdraw") == "withdrawn"
    assert machine.target("approved", "withdraw") is None
    assert machine.target("draft", "approve") is None
