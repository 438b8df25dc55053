"""The round's ranked list: by total score, ties broken by the scheme's recorded rule, with the running sum and the
budget line of the alliance's yearly budget."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import AFTER_CLOSE, WHILE_OPEN, World, make_world
from tests.review.helpers import (
    applicant,
    draft,
    fire,
    in_review,
    manager,
    money,
    prioritised,
    prioritised_in_earlier_round,
    reviewer,
    scored,
    submit_and_review,
    use_scheme,
)
from workflow.context import Context
from workflow.errors import NotFound
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.review.ranking import Ranking

HOUR = timedelta(hours=1)


def order(ranking: Ranking) -> list[int]:
    return [e.candidate.proposal_id for e in ranking.entries]


@pytest.mark.parametrize(("rule", "tied_order"), [
    ("earlier_submission_first", ["Dritter Entwurf", "Zweiter Entwurf", "Erster Entwurf"]),
    ("lower_grant_first", ["Zweiter Entwurf", "Dritter Entwurf", "Erster Entwurf"]),
])
def test_ranked_by_total_with_ties_broken_by_the_recorded_rule(ctx: Context, world: World, rule: str,
                                                               tied_order: list[str]) -> None:
    use_scheme(ctx, world, tie_break=rule)
    best = in_review(ctx, world, title="Bester Antrag", submitted_at=WHILE_OPEN + 9 * HOUR)
    # Three drafts with equal scores: created in one order (their ids), submitted in the reverse order, and with
    # grants in a third order, so each rule shows in the result.
    tied = {title: draft(ctx, world, title=title, total_eur=total)
            for title, total in (("Erster Entwurf", 40_000), ("Zweiter Entwurf", 20_000),
                                 ("Dritter Entwurf", 30_000))}
    for offset, title in enumerate(("Dritter Entwurf", "Zweiter Entwurf", "Erster Entwurf"), start=1):
        submit_and_review(ctx, world, tied[title], submitted_at=WHILE_OPEN + offset * HOUR)
    weak = in_review(ctx, world, title="Unter dem Minimum")
    unscored = in_review(ctx, world, title="Noch nicht bewertet")
    scored(ctx, world, best, 5, 10)
    for pid in tied.values():
        scored(ctx, world, pid, 4, 8)  # 20 of 25
    scored(ctx, world, weak, 1, 2)  # 5 of 25: 20 %, under the 30 % minimum

    ranking = ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE)
    assert ranking.tie_break == rule and ranking.year == 2026 and ranking.min_share == 30
    assert order(ranking) == [best, *(tied[t] for t in tied_order), weak, unscored]
    assert [e.rank for e in ranking.entries] == [1, 2, 3, 4, 5, 6]
    assert [e.candidate.total for e in ranking.entries] == [
        Decimal("25.00"), Decimal("20.00"), Decimal("20.00"), Decimal("20.00"), Decimal("5.00"), None]
    assert [e.tie_broken for e in ranking.entries] == [False, False, True, True, False, False]
    weak_entry, unscored_entry = ranking.entries[4:]
    assert (weak_entry.counts, weak_entry.why_not) == (False, "below the minimum share of the maximum score")
    assert (unscored_entry.counts, unscored_entry.why_not) == (False, "not scored yet")


def test_running_sum_and_the_budget_line(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=100_000)
    use_scheme(ctx, world)
    # An earlier round of the alliance bound 36,000 EUR of the year already.
    earlier = prioritised_in_earlier_round(ctx, world, title="Aus dem Februar", total_eur=40_000)
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "50000",
                                                 "alliance_ids": [world.alliance_id, world.other_alliance_id]})
    ctx.priorisation.draw(manager(world), pool.id, {"alliance_id": world.alliance_id, "year": 2026,
                                                    "amount": "10000", "reason": "Zusätzlicher Bedarf im Kreis"},
                          now=AFTER_CLOSE)
    first = in_review(ctx, world, title="Erster", total_eur=50_000)  # grant 45,000
    second = in_review(ctx, world, title="Zweiter", total_eur=30_000)  # grant 27,000
    third = in_review(ctx, world, title="Dritter", total_eur=20_000)  # grant 18,000
    for pid, need in ((first, 5), (second, 4), (third, 3)):
        scored(ctx, world, pid, need, 10)

    ranking = ctx.priorisation.ranking(reviewer(world), world.round_id, now=AFTER_CLOSE)
    line = ranking.line
    assert (line.year, line.budget, line.reserve, line.bound_elsewhere) == (
        2026, money(100_000), money(10_000), money(36_000))
    assert line.available == money(100_000 + 10_000 - 36_000)  # 74,000
    assert (line.bound_here, line.free) == (0, money(74_000))
    assert earlier not in order(ranking)  # another round's proposal is not on this list
    assert [(e.candidate.proposal_id, e.candidate.grant, e.running_sum, e.within_budget)
            for e in ranking.entries] == [
        (first, money(45_000), money(45_000), True),
        (second, money(27_000), money(72_000), True),
        (third, money(18_000), money(90_000), False),
    ]

    prioritised(ctx, world, first)
    after = ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE).line
    assert (after.available, after.bound_here, after.free) == (money(74_000), money(45_000), money(29_000))


def test_funds_an_earlier_round_no_longer_binds_come_back(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=100_000)
    use_scheme(ctx, world)
    earlier = prioritised_in_earlier_round(ctx, world, title="Aus dem Februar", total_eur=40_000)
    assert ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE).line.bound_elsewhere == money(
        36_000)
    fire(ctx, applicant(world), earlier, "withdraw")
    assert ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE).line.bound_elsewhere == 0


def test_only_the_alliance_sees_its_ranking(ctx: Context, world: World) -> None:
    in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    for outsider in (world.other_manager, world.actor(Role.APPLICANT), world.actor(Role.BANK)):
        with pytest.raises(NotFound):
            ctx.priorisation.ranking(outsider, world.round_id, now=AFTER_CLOSE)
