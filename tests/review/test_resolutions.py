"""The steering group's resolution: prioritises, waits and declines in one transaction, stored as a versioned
document; beyond the budget only with a recorded drawing on a reserve."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from tests.factories import AFTER_CLOSE, World, make_world
from tests.review.helpers import in_review, manager, money, reviewer, scored, state, use_scheme, version
from workflow.context import Context
from workflow.errors import Conflict, Forbidden, GuardFailed, InvalidInput, NotFound
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.proposals import store as repo
from workflow.timeutil import local


def scored_proposals(ctx: Context, world: World, *titles: str, total_eur: int = 50_000) -> list[int]:
    ids = [in_review(ctx, world, title=t, total_eur=total_eur) for t in titles]
    for pid in ids:
        scored(ctx, world, pid, 4, 8)
    return ids


def count_draws(ctx: Context) -> int:
    with ctx.db.read() as session:
        return int(session.execute(sa.select(sa.func.count()).select_from(repo.RESERVE_DRAWS)).scalar_one())


def test_one_resolution_prioritises_waits_and_declines_and_is_versioned(ctx: Context, world: World) -> None:
    first, second, third = scored_proposals(ctx, world, "MINT-Netzwerk", "Berufsorientierung", "Pflegeschule")
    session_id = ctx.meetings.create(manager(world), world.alliance_id, {
        "title": "Lenkungsgruppe 30. Juni", "held_at": local(date(2026, 6, 30), time(16))}, now=AFTER_CLOSE).id
    v1 = ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-06-30", "session_id": session_id, "prioritised": [first], "waiting_list": [second],
        "declined": [{"proposal_id": third, "reason": "Fördergegenstand nicht erfüllt"}],
        "note": "Beschluss der Lenkungsgruppe vom 30.06.2026"}, now=AFTER_CLOSE)
    assert [state(ctx, p) for p in (first, second, third)] == ["prioritised", "waiting_list", "not_prioritised"]
    assert (v1.version, v1.current, v1.session_id, v1.decided_on) == (1, True, session_id, date(2026, 6, 30))
    assert (v1.prioritised, v1.waiting_list) == ([first], [second])
    assert v1.declined == [{"proposal_id": third, "reason": "Fördergegenstand nicht erfüllt"}]
    # The document keeps the ranking as it stood, with the budget line.
    assert [e["candidate"]["proposal_id"] for e in v1.ranking["entries"]] == [first, second, third]
    assert v1.ranking["line"]["bound_here"] == money(45_000)
    # Each proposal's step is the procedure's own, with its reason, in the session's minutes.
    last = ctx.proposals.history(manager(world), third)[-1]
    assert (last.transition, last.reason) == ("decline", "Fördergegenstand nicht erfüllt")
    assert ctx.proposals.history(manager(world), first)[-1].reason == "Beschluss der Lenkungsgruppe vom 30.06.2026"
    minutes = ctx.meetings.get(manager(world), session_id)
    assert {d.proposal_id for d in minutes.decisions} == {first, second, third}
    assert minutes.resolutions == [v1.id]

    # Money comes free later: a second resolution moves the waiting proposal up; the first is superseded.
    v2 = ctx.priorisation.resolve(manager(world), world.round_id, {
        "decided_on": "2026-09-15", "prioritised": [first, second]}, now=AFTER_CLOSE)
    assert state(ctx, second) == "prioritised"
    assert [(r.version, r.current) for r in ctx.priorisation.resolutions(reviewer(world), world.round_id)] == [
        (1, False), (2, True)]
    assert v2.prioritised == [first, second] and v2.waiting_list == []
    # The proposal that was prioritised already is left as it is: no second step.
    assert [h.transition for h in ctx.proposals.history(SYSTEM, first)].count("prioritise") == 1


def test_a_resolution_that_names_a_stranger_or_a_proposal_twice_is_refused(ctx: Context, world: World) -> None:
    [pid] = scored_proposals(ctx, world, "MINT-Netzwerk")
    with pytest.raises(InvalidInput, match=f"proposal {pid} is listed more than once"):
        ctx.priorisation.resolve(manager(world), world.round_id, {
            "decided_on": "2026-06-30", "prioritised": [pid], "waiting_list": [pid]}, now=AFTER_CLOSE)
    with pytest.raises(InvalidInput, match="proposal 9999 is not a proposal of this round"):
        ctx.priorisation.resolve(manager(world), world.round_id, {
            "decided_on": "2026-06-30", "prioritised": [pid, 9999]}, now=AFTER_CLOSE)
    assert state(ctx, pid) == "in_review"
    assert ctx.priorisation.resolutions(manager(world), world.round_id) == []


def test_only_the_alliances_manager_records_a_resolution(ctx: Context, world: World) -> None:
    [pid] = scored_proposals(ctx, world, "MINT-Netzwerk")
    with pytest.raises(Forbidden):
        ctx.priorisation.resolve(reviewer(world), world.round_id, {
            "decided_on": "2026-06-30", "prioritised": [pid]}, now=AFTER_CLOSE)
    with pytest.raises(NotFound):
        ctx.priorisation.resolve(world.other_manager, world.round_id, {
            "decided_on": "2026-06-30", "prioritised": [pid]}, now=AFTER_CLOSE)


def test_beyond_the_budget_a_resolution_is_refused_and_writes_nothing(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=100_000)
    use_scheme(ctx, world)
    ids = scored_proposals(ctx, world, "Erster", "Zweiter", "Dritter")  # 3 x 45,000 EUR against 100,000 EUR
    versions = [version(ctx, p) for p in ids]
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "50000",
                                                 "alliance_ids": [world.alliance_id]})
    resolution = {"decided_on": "2026-06-30", "prioritised": ids, "reserve_draws": [
        {"pool_id": pool.id, "year": 2026, "amount": "20000", "reason": "Drei starke Anträge, Reserve anteilig"}]}

    with pytest.raises(GuardFailed) as refused:
        ctx.priorisation.resolve(manager(world), world.round_id, resolution, now=AFTER_CLOSE)
    [failure] = refused.value.failures
    assert failure.rule == "budget_covers"
    assert failure.why.startswith(f"proposal {ids[2]} ('Dritter'): 2026: grant 45.000,00 EUR exceeds the free "
                                  "budget 30.000,00 EUR")
    assert "drawn from the reserve 20.000,00 EUR" in failure.why
    # Nothing of it was written: no step, no document, no drawing.
    assert [state(ctx, p) for p in ids] == ["in_review"] * 3
    assert [version(ctx, p) for p in ids] == versions
    assert ctx.priorisation.resolutions(manager(world), world.round_id) == []
    assert count_draws(ctx) == 0
    assert ctx.priorisation.pools(manager(world))[0].remaining == money(50_000)

    # The same resolution drawing enough on the reserve passes and records the drawing with its reason.
    resolution["reserve_draws"][0]["amount"] = "35000"  # type: ignore[index]
    passed = ctx.priorisation.resolve(manager(world), world.round_id, resolution, now=AFTER_CLOSE)
    assert [state(ctx, p) for p in ids] == ["prioritised"] * 3
    [view] = ctx.priorisation.pools(manager(world))
    [draw] = view.draws
    assert (draw.alliance_id, draw.year, draw.amount, draw.round_id, draw.reason) == (
        world.alliance_id, 2026, money(35_000), world.round_id, "Drei starke Anträge, Reserve anteilig")
    assert (draw.drawn_by, draw.drawn_at) == (manager(world).user_id, AFTER_CLOSE)
    assert view.remaining == money(15_000)
    assert passed.reserve_draws == [draw.id]
    line = ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE).line
    assert (line.reserve, line.bound_here, line.free) == (money(35_000), money(135_000), 0)


def test_reserve_drawings_are_limited_and_reasoned(ctx: Context, world: World) -> None:
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "50000",
                                                 "alliance_ids": [world.alliance_id]})
    draw = {"alliance_id": world.alliance_id, "year": 2026, "amount": "30000", "reason": "Starke Nachfrage"}
    ctx.priorisation.draw(manager(world), pool.id, draw, now=AFTER_CLOSE)

    with pytest.raises(InvalidInput) as too_much:
        ctx.priorisation.draw(manager(world), pool.id, {**draw, "amount": "20000.01"}, now=AFTER_CLOSE)
    assert [(p.field, p.problem) for p in too_much.value.problems] == [
        ("amount", "20.000,01 EUR is more than the 20.000,00 EUR left in 'Leistungsreserve'")]
    with pytest.raises(InvalidInput) as no_reason:
        ctx.priorisation.draw(manager(world), pool.id, {k: v for k, v in draw.items() if k != "reason"},
                              now=AFTER_CLOSE)
    assert [p.field for p in no_reason.value.problems] == ["reason"]
    with pytest.raises(InvalidInput, match="reason"):
        ctx.priorisation.draw(manager(world), pool.id, {**draw, "reason": "  "}, now=AFTER_CLOSE)
    with pytest.raises(InvalidInput, match="is for 2026"):
        ctx.priorisation.draw(manager(world), pool.id, {**draw, "year": 2027, "amount": "1"}, now=AFTER_CLOSE)
    # Within a resolution the same limit holds, named by the drawing's place.
    [pid] = scored_proposals(ctx, world, "MINT-Netzwerk")
    with pytest.raises(InvalidInput) as in_resolution:
        ctx.priorisation.resolve(manager(world), world.round_id, {
            "decided_on": "2026-06-30", "prioritised": [pid],
            "reserve_draws": [{"pool_id": pool.id, "year": 2026, "amount": "20000.01", "reason": "Zu viel"}]},
            now=AFTER_CLOSE)
    assert [p.field for p in in_resolution.value.problems] == ["reserve_draws[0].amount"]
    assert state(ctx, pid) == "in_review"
    assert ctx.priorisation.pools(SYSTEM)[0].remaining == money(20_000)


def test_an_alliance_outside_the_pool_cannot_draw(ctx: Context, world: World) -> None:
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "50000",
                                                 "alliance_ids": [world.alliance_id]})
    theirs = {"alliance_id": world.other_alliance_id, "year": 2026, "amount": "1000", "reason": "Auch wir"}
    with pytest.raises(InvalidInput, match=f"no reserve pool {pool.id} open to alliance {world.other_alliance_id}"):
        ctx.priorisation.draw(world.other_manager, pool.id, theirs, now=AFTER_CLOSE)
    with pytest.raises(InvalidInput, match="may not draw on 'Leistungsreserve'"):
        ctx.priorisation.draw(SYSTEM, pool.id, theirs, now=AFTER_CLOSE)  # not even an operator, for them
    with pytest.raises(Forbidden):  # nor may our manager draw in their name
        ctx.priorisation.draw(manager(world), pool.id, theirs, now=AFTER_CLOSE)
    assert ctx.priorisation.pools(world.other_manager) == []
    assert count_draws(ctx) == 0


def test_only_operators_set_up_reserve_pools(ctx: Context, world: World) -> None:
    data = {"name": "Leistungsreserve", "year": 2026, "amount": "50000", "alliance_ids": [world.alliance_id]}
    for someone in (manager(world), world.actor(Role.BANK)):
        with pytest.raises(Forbidden):
            ctx.priorisation.create_pool(someone, data)
    ctx.priorisation.create_pool(world.actor(Role.ADMIN), data)
    with pytest.raises(Conflict):
        ctx.priorisation.create_pool(SYSTEM, data)
