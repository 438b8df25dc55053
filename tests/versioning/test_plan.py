"""A migration plan is checked against both versions and the proposals running now, and refused with every fault
found before anything moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.factories import AFTER_CLOSE, World, make_world, proposal_in
from tests.versioning.mini import MINI_V1, MINI_V2, write_mini
from workflow.context import Context, build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.procedure.definition import StateDef
from workflow.procedure.faults import ProcedureError
from workflow.procedure.labels import Labels
from workflow.procedure.registry import ProcedureRegistry
from workflow.settings import Settings
from workflow.versioning.plan import PlanRefused, check_plan, parse_plan
from workflow.versioning.published import publish

HEAD = """\
[migration]
id = "mini-1-2"
procedure = "mini"
from = 1
to = 2
"""


@pytest.fixture
def mini(database_url: str, tmp_path: Path) -> Iterator[Context]:
    context = build_context(Settings(database_url=database_url,
                                     procedure_dirs=[write_mini(tmp_path / "procedures", MINI_V1, MINI_V2)]))
    yield context
    context.close()


@pytest.fixture
def world(mini: Context) -> World:
    return make_world(mini, procedure_key="mini", procedure_version=1)


def problems(ctx: Context, plan: str) -> list[str]:
    with pytest.raises(PlanRefused) as refused:
        ctx.migrations.check(SYSTEM, plan)
    return [f"{p.field}: {p.problem}" for p in refused.value.problems]


def test_a_plan_that_leaves_a_state_with_running_proposals_unmapped_is_refused(mini: Context, world: World) -> None:
    proposal_in(mini, world, "checked")
    assert problems(mini, HEAD) == [
        "states.checked: 1 running proposal(s) are in 'checked', which mini@2 does not have: map it in [states] "
        "to a state of mini@2"]
    plan = mini.migrations.check(SYSTEM, HEAD + '[states]\nchecked = "submitted"\n')
    assert (plan.moves["checked"].target, plan.moves["checked"].because) == ("submitted", "plan")


def test_a_state_nobody_is_in_needs_no_mapping(mini: Context, world: World) -> None:
    proposal_in(mini, world, "submitted")
    plan = mini.migrations.check(SYSTEM, HEAD)
    assert set(plan.moves) == {"draft", "submitted"}


def test_every_fault_of_a_plan_is_named_at_once(mini: Context, world: World) -> None:
    proposal_in(mini, world, "checked")
    found = problems(mini, HEAD + '[states]\nchecked = "nowhere"\nsubmittd = "submitted"\n'
                                  '[deadlines]\ncheckd = "keep"\n')
    assert found == [
        "states.submittd: 'submittd' is not a state of mini@1 (its states: draft, submitted, checked, approved, "
        "withdrawn)",
        "deadlines.checkd: 'checkd' is not a state of mini@1",
        "states.checked: maps 'checked' to 'nowhere', which is not a state of mini@2 (its states: draft, "
        "submitted, approved, withdrawn)",
    ]


def test_running_proposals_cannot_be_moved_into_a_terminal_state(mini: Context, world: World) -> None:
    proposal_in(mini, world, "checked")
    assert problems(mini, HEAD + '[states]\nchecked = "approved"\n') == [
        "states.checked: maps running proposals of 'checked' to 'approved', a terminal state of mini@2: a migration "
        "moves proposals, it does not decide them (fire the transition instead)"]


def test_finished_proposals_are_not_part_of_a_plan(mini: Context) -> None:
    assert problems(mini, HEAD + '[states]\nwithdrawn = "withdrawn"\n') == [
        "states.withdrawn: 'withdrawn' is terminal in mini@1: finished proposals keep the version they ended on"]


@pytest.mark.parametrize(("plan", "fault"), [
    (HEAD.replace("to = 2", "to = 1"), "migration.to: a migration moves proposals to a later version (from 1 to 1)"),
    (HEAD.replace("to = 2", "to = 7"), "migration.to: procedure mini@7 is not known to this installation"),
    (HEAD.replace('procedure = "mini"', 'procedure = "maxi"'), "migration.from: procedure maxi@1 is not known"),
    (HEAD.replace('id = "mini-1-2"', 'id = "Mini 1/2"'), "migration.id: String should match pattern"),
    (HEAD.replace("[migration]", "[migration]\ndeadlines = \"forget\""), "migration.deadlines: Input should be "
                                                                        "'keep' or 'recreate'"),
    (HEAD + "[extra]\n", "extra: unknown key 'extra'"),
    ("[migration", "plan: not valid TOML"),
    ("", "migration: missing"),
])
def test_a_malformed_plan_is_refused_with_a_clear_message(mini: Context, plan: str, fault: str) -> None:
    assert any(p.startswith(fault) for p in problems(mini, plan)), problems(mini, plan)


def test_the_dry_run_and_the_run_agree_on_a_plan_with_a_mapped_state(mini: Context, world: World) -> None:
    checked, _ = proposal_in(mini, world, "checked")
    plan = mini.migrations.check(SYSTEM, HEAD + '[states]\nchecked = "submitted"\n')
    assert [(m.proposal_id, m.from_state, m.to_state) for m in mini.migrations.preview(plan, AFTER_CLOSE)] == [
        (checked, "checked", "submitted")]
    status = mini.migrations.run(mini.migrations.start(SYSTEM, plan, AFTER_CLOSE).id, lambda: AFTER_CLOSE)
    assert status.moved == 1
    view = mini.proposals.get(SYSTEM, checked, now=AFTER_CLOSE)
    assert (view.state, view.procedure_version) == ("submitted", 2)
    # Version 2's rules apply to it now: the managing member may approve, straight from `submitted`.
    step = mini.proposals.fire(world.actor(Role.MANAGER), checked, "approve", expected_version=view.version,
                               now=AFTER_CLOSE, inputs={})
    assert step.to_state == "approved"


def test_a_target_no_path_of_the_newer_version_reaches_is_refused(mini: Context, world: World) -> None:
    proposal_in(mini, world, "checked")
    v1, v2 = mini.procedures.get("mini", 1), mini.procedures.get("mini", 2)
    # A loaded definition cannot have such a state (loading refuses it); built by hand, a plan must still see it.
    orphan = replace(v2, states={**v2.states, "orphan": StateDef(label=Labels(de="Verwaist", en="Orphan"))})
    with pytest.raises(PlanRefused) as refused:
        check_plan(parse_plan(HEAD + '[states]\nchecked = "orphan"\n'), ProcedureRegistry([v1, orphan]),
                   {"checked": 1})
    assert [p.problem for p in refused.value.problems] == [
        "maps 'checked' to 'orphan', which no path of mini@2 reaches from 'draft'"]


@pytest.mark.parametrize(("plan", "field"), [
    (HEAD.replace('procedure = "mini"', 'procedure = "mi\\u0000ni"'), "migration.procedure"),
    (HEAD + 'description = "Neue Fassung\\u0000"\n', "migration.description"),
])
def test_control_characters_never_reach_the_database(mini: Context, plan: str, field: str) -> None:
    assert [p.split(":")[0] for p in problems(mini, plan)] == [field]


def test_a_version_that_migrated_proposals_run_on_cannot_disappear(mini: Context, world: World,
                                                                   tmp_path: Path) -> None:
    proposal_in(mini, world, "submitted")
    plan = mini.migrations.check(SYSTEM, HEAD)
    mini.migrations.run(mini.migrations.start(SYSTEM, plan, AFTER_CLOSE).id, lambda: AFTER_CLOSE)
    folder = tmp_path / "procedures"
    (folder / "mini.v2.toml").unlink()
    publish(mini.db, mini.procedures, AFTER_CLOSE)  # as it was: fine
    with pytest.raises(ProcedureError, match=r"mini@2: rounds, proposals or deadlines of this installation run on"):
        publish(mini.db, ProcedureRegistry.from_dirs([folder]), AFTER_CLOSE)
