"""Blind scoring: a member sees the others' sheets and the result only after scoring; the manager always does;
applicants never."""

from __future__ import annotations

import pytest

from tests.factories import World
from tests.review.helpers import applicant, in_review, manager, member, reviewer, scored, use_scheme
from workflow.context import Context
from workflow.errors import Forbidden


def test_a_member_sees_the_others_only_after_scoring(ctx: Context, world: World) -> None:
    late = member(ctx, world, "HWK Leipzig")
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)

    before = ctx.scoring.scores(late, pid)
    assert before.hidden_until_scored
    assert (before.sheets, before.result, before.own) == ([], None, None)
    # Who has scored is no secret, only what.
    assert [m.scored for m in before.members] == [True, False]

    scored(ctx, world, pid, 1, 2, by=late)
    after = ctx.scoring.scores(late, pid)
    assert not after.hidden_until_scored
    assert [(s.scorer_name, s.points) for s in after.sheets] == [("IHK zu Leipzig", {"need": 5, "concept": 10})]
    assert after.own is not None and after.own.points == {"need": 1, "concept": 2}
    assert after.result is not None and after.result.scores == 2


def test_the_manager_sees_every_sheet_at_once(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    empty = ctx.scoring.scores(manager(world), pid)
    assert not empty.hidden_until_scored and empty.sheets == []
    scored(ctx, world, pid, 5, 10)
    view = ctx.scoring.scores(manager(world), pid)
    assert [s.scorer_name for s in view.sheets] == ["IHK zu Leipzig"] and view.result is not None
    assert view.own is None


def test_without_blind_scoring_members_see_the_others_at_once(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, blind=False)
    late = member(ctx, world, "HWK Leipzig")
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    view = ctx.scoring.scores(late, pid)
    assert not view.hidden_until_scored
    assert [s.scorer_name for s in view.sheets] == ["IHK zu Leipzig"] and view.result is not None


def test_applicants_do_not_see_the_scores_of_their_own_proposal(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    with pytest.raises(Forbidden, match="applicants do not see"):
        ctx.scoring.scores(applicant(world), pid)
    assert ctx.scoring.scores(reviewer(world), pid).own is not None
