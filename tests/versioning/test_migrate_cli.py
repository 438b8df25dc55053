"""`foerderweg procedure migrate` as an operator runs it: the dry run's list, progress while it runs, the
message when there is nothing left, and a refused plan's faults."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli.output import console
from tests.cli.test_cli import Capture, run
from tests.factories import AFTER_CLOSE, World, make_world, new_draft, proposal_in
from workflow.context import Context
from workflow.people.actors import SYSTEM

PLAN = Path(__file__).parents[2] / "docs" / "migrations" / "saxony-regional-1-to-2.toml"

@pytest.fixture(autouse=True)
def operator(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", database_url)
    monkeypatch.setattr(console, "width", 200)


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx, procedure_version=1)


def test_the_dry_run_names_each_running_proposal_and_changes_nothing(capsys: Capture, ctx: Context,
                                                                     world: World) -> None:
    forwarded, version = proposal_in(ctx, world, "forwarded_to_bank", title="Symposium MINT")
    code, out, _ = run(capsys, "procedure", "migrate", "--plan", str(PLAN), "--dry-run")
    assert code == 0
    assert "dry run of migration plan fachkraefterichtlinie-2027: saxony-regional 1 → 2; nothing is changed" in out
    assert re.search(rf"#{forwarded} Symposium MINT: forwarded_to_bank → forwarded_to_bank; cancels bank_decision, "
                     r"opens bank_decision \(due ", out)
    assert "1 running proposals would move" in out
    assert ctx.proposals.get(SYSTEM, forwarded, now=AFTER_CLOSE).version == version

    code, out, _ = run(capsys, "procedure", "migrate", "--plan", str(PLAN), "--dry-run", "--json")
    listed = json.loads(out)
    assert [(p["proposal_id"], p["deadlines"]["cancelled"][0]["kind"]) for p in listed["proposals"]] == [
        (forwarded, "bank_decision")]
    assert listed["plan"]["migration"]["id"] == "fachkraefterichtlinie-2027"


def test_a_run_shows_its_progress_batch_by_batch_and_a_second_run_has_nothing_left(
        capsys: Capture, ctx: Context, world: World) -> None:
    for n in range(25):
        new_draft(ctx, world, title=f"Entwurf {n}")
    code, out, _ = run(capsys, "procedure", "migrate", "--plan", str(PLAN), "--batch-size", "10")
    assert code == 0, out
    assert "fachkraefterichtlinie-2027) started: saxony-regional 1 → 2, 25 proposals to move" in out
    progress = re.findall(r"^  (\d+) of 25 moved \((\d+) %\)", out, flags=re.MULTILINE)
    assert progress == [("10", "40"), ("20", "80"), ("25", "100")]
    assert out.rstrip().endswith("done, 25 moved, 0 left")

    code, out, _ = run(capsys, "procedure", "migrate", "--plan", str(PLAN))
    assert code == 0 and "is done already: 25 moved, nothing left to move" in out
    code, out, _ = run(capsys, "procedure", "migration", "1")
    assert code == 0 and "25 of 25 moved" in out and "done" in out


def test_a_refused_plan_exits_1_with_every_fault(capsys: Capture, ctx: Context, world: World,
                                                 tmp_path: Path) -> None:
    new_draft(ctx, world)
    broken = tmp_path / "broken.toml"
    broken.write_text(PLAN.read_text(encoding="utf-8").replace("[states]", '[states]\ndraft = "rejected"\n'
                                                               'submited = "submitted"'), encoding="utf-8")
    code, _, err = run(capsys, "procedure", "migrate", "--plan", str(broken))
    assert code == 1
    assert "refused:" in err
    assert "states.submited: 'submited' is not a state of saxony-regional@1" in err
    assert "states.draft: maps running proposals of 'draft' to 'rejected', a terminal state" in err
