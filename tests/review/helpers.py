"""A richer steering group for the review tests: more voting members (some with organisations), a scheme that is
easy to compute by hand, proposals submitted at chosen moments, other rounds of the same alliance.

Plain keyword helpers on top of tests/factories.py; time is always a parameter.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from tests.factories import AFTER_CLOSE, REASON, WHILE_OPEN, World, complete_plan, new_draft
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.timeutil import end_of_day, local

# Easy to compute by hand: need counts three times (0-5), concept once (0-10); the maximum is 3*5 + 10 = 25.
SCHEME: dict[str, Any] = {
    "criteria": [
        {"key": "need", "label": "Regionaler Fachkräftebedarf", "weight": 3, "max_points": 5},
        {"key": "concept", "label": "Qualität des Konzepts", "weight": 1, "max_points": 10},
    ],
    "ko": [{"key": "documents_complete", "label": "Antragsunterlagen vollständig"}],
    "min_share": 30,
    "quorum": 1,
    "blind": True,
    "tie_break": "earlier_submission_first",
}
YEAR = 2026


def manager(world: World) -> Actor:
    return world.actor(Role.MANAGER)


def applicant(world: World) -> Actor:
    return world.actor(Role.APPLICANT)


def use_scheme(ctx: Context, world: World, *, round_id: int | None = None, **changes: Any) -> None:
    """Set the hand-computable scheme (with `changes`) on the world's round, as its manager, before any score."""
    ctx.scoring.set_scheme(manager(world), round_id or world.round_id, {**SCHEME, **changes}, now=WHILE_OPEN)


def member(ctx: Context, world: World, name: str, *, organisation: str | None = None,
           organisation_id: int | None = None) -> Actor:
    """A voting member of the world's steering group; `organisation` creates the organisation they work for."""
    if organisation is not None:
        created = ctx.admin.create_organisation(SYSTEM, organisation)
        assert created.id is not None
        organisation_id = created.id
    user = ctx.admin.create_user(SYSTEM, name, Role.REVIEWER, organisation_id=organisation_id,
                                 alliance_id=world.alliance_id)
    assert user.id is not None
    return ctx.admin.actor_for(user.id)


def second_manager(ctx: Context, world: World) -> Actor:
    user = ctx.admin.create_user(SYSTEM, "Stadt Leipzig, Amt für Wirtschaftsförderung", Role.MANAGER,
                                 alliance_id=world.alliance_id)
    assert user.id is not None
    return ctx.admin.actor_for(user.id)


def sheet(need: int, concept: int, *, documents_complete: bool = True, comment: str = "") -> dict[str, Any]:
    return {"points": {"need": need, "concept": concept}, "ko": {"documents_complete": documents_complete},
            "comment": comment}


def plan_costing(total_eur: int, year: int = YEAR) -> list[dict[str, Any]]:
    """A complete one-year plan of `total_eur`; the grant is 90 % of it."""
    return complete_plan(year, staff=str(total_eur), material="0")


def in_review(ctx: Context, world: World, *, title: str, total_eur: int = 50_000,
              submitted_at: datetime = WHILE_OPEN, review_at: datetime = AFTER_CLOSE,
              draft_at: datetime | None = None) -> int:
    """A proposal of the world's round (grant 90 % of `total_eur`), submitted at `submitted_at`, in review."""
    pid = new_draft(ctx, world, title=title, now=draft_at or submitted_at, plan=plan_costing(total_eur))
    ctx.proposals.fire(applicant(world), pid, "submit", expected_version=1, now=submitted_at)
    ctx.proposals.fire(manager(world), pid, "open_review", expected_version=2, now=review_at)
    return pid


def draft(ctx: Context, world: World, *, title: str, total_eur: int = 50_000, at: datetime = WHILE_OPEN) -> int:
    return new_draft(ctx, world, title=title, now=at, plan=plan_costing(total_eur))


