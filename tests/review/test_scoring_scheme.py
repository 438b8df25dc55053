"""The round's scoring scheme: set by the alliance's manager, frozen by the first score, never when the procedure
fixes it."""

from __future__ import annotations

import pytest

from tests.factories import AFTER_CLOSE, WHILE_OPEN, World, make_world
from tests.review.helpers import SCHEME, in_review, manager, reviewer, scored, use_scheme
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, InvalidInput
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role


def test_the_manager_sets_the_scheme_until_the_first_score(ctx: Context, world: World) -> None:
    view = ctx.scoring.scheme(manager(world), world.round_id)
    assert (view.source, view.changeable) == ("round", True)
    assert view.scheme is not None and [c.key for c in view.scheme.criteria] == ["need", "concept"]
    use_scheme(ctx, world, min_share=50, tie_break="lower_grant_first")
    changed = ctx.scoring.scheme(reviewer(world), world.round_id).scheme
    assert changed is not None and (changed.min_share, changed.tie_break) == (50, "lower_grant_first")

    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    assert not ctx.scoring.scheme(manager(world), world.round_id).changeable
    with pytest.raises(Conflict, match="scored in this round already"):
        use_scheme(ctx, world, min_share=10)
    frozen = ctx.scoring.scheme(manager(world), world.round_id).scheme
    assert frozen is not None and frozen.min_share == 50


def test_only_the_alliances_manager_or_an_operator_sets_it(ctx: Context, world: World) -> None:
    for outsider in (reviewer(world), world.other_manager, world.actor(Role.APPLICANT)):
        with pytest.raises(Forbidden):
            ctx.scoring.set_scheme(outsider, world.round_id, SCHEME, now=WHILE_OPEN)
    ctx.scoring.set_scheme(world.actor(Role.ADMIN), world.round_id, SCHEME, now=WHILE_OPEN)


def test_a_scheme_that_contradicts_itself_is_refused(ctx: Context, world: World) -> None:
    twice = {**SCHEME, "ko": [{"key": "need", "label": "Doppelt"}]}
    with pytest.raises(InvalidInput, match="used more than once: need"):
        ctx.scoring.set_scheme(manager(world), world.round_id, twice, now=WHILE_OPEN)
    with pytest.raises(InvalidInput, match="fixed"):
        ctx.scoring.set_scheme(manager(world), world.round_id, {**SCHEME, "fixed": True}, now=WHILE_OPEN)


def test_a_scheme_the_procedure_fixes_cannot_be_replaced(ctx: Context) -> None:
    world = make_world(ctx, procedure_key="lower-saxony-regional")  # the bank scores with fixed criteria
    view = ctx.scoring.scheme(manager(world), world.round_id)
    assert (view.source, view.changeable) == ("procedure", False)
    assert view.scheme is not None and view.scheme.fixed and view.scheme.scorers == "bank"
    for someone in (manager(world), SYSTEM):  # not even an operator
        with pytest.raises(Conflict, match="lower-saxony-regional@1 fixes the scoring scheme for every round"):
            ctx.scoring.set_scheme(someone, world.round_id, SCHEME, now=AFTER_CLOSE)
    assert ctx.scoring.scheme(manager(world), world.round_id).scheme == view.scheme
