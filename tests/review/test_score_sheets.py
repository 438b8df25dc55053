"""What a member's score sheet must contain, when it is taken, and that a revision replaces it on the record."""

from __future__ import annotations

import pytest

from tests.factories import AFTER_CLOSE, WHILE_OPEN, World, proposal_in
from tests.review.helpers import (
    applicant,
    draft,
    fire,
    in_review,
    kinds,
    manager,
    reviewer,
    scored,
    sheet,
    version,
)
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, InvalidInput
from workflow.people.roles import Role


def test_a_sheet_that_does_not_fit_the_scheme_is_refused_with_every_field_named(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    with pytest.raises(InvalidInput) as refused:
        ctx.scoring.score(reviewer(world), pid, {"points": {"need": 6, "colour": 3}, "ko": {}}, now=AFTER_CLOSE)
    problems = {p.field: p.problem for p in refused.value.problems}
    assert set(problems) == {"points.need", "points.colour", "points.concept", "ko.documents_complete"}
    assert problems["points.need"] == "must be between 0 and 5"
    assert problems["points.colour"].startswith("not a criterion of this scheme")
    assert problems["points.concept"].startswith("missing")
    assert problems["ko.documents_complete"].startswith("missing")
    with pytest.raises(InvalidInput, match=r"points\.concept: must be between 0 and 10"):
        ctx.scoring.score(reviewer(world), pid, sheet(5, -1), now=AFTER_CLOSE)
    with pytest.raises(InvalidInput, match=r"ko\.guideline_fit: not a k\.o\. criterion"):
        ctx.scoring.score(reviewer(world), pid, {"points": {"need": 5, "concept": 10},
                                                 "ko": {"documents_complete": True, "guideline_fit": True}},
                          now=AFTER_CLOSE)
    assert kinds(ctx, pid, "scored") == []


def test_scores_are_taken_only_in_the_scoring_states(ctx: Context, world: World) -> None:
    pid = draft(ctx, world, title="Noch nicht eingereicht")
    fire(ctx, applicant(world), pid, "submit", now=WHILE_OPEN)
    with pytest.raises(Conflict, match=r"scored in state.*in_review, second_reading.*this one is in 'submitted'"):
        ctx.scoring.score(reviewer(world), pid, sheet(5, 10), now=WHILE_OPEN)
    fire(ctx, manager(world), pid, "open_review")
    scored(ctx, world, pid, 5, 10)  # in review: taken
    fire(ctx, manager(world), pid, "prioritise")
    with pytest.raises(Conflict, match="this one is in 'prioritised'"):
        scored(ctx, world, pid, 1, 1)


def test_second_reading_is_a_scoring_state(ctx: Context, world: World) -> None:
    pid, _ = proposal_in(ctx, world, "second_reading")
    scored(ctx, world, pid, 3, 3)
    assert ctx.scoring.scores(manager(world), pid).own is None  # the manager does not score
    own = ctx.scoring.scores(reviewer(world), pid).own
    assert own is not None and own.points == {"need": 3, "concept": 3}


def test_only_voting_members_score(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    for role in (Role.MANAGER, Role.APPLICANT, Role.ADMIN):
        with pytest.raises(Forbidden, match="only the steering group's voting members score"):
            ctx.scoring.score(world.actor(role), pid, sheet(5, 10), now=AFTER_CLOSE)


def test_revising_a_score_replaces_it_and_both_are_audit_events(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk Leipzig")
    start = version(ctx, pid)
    scored(ctx, world, pid, 2, 3)
    scored(ctx, world, pid, 4, 9, documents_complete=False)
    view = ctx.scoring.scores(manager(world), pid)
    [only] = view.sheets
    assert (only.points, only.ko) == ({"need": 4, "concept": 9}, {"documents_complete": False})
    assert view.result is not None and view.result.scores == 1 and view.result.ko_failed == ("documents_complete",)
    events = kinds(ctx, pid, "scored")
    assert [(e.actor_name, e.inputs["revised"], e.inputs["points"]) for e in events] == [
        ("IHK zu Leipzig", False, {"need": 2, "concept": 3}),
        ("IHK zu Leipzig", True, {"need": 4, "concept": 9}),
    ]
    assert [e.seq for e in events] == [start + 1, start + 2]  # each score is a write of the proposal
    assert all(e.from_state == e.to_state == "in_review" and e.transition is None for e in events)
    assert version(ctx, pid) == start + 2
