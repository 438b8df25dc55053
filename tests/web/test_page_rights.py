"""The engine's answers to "what may this viewer do here", which the pages render (issue 23, point 4).

The tables are what the pages decided themselves before they asked (the navigation's roles, the bank desk's and
the rounds' role tuples, "an applicant, and the proposal editable"): moving the rule into workflow/ keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from tests.factories import WHILE_OPEN, World, new_draft
from tests.web.conftest import page
from workflow.context import Context
from workflow.errors import Forbidden, InvalidTransition, NotFound
from workflow.people.desks import Desks, desks_of
from workflow.people.roles import Role
from workflow.proposals.permissions import proposal_actions, require_editable, writes_proposals
from workflow.review.access import may_resolve, rounds_scope, visible_round

DESKS = {
    Role.APPLICANT: Desks(own_proposals=True, rounds=False, bank=False),
    Role.REVIEWER: Desks(own_proposals=False, rounds=True, bank=False),
    Role.MANAGER: Desks(own_proposals=False, rounds=True, bank=True),
    Role.BANK: Desks(own_proposals=False, rounds=False, bank=True),
    Role.ADMIN: Desks(own_proposals=False, rounds=True, bank=True),
    Role.SYSTEM: Desks(own_proposals=False, rounds=True, bank=True),
}
LINKS = {"own_proposals": "/app/proposals", "rounds": "/app/rounds", "bank": "/app/bank"}


@dataclass(frozen=True)
class Condition:
    id: int
    status: str


def test_each_role_has_its_desks(world: World) -> None:
    assert {role: desks_of(world.actor(role)) for role in Role} == DESKS


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.MANAGER, Role.BANK, Role.ADMIN])
def test_the_navigation_offers_the_desks_that_admit_the_viewer(world: World, browser_for: Any, role: Role) -> None:
    browser = browser_for(world.actor(role))
    html = page(browser.get("/app/procedures"))
    offered = {str(a["href"]) for a in html.select("header nav a")} - {"/app/procedures"}
    desks = DESKS[role]
    assert offered == {link for name, link in LINKS.items() if getattr(desks, name)}
    for name in ("rounds", "bank"):  # a link never leads to a refusal; a desk not offered refuses
        assert browser.get(LINKS[name]).status_code == (200 if getattr(desks, name) else 403)


def test_the_applicant_revises_an_editable_proposal_and_answers_its_open_conditions(ctx: Context,
                                                                                      world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    proposal_id = new_draft(ctx, world)
    view = ctx.proposals.get(applicant, proposal_id, now=WHILE_OPEN)
    conditions = [Condition(1, "open"), Condition(2, "answered"), Condition(3, "met"), Condition(4, "not_met")]
    actions = proposal_actions(applicant, view, conditions)
    assert actions.may_edit and actions.answerable == {1, 2}
    assert [a.transition.name for a in actions.steps] == [a.transition.name for a in view.allowed]
    require_editable(applicant, view)

    frozen = replace(view, editable=False)
    assert not proposal_actions(applicant, frozen, conditions).may_edit
    assert not proposal_actions(applicant, frozen, conditions).answerable
    with pytest.raises(InvalidTransition):
        require_editable(applicant, frozen)
    for role in (Role.REVIEWER, Role.MANAGER, Role.BANK, Role.ADMIN, Role.SYSTEM):
        other = world.actor(role)
        assert not writes_proposals(other)
        assert proposal_actions(other, view, conditions) == replace(actions, may_edit=False, answerable=frozenset())
        with pytest.raises(Forbidden):  # the role is refused before the state is looked at
            require_editable(other, frozen)


def test_the_round_is_its_steering_group_s_and_its_manager_resolves(ctx: Context, world: World) -> None:
    round_ = ctx.admin.round(world.round_id)
    for actor in (world.actor(Role.REVIEWER), world.actor(Role.MANAGER), world.actor(Role.ADMIN)):
        assert visible_round(actor, world.round_id, round_) is round_
    for actor in (world.other_manager, world.actor(Role.BANK), world.actor(Role.APPLICANT)):
        with pytest.raises(NotFound):
            visible_round(actor, world.round_id, round_)
    with pytest.raises(NotFound):
        visible_round(world.actor(Role.ADMIN), 999, None)
    assert [may_resolve(a, round_) for a in (world.actor(Role.MANAGER), world.actor(Role.ADMIN),
                                             world.actor(Role.REVIEWER), world.other_manager)] == [
        True, True, False, False]
    assert rounds_scope(world.actor(Role.ADMIN)) is None
    assert rounds_scope(world.actor(Role.REVIEWER)) == world.alliance_id
