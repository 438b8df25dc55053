"""What changed between two procedure versions, for a steering group (text) and for programs (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from cli.output import console
from tests.versioning.mini import MINI_V1, MINI_V2, edit, write_mini
from workflow.procedure.faults import ProcedureError
from workflow.procedure.registry import ProcedureRegistry
from workflow.versioning.diff import FieldChange, ItemChange, diff
from workflow.versioning.readable import readable


def changes(items: tuple[ItemChange, ...]) -> dict[str, tuple[str, str | None, tuple[FieldChange, ...]]]:
    return {item.name: (item.kind, item.old_name, item.fields) for item in items}


def test_the_diff_of_the_two_shipped_saxon_versions(procedures: ProcedureRegistry) -> None:
    change = diff(procedures, "saxony-regional", 1, 2)

    states = changes(change.states)
    assert set(states) == {"proof_of_use_in_review", "proof_of_use_revision"}
    kind, old, fields = states["proof_of_use_in_review"]
    assert (kind, old, [f.field for f in fields]) == ("renamed", "proof_of_use_submitted", ["label"])
    assert states["proof_of_use_revision"][0] == "added"

    transitions = changes(change.transitions)
    assert set(transitions) == {"request_proof_of_use_revision", "forward", "start_implementation",
                                "resubmit_proof_of_use"}
    kind, old, fields = transitions["request_proof_of_use_revision"]
    assert (kind, old) == ("renamed", "return_proof_of_use")
    assert FieldChange("to", before="in_implementation", after="proof_of_use_revision") in fields
    assert FieldChange("inputs", added=("revision_deadline",)) in fields
    # Its source state was only renamed: compared under the new name, that is no change.
    assert "from" not in [f.field for f in fields]
    assert transitions["forward"] == ("changed", None, (FieldChange("guards", added=("conditions_met",)),))
    assert transitions["start_implementation"] == ("changed", None, (FieldChange("roles", added=("bank",)),))
    assert transitions["resubmit_proof_of_use"][0] == "added"
    # accept_proof_of_use now starts from the renamed state: unchanged.
    assert "accept_proof_of_use" not in transitions

    deadlines = changes(change.deadlines)
    assert deadlines["bank_decision"] == ("changed", None, (
        FieldChange("due", before={"after": "6w"}, after={"after": "8w"}),))
    assert deadlines["proof_of_use_revision"][0] == "added"
    assert set(deadlines) == {"bank_decision", "proof_of_use_revision"}

    assert change.procedure == ()
    assert change.state_names["proof_of_use_submitted"] == "proof_of_use_in_review"
    assert change.state_names["in_review"] == "in_review"


def test_the_diff_backwards_reverses_every_change(procedures: ProcedureRegistry) -> None:
    back = diff(procedures, "saxony-regional", 2, 1)
    states = changes(back.states)
    assert states["proof_of_use_submitted"][:2] == ("renamed", "proof_of_use_in_review")
    assert states["proof_of_use_revision"][0] == "removed"
    assert changes(back.transitions)["forward"][2] == (FieldChange("guards", removed=("conditions_met",)),)


def test_a_version_against_itself_has_no_changes(procedures: ProcedureRegistry) -> None:
    same = diff(procedures, "saxony-regional", 2, 2)
    assert same.empty
    assert readable(same, "en")[1] == "No changes."


def test_the_text_says_each_change_in_the_steering_groups_words(procedures: ProcedureRegistry) -> None:
    german = "\n".join(readable(diff(procedures, "saxony-regional", 1, 2)))
    assert "saxony-regional: was sich von Version 1 zu Version 2 ändert" in german
    assert ("~ proof_of_use_submitted → proof_of_use_in_review (Verwendungsnachweis in Prüfung): umbenannt"
            in german)
    assert "Regeln: neu: conditions_met" in german
    assert "Rollen: neu: bank" in german
    assert "fällig: after = 6w → after = 8w" in german
    english = readable(diff(procedures, "saxony-regional", 1, 2), "en")
    assert "  ~ start_implementation (Start implementation): changed" in english
    assert "      roles: added: bank" in english


def test_names_are_followed_through_every_version_in_between(tmp_path: Path) -> None:
    v3 = edit(edit(MINI_V2, "version = 2", "version = 3"), 'name = "retract"\nrenamed_from = "withdraw"',
              'name = "take_back"\nrenamed_from = "retract"')
    registry = ProcedureRegistry.from_dirs([write_mini(tmp_path, MINI_V1, MINI_V2, v3)])
    change = diff(registry, "mini", 1, 3)
    assert changes(change.transitions)["take_back"][:2] == ("renamed", "withdraw")
    assert changes(change.states)["checked"][0] == "removed"


@pytest.mark.parametrize(("text", "fault"), [
    (edit(MINI_V2, 'renamed_from = "withdraw"', 'renamed_from = "cancel"'),
     "transitions.retract.renamed_from: mini@1 has no transition 'cancel'"),
    (edit(MINI_V2, 'label = { de = "Eingereicht", en = "Submitted" }',
          'label = { de = "Eingereicht", en = "Submitted" }\nrenamed_from = "draft"'),
     "states.submitted.renamed_from: 'draft' is still defined in this version"),
])
def test_a_rename_must_name_what_the_version_before_had_and_this_one_has_not(tmp_path: Path, text: str,
                                                                            fault: str) -> None:
    with pytest.raises(ProcedureError) as refused:
        ProcedureRegistry.from_dirs([write_mini(tmp_path, MINI_V1, text)])
    assert fault in str(refused.value)


def test_a_rename_needs_a_version_before(tmp_path: Path) -> None:
    with pytest.raises(ProcedureError, match="no earlier version of 'mini' to rename from"):
        ProcedureRegistry.from_dirs([write_mini(tmp_path, MINI_V2)])


def test_the_command_prints_the_diff_as_text_and_as_json(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)
    for args, check in (
        (["--lang", "en"], lambda out: "  + proof_of_use_revision (Proof of use being revised): added" in out),
        (["--json"], lambda out: json.loads(out)["states"][0]["old_name"] == "proof_of_use_submitted"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["procedure", "diff", "saxony-regional", "1", "2", *args])
        assert exited.value.code == 0
        assert check(capsys.readouterr().out)
    with pytest.raises(SystemExit) as exited:
        main(["procedure", "diff", "saxony-regional", "1", "9"])
    assert exited.value.code == 1
    assert "saxony-regional@9 is not known" in capsys.readouterr().err
