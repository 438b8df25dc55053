"""The result of a proposal's scoring: the mean of the members' points per criterion, weighted and summed."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import World
from tests.review.helpers import in_review, manager, member, scored, use_scheme
from workflow.context import Context


def test_weighted_mean_per_criterion_and_in_total_computed_by_hand(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, quorum=3)
    first, second, third = (member(ctx, world, name) for name in ("IHK zu Leipzig 2", "HWK Leipzig", "DGB Leipzig"))
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    # need (weight 3, max 5): 5, 4, 4 -> mean 13/3; concept (weight 1, max 10): 4, 8, 8 -> mean 20/3.
    scored(ctx, world, pid, 5, 4, by=first)
    scored(ctx, world, pid, 4, 8, by=second)
    scored(ctx, world, pid, 4, 8, by=third)

    view = ctx.scoring.scores(manager(world), pid)
    result = view.result
    assert result is not None
    assert result.scores == 3  # the factory's own reviewer did not score: three sheets count
    assert result.per_criterion == {"need": Decimal("4.33"), "concept": Decimal("6.67")}
    # Weighted from the exact means, rounded once: 3 * 13/3 + 20/3 = 19.666..., not 3 * 4.33 + 6.67 = 19.66.
    assert result.total == Decimal("19.67")
    assert result.max_total == 25
    assert result.share == Decimal("78.67")  # 19.666... of 25
    assert result.ko_failed == ()
    assert view.quorum_reached


def test_the_result_moves_with_each_sheet(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, quorum=2)
    other = member(ctx, world, "HWK Leipzig")
    pid = in_review(ctx, world, title="Berufsorientierung")
    scored(ctx, world, pid, 2, 10)
    one = ctx.scoring.scores(manager(world), pid)
    assert one.result is not None and (one.result.total, one.result.share) == (Decimal("16.00"), Decimal("64.00"))
    assert not one.quorum_reached
    scored(ctx, world, pid, 3, 5, by=other)
    two = ctx.scoring.scores(manager(world), pid)
    assert two.result is not None
    assert two.result.per_criterion == {"need": Decimal("2.50"), "concept": Decimal("7.50")}
    assert (two.result.total, two.result.share) == (Decimal("15.00"), Decimal("60.00"))
    assert two.quorum_reached
