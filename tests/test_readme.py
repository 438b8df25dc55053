"""The README shows the procedure as it is: its diagram is the one the code draws."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.procedure.diagram import mermaid
from workflow.procedure.registry import ProcedureRegistry

ROOT = Path(__file__).resolve().parent.parent


def test_readme_diagram_is_generated_from_the_shipped_definition(procedures: ProcedureRegistry) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    drawn = mermaid(procedures.latest("saxony-regional"), language="en")
    assert f"```mermaid\n{drawn}```" in readme, "regenerate: foerderweg procedure diagram saxony-regional --lang en"


def test_readme_quickstart_names_the_two_commands_that_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "python3 dev.py serve" in readme and "python3 dev.py test" in readme
    assert "python3 dev.py test" in ci and "python3 dev.py serve" in ci


def test_readme_images_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert "docs/screenshots/priorisation-view.png" in images
    assert "docs/screenshots/applicant-proposal-page.png" in images
    for image in images:
        assert (ROOT / image).is_file(), image
        assert (ROOT / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
