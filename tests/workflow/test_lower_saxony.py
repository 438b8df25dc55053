"""Lower Saxony beside Saxony: the alliance gives a statement instead of prioritising; the bank scores with fixed
criteria and decides. Both procedures run side by side in one alliance, chosen per round."""

from __future__ import annotations

import pytest

from tests.factories import AFTER_CLOSE, REASON, ROUND_CLOSES, ROUND_OPENS, WHILE_OPEN, World, complete_plan, make_world
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, GuardFailed
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

LOWER_SAXONY = "lower-saxony-regional"


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx, procedure_key=LOWER_SAXONY)


def forwarded(ctx: Context, world: World) -> tuple[int, int]:
    applicant, manager = world.actor(Role.APPLICANT), world.actor(Role.MANAGER)
    view = ctx.proposals.create_draft(applicant, {"round_id": world.round_id, "title": "Pflegebündnis Südniedersachsen",
                                                  "funding_plan": complete_plan()}, now=WHILE_OPEN)
    version = ctx.proposals.fire(applicant, view.id, "submit", expected_version=view.version, now=WHILE_OPEN).version
    version = ctx.proposals.fire(manager, view.id, "open_review", expected_version=version, now=AFTER_CLOSE).version
    version = ctx.proposals.fire(manager, view.id, "give_statement", expected_version=version, now=AFTER_CLOSE,
                                 inputs={"statement": "Das Bündnis befürwortet den Antrag.",
                                         "recommendation": "befürwortet"}).version
    version = ctx.proposals.fire(manager, view.id, "forward", expected_version=version, now=AFTER_CLOSE).version
    return view.id, version


def sheet(regional_need: int, concept: int, effect: int, fits: bool = True) -> dict[str, object]:
    return {"points": {"regional_need": regional_need, "concept": concept, "effect": effect},
            "ko": {"guideline_fit": fits}}


def test_the_alliance_gives_a_statement_and_the_bank_scores_and_approves(ctx: Context, world: World) -> None:
    proposal_id, version = forwarded(ctx, world)
    bank = world.actor(Role.BANK)
    history = ctx.proposals.history(SYSTEM, proposal_id)
    assert [h.transition for h in history[1:]] == ["submit", "open_review", "give_statement", "forward"]
    assert history[3].inputs["recommendation"] == "befürwortet"
    with pytest.raises(GuardFailed) as refused:
        ctx.proposals.fire(bank, proposal_id, "approve", expected_version=version, now=AFTER_CLOSE,
                           inputs={"bank_reference": "NB-2026-17"})
    assert {f.rule for f in refused.value.failures} == {"quorum_scored", "score_threshold_met"}
    view = ctx.scoring.score(bank, proposal_id, sheet(32, 28, 15), now=AFTER_CLOSE)
    assert view.result is not None and view.result.total == 75 and view.result.max_total == 100
    version = ctx.proposals.get(SYSTEM, proposal_id, now=AFTER_CLOSE).version
    result = ctx.proposals.fire(bank, proposal_id, "approve", expected_version=version, now=AFTER_CLOSE,
                                inputs={"bank_reference": "NB-2026-17"})
    assert result.to_state == "approved"


def test_the_bank_not_the_steering_group_scores_and_below_half_it_cannot_approve(ctx: Context, world: World) -> None:
    proposal_id, _ = forwarded(ctx, world)
    with pytest.raises(Forbidden, match="bank officers"):
        ctx.scoring.score(world.actor(Role.REVIEWER), proposal_id, sheet(40, 35, 25), now=AFTER_CLOSE)
    ctx.scoring.score(world.actor(Role.BANK), proposal_id, sheet(20, 20, 9), now=AFTER_CLOSE)  # 49 of 100
    version = ctx.proposals.get(SYSTEM, proposal_id, now=AFTER_CLOSE).version
    with pytest.raises(GuardFailed, match="below the minimum of 50 %"):
        ctx.proposals.fire(world.actor(Role.BANK), proposal_id, "approve", expected_version=version,
                           now=AFTER_CLOSE, inputs={"bank_reference": "NB-2026-18"})
    result = ctx.proposals.fire(world.actor(Role.BANK), proposal_id, "reject", expected_version=version,
                                now=AFTER_CLOSE, reason=REASON, inputs={"bank_reference": "NB-2026-18"})
    assert result.to_state == "rejected"


def test_the_fixed_scheme_cannot_be_replaced_by_a_round(ctx: Context, world: World) -> None:
    view = ctx.scoring.scheme(SYSTEM, world.round_id)
    assert view.source == "procedure" and not view.changeable and view.scheme is not None
    assert [c.max_points for c in view.scheme.criteria] == [40, 35, 25]
    replacement = view.scheme.model_dump(mode="json") | {"fixed": False}
    with pytest.raises(Conflict, match="fixes the scoring scheme"):
        ctx.scoring.set_scheme(world.actor(Role.MANAGER), world.round_id, replacement, now=AFTER_CLOSE)


def test_both_procedures_run_side_by_side_in_one_alliance(ctx: Context, world: World) -> None:
    saxon_round = ctx.admin.create_round(world.actor(Role.MANAGER), world.alliance_id, "Sächsische Runde",
                                         opens_at=ROUND_OPENS, closes_at=ROUND_CLOSES, now=ROUND_OPENS,
                                         procedure_key="saxony-regional")
    assert saxon_round.id is not None
    applicant = world.actor(Role.APPLICANT)
    saxon = ctx.proposals.create_draft(applicant, {"round_id": saxon_round.id, "title": "MINT-Netzwerk",
                                                   "funding_plan": complete_plan()}, now=WHILE_OPEN)
    lower = ctx.proposals.create_draft(applicant, {"round_id": world.round_id, "title": "Pflegebündnis",
                                                   "funding_plan": complete_plan()}, now=WHILE_OPEN)
    assert (saxon.procedure_key, lower.procedure_key) == ("saxony-regional", LOWER_SAXONY)
    for view in (saxon, lower):
        ctx.proposals.fire(applicant, view.id, "submit", expected_version=view.version, now=WHILE_OPEN)
    manager = world.actor(Role.MANAGER)
    saxon_steps = {a.transition.name for a in ctx.proposals.allowed_transitions(manager, saxon.id, now=AFTER_CLOSE)}
    lower_steps = {a.transition.name for a in ctx.proposals.allowed_transitions(manager, lower.id, now=AFTER_CLOSE)}
    assert saxon_steps == lower_steps == {"open_review"}
    for view in (saxon, lower):
        ctx.proposals.fire(manager, view.id, "open_review", expected_version=view.version + 1, now=AFTER_CLOSE)
    saxon_steps = {a.transition.name for a in ctx.proposals.allowed_transitions(manager, saxon.id, now=AFTER_CLOSE)}
    lower_steps = {a.transition.name for a in ctx.proposals.allowed_transitions(manager, lower.id, now=AFTER_CLOSE)}
    assert "prioritise" in saxon_steps and "give_statement" not in saxon_steps
    assert "give_statement" in lower_steps and "prioritise" not in lower_steps