def submit_and_review(ctx: Context, world: World, pid: int, *, submitted_at: datetime,
                      review_at: datetime = AFTER_CLOSE) -> None:
    ctx.proposals.fire(applicant(world), pid, "submit", expected_version=version(ctx, pid), now=submitted_at)
    ctx.proposals.fire(manager(world), pid, "open_review", expected_version=version(ctx, pid), now=review_at)


def version(ctx: Context, pid: int, *, now: datetime = AFTER_CLOSE) -> int:
    return ctx.proposals.get(SYSTEM, pid, now=now).version


def state(ctx: Context, pid: int, *, now: datetime = AFTER_CLOSE) -> str:
    return ctx.proposals.get(SYSTEM, pid, now=now).state


def fire(ctx: Context, actor: Actor, pid: int, step: str, *, now: datetime = AFTER_CLOSE, reason: str | None = REASON,
         inputs: dict[str, Any] | None = None, meeting_id: int | None = None) -> int:
    """Fire a step on the proposal's current version; returns the new version."""
    return ctx.proposals.fire(actor, pid, step, expected_version=version(ctx, pid, now=now), now=now, reason=reason,
                              inputs=inputs, meeting_id=meeting_id).version


def reviewer(world: World) -> Actor:
    return world.actor(Role.REVIEWER)


def scored(ctx: Context, world: World, pid: int, need: int, concept: int, *, by: Actor | None = None,
           documents_complete: bool = True, now: datetime = AFTER_CLOSE) -> None:
    ctx.scoring.score(by or reviewer(world), pid, sheet(need, concept, documents_complete=documents_complete),
                      now=now)


def prioritised(ctx: Context, world: World, pid: int, *, now: datetime = AFTER_CLOSE) -> int:
    return fire(ctx, manager(world), pid, "prioritise", now=now)


def forwarded(ctx: Context, world: World, pid: int, *, now: datetime = AFTER_CLOSE,
              documents: list[str] | None = None) -> int:
    return fire(ctx, manager(world), pid, "forward", now=now,
                inputs={"documents": documents} if documents is not None else None)


# --- an earlier round of the same alliance -------------------------------------------------------------------

EARLY_OPENS = local(date(2026, 1, 5))
EARLY_CLOSES = end_of_day(date(2026, 2, 28))
EARLY_OPEN = EARLY_OPENS + timedelta(days=5)
EARLY_AFTER = EARLY_CLOSES + timedelta(days=3)


def earlier_round(ctx: Context, world: World) -> World:
    """The same alliance's earlier round (January to February), with the hand-computable scheme; returns the world
    seen from that round."""
    round_ = ctx.admin.create_round(SYSTEM, world.alliance_id, "Einreichungstermin 28. Februar",
                                    opens_at=EARLY_OPENS, closes_at=EARLY_CLOSES, now=EARLY_OPENS)
    assert round_.id is not None
    earlier = replace(world, round_id=round_.id)
    use_scheme(ctx, earlier, round_id=round_.id)
    return earlier


def prioritised_in_earlier_round(ctx: Context, world: World, *, title: str, total_eur: int) -> int:
    """A proposal of the earlier round, scored and prioritised in March: its grant binds the year's budget."""
    earlier = earlier_round(ctx, world)
    pid = in_review(ctx, earlier, title=title, total_eur=total_eur, submitted_at=EARLY_OPEN, review_at=EARLY_AFTER)
    scored(ctx, earlier, pid, 5, 10, now=EARLY_AFTER)
    prioritised(ctx, earlier, pid, now=EARLY_AFTER + timedelta(days=7))
    return pid


def kinds(ctx: Context, pid: int, kind: str) -> list[Any]:
    """The proposal's history entries of one kind."""
    return [h for h in ctx.proposals.history(SYSTEM, pid) if h.kind == kind]


def money(eur: int) -> int:
    """Euros as the cents the engine counts in."""
    return eur * 100
