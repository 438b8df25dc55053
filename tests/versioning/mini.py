"""A small procedure in two versions for tests of versions, diffs and migrations: version 2 drops the state
`checked` (its proposals need a plan) and renames `withdraw` to `retract`."""

from __future__ import annotations

from pathlib import Path

MINI_V1 = """\
[procedure]
key = "mini"
version = 1
initial = "draft"
title = { de = "Kleinverfahren", en = "Small procedure" }

[states.draft]
label = { de = "Entwurf", en = "Draft" }
editable = true

[states.submitted]
label = { de = "Eingereicht", en = "Submitted" }
alliance_stage = true

[states.checked]
label = { de = "Geprüft", en = "Checked" }
alliance_stage = true

[states.approved]
label = { de = "Bewilligt", en = "Approved" }
alliance_stage = true
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
name = "check"
label = { de = "Prüfen", en = "Check" }
from = ["submitted"]
to = "checked"
roles = ["manager"]

[[transitions]]
name = "approve"
label = { de = "Bewilligen", en = "Approve" }
from = ["checked"]
to = "approved"
roles = ["bank"]

[[transitions]]
name = "withdraw"
label = { de = "Zurückziehen", en = "Withdraw" }
from = ["draft", "submitted", "checked"]
to = "withdrawn"
roles = ["applicant"]
guards = ["reason_given"]
"""



def edit(text: str, old: str, new: str) -> str:
    """Replace `old`, which must occur exactly once, so that a changed base cannot silently skip an edit."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def _version_2(text: str) -> str:
    text = edit(text, "version = 1", "version = 2")
    text = edit(text, """[states.checked]
label = { de = "Geprüft", en = "Checked" }
alliance_stage = true

""", "")
    text = edit(text, """[[transitions]]
name = "check"
label = { de = "Prüfen", en = "Check" }
from = ["submitted"]
to = "checked"
roles = ["manager"]

""", "")
    text = edit(text, """from = ["checked"]
to = "approved"
roles = ["bank"]""", """from = ["submitted"]
to = "approved"
roles = ["bank", "manager"]""")
    text = edit(text, """name = "withdraw"
label = { de = "Zurückziehen", en = "Withdraw" }
from = ["draft", "submitted", "checked"]""", """name = "retract"
renamed_from = "withdraw"
label = { de = "Zurückziehen", en = "Withdraw" }
from = ["draft", "submitted"]""")
    return text


MINI_V2 = _version_2(MINI_V1)


def write_mini(folder: Path, *versions: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for text in versions:
        version = text.split("version = ", 1)[1].split("\n", 1)[0]
        (folder / f"mini.v{version}.toml").write_text(text, encoding="utf-8")
    return folder
