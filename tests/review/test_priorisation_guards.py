"""A proposal is prioritised only when a quorum scored it, its score reaches the minimum share and no k.o.
criterion failed."""

from __future__ import annotations

import pytest

from tests.factories import AFTER_CLOSE, World
from tests.review.helpers import fire, in_review, manager, member, scored, state, use_scheme
from workflow.context import Context
from workflow.errors import GuardFailed


def refusal(ctx: Context, world: World, pid: int, step: str = "prioritise") -> dict[str, str]:
    with pytest.raises(GuardFailed) as refused:
        fire(ctx, manager(world), pid, step)
    return {f.rule: f.why for f in refused.value.failures}


def test_under_the_minimum_share_a_proposal_cannot_be_prioritised(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="Schwach begründet")
    scored(ctx, world, pid, 1, 3)  # 3*1 + 3 = 6 of 25 points: 24 %, the minimum is 30 %
    why = refusal(ctx, world, pid)
    assert set(why) == {"score_threshold_met"}
    assert why["score_threshold_met"] == ("its score (6.00 of 25 points, 24.00 %) is below the minimum of 30 % "
                                          "of the maximum")
    assert set(refusal(ctx, world, pid, "put_on_waiting_list")) == {"score_threshold_met"}
    assert state(ctx, pid) == "in_review"


def test_exactly_the_minimum_share_is_enough(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="Knapp")
    scored(ctx, world, pid, 2, 1)  # 3*2 + 1 = 7 of 25: 28 %
    assert "score_threshold_met" in refusal(ctx, world, pid)
    scored(ctx, world, pid, 2, 2)  # revised: 8 of 25 = 32 %
    fire(ctx, manager(world), pid, "prioritise")
    assert state(ctx, pid) == "prioritised"


def test_a_failed_ko_criterion_blocks_when_half_or_more_of_the_sheets_say_not_met(ctx: Context,
                                                                                  world: World) -> None:
    use_scheme(ctx, world, quorum=3)
    second, third = member(ctx, world, "HWK Leipzig"), member(ctx, world, "DGB Leipzig")
    pid = in_review(ctx, world, title="Unterlagen unvollständig?")
    scored(ctx, world, pid, 5, 10, documents_complete=False)
    scored(ctx, world, pid, 5, 10, by=second)
    scored(ctx, world, pid, 5, 10, by=third)
    # One of three says "not met": the majority holds the documents complete.
    result = ctx.scoring.scores(manager(world), pid).result
    assert result is not None and result.ko_failed == ()
    # A second member changes their mind: two of three, the k.o. criterion fails, whatever the points.
    scored(ctx, world, pid, 5, 10, by=second, documents_complete=False)
    why = refusal(ctx, world, pid)
    assert why == {"score_threshold_met": "k.o. criterion 'documents_complete' is not met"}
    assert set(refusal(ctx, world, pid, "put_on_waiting_list")) == {"score_threshold_met"}


def test_a_tie_on_a_ko_criterion_fails_it(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, quorum=2)
    second = member(ctx, world, "HWK Leipzig")
    pid = in_review(ctx, world, title="Uneinig")
    scored(ctx, world, pid, 5, 10)
    scored(ctx, world, pid, 5, 10, by=second, documents_complete=False)
    assert refusal(ctx, world, pid) == {"score_threshold_met": "k.o. criterion 'documents_complete' is not met"}


def test_without_the_quorum_prioritise_is_refused(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, quorum=3)
    second, third = member(ctx, world, "HWK Leipzig"), member(ctx, world, "DGB Leipzig")
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    assert refusal(ctx, world, pid)["score_threshold_met"] == "the proposal has no scores yet"
    scored(ctx, world, pid, 5, 10)
    scored(ctx, world, pid, 5, 10, by=second)
    why = refusal(ctx, world, pid)
    assert why == {"quorum_scored": "2 of the 3 scores the quorum needs are in"}
    assert set(refusal(ctx, world, pid, "put_on_waiting_list")) == {"quorum_scored"}
    scored(ctx, world, pid, 5, 10, by=third)
    fire(ctx, manager(world), pid, "prioritise")
    assert state(ctx, pid) == "prioritised"


def test_the_allowed_steps_show_what_blocks_prioritising(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    allowed = {a.transition.name: a for a in ctx.proposals.allowed_transitions(manager(world), pid, now=AFTER_CLOSE)}
    assert {f.rule for f in allowed["prioritise"].blocked_by} == {"quorum_scored", "score_threshold_met"}
    scored(ctx, world, pid, 5, 10)
    allowed = {a.transition.name: a for a in ctx.proposals.allowed_transitions(manager(world), pid, now=AFTER_CLOSE)}
    assert allowed["prioritise"].blocked_by == ()
