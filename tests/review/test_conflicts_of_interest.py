"""A member whose organisation leads the proposal or is one of its partners may not score it, and does not count
towards the quorum."""

from __future__ import annotations

import pytest

from tests.factories import AFTER_CLOSE, World
from tests.review.helpers import fire, in_review, kinds, manager, member, scored, sheet, use_scheme, version
from workflow.context import Context
from workflow.errors import Forbidden, GuardFailed
from workflow.people.roles import Role


def test_the_applicants_own_organisation_is_refused(ctx: Context, world: World) -> None:
    colleague = member(ctx, world, "Dr. Berger (Zukunftsakademie)", organisation_id=world.organisation_id)
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    before = version(ctx, pid)
    with pytest.raises(Forbidden, match="conflict of interest: the member's organisation is the applicant"):
        ctx.scoring.score(colleague, pid, sheet(5, 10), now=AFTER_CLOSE)
    assert version(ctx, pid) == before and kinds(ctx, pid, "scored") == []  # nothing written
    [status] = [m for m in ctx.scoring.scores(manager(world), pid).members if m.user_id == colleague.user_id]
    assert status.conflict == "the member's organisation is the applicant" and not status.scored


@pytest.mark.parametrize("organisation", ["HTWK Leipzig", "htwk leipzig", "  HTWK   Leipzig "])
def test_a_partner_organisation_is_refused_whatever_its_case_and_spacing(ctx: Context, world: World,
                                                                         organisation: str) -> None:
    partner = member(ctx, world, "Prof. Neumann", organisation=organisation)
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")  # the factory's proposal names "HTWK Leipzig"
    with pytest.raises(Forbidden, match=r"is a partner of the proposal"):
        ctx.scoring.score(partner, pid, sheet(5, 10), now=AFTER_CLOSE)


def test_a_similar_but_different_name_is_no_conflict(ctx: Context, world: World) -> None:
    neighbour = member(ctx, world, "Prof. Schulz", organisation="HTWK Leipzig Gründerzentrum")
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    view = ctx.scoring.score(neighbour, pid, sheet(4, 6), now=AFTER_CLOSE)
    assert view.own is not None and view.own.points == {"need": 4, "concept": 6}


def test_conflicted_members_are_left_out_of_the_quorum(ctx: Context, world: World) -> None:
    use_scheme(ctx, world, quorum=3)
    member(ctx, world, "Dr. Berger", organisation_id=world.organisation_id)
    member(ctx, world, "Prof. Neumann", organisation="HTWK Leipzig")
    free = member(ctx, world, "DGB Leipzig")
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    scored(ctx, world, pid, 5, 10, by=free)
    # Four voting members, two of them conflicted: only two may score, the quorum of three cannot be reached.
    view = ctx.scoring.scores(manager(world), pid)
    assert sum(1 for m in view.members if m.conflict is None) == 2 and not view.quorum_reached
    with pytest.raises(GuardFailed) as refused:
        fire(ctx, manager(world), pid, "prioritise")
    quorum = next(f for f in refused.value.failures if f.rule == "quorum_scored")
    assert quorum.why == ("only 2 member(s) without a conflict of interest may score this proposal; "
                          "the quorum is 3")


def test_a_conflicted_member_sees_none_of_the_scores(ctx: Context, world: World) -> None:
    colleague = member(ctx, world, "Dr. Berger", organisation_id=world.organisation_id)
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    scored(ctx, world, pid, 5, 10)
    view = ctx.scoring.scores(colleague, pid)
    assert (view.result, view.sheets, view.own) == (None, [], None)
    assert world.actor(Role.REVIEWER).user_id in {m.user_id for m in view.members if m.scored}

