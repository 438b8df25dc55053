"""Steering-group writes at the same moment, as separate API workers would send them: one outcome each, told in
the domain's words (never a crash), nothing counted twice."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from tests.concurrently import at_once
from tests.conftest import make_context
from tests.factories import AFTER_CLOSE, World, make_world
from tests.review.helpers import applicant, in_review, kinds, manager, money, reviewer, scored, sheet, use_scheme
from workflow.context import Context
from workflow.errors import DomainError
from workflow.people.actors import SYSTEM


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
        return "done"
    except DomainError as exc:
        return type(exc).__name__


def contexts(database_url: str, count: int) -> list[Context]:
    return [make_context(database_url) for _ in range(count)]


def setup_world(database_url: str) -> tuple[Context, World]:
    ctx = make_context(database_url)
    world = make_world(ctx)
    use_scheme(ctx, world)
    return ctx, world


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_member_scoring_twice_at_once_keeps_one_sheet(database_url: str, attempt: int) -> None:
    ctx, world = setup_world(database_url)
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    workers = contexts(database_url, 4)
    outcomes = at_once([partial(outcome, partial(c.scoring.score, reviewer(world), pid, sheet(3 + i % 2, 5),
                                                 now=AFTER_CLOSE)) for i, c in enumerate(workers)])
    for c in workers:
        c.close()
    assert outcomes == ["done"] * 4  # each is a revision of the same sheet
    assert len(ctx.scoring.scores(SYSTEM, pid).sheets) == 1
    events = kinds(ctx, pid, "scored")
    assert [e.inputs["revised"] for e in events] == [False, True, True, True]
    ctx.close()


@pytest.mark.parametrize("attempt", range(3))
def test_two_resolutions_at_once_get_consecutive_versions(database_url: str, attempt: int) -> None:
    ctx, world = setup_world(database_url)
    first, second = in_review(ctx, world, title="Erster"), in_review(ctx, world, title="Zweiter")
    for pid in (first, second):
        scored(ctx, world, pid, 4, 8)
    workers = contexts(database_url, 2)
    outcomes = at_once([
        partial(outcome, partial(c.priorisation.resolve, manager(world), world.round_id,
                                 {"decided_on": "2026-06-30", "waiting_list": [pid]}, now=AFTER_CLOSE))
        for c, pid in zip(workers, (first, second), strict=True)])
    for c in workers:
        c.close()
    assert outcomes == ["done", "done"]
    assert [r.version for r in ctx.priorisation.resolutions(SYSTEM, world.round_id)] == [1, 2]
    ctx.close()


@pytest.mark.parametrize("attempt", range(3))
def test_two_drawings_at_once_never_take_more_than_the_pool(database_url: str, attempt: int) -> None:
    ctx, world = setup_world(database_url)
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve", "year": 2026, "amount": "50000",
                                                 "alliance_ids": [world.alliance_id]})
    workers = contexts(database_url, 2)
    draw = {"alliance_id": world.alliance_id, "year": 2026, "amount": "30000", "reason": "Starke Nachfrage"}
    outcomes = at_once([partial(outcome, partial(c.priorisation.draw, manager(world), pool.id, draw,
                                                 now=AFTER_CLOSE)) for c in workers])
    for c in workers:
        c.close()
    assert sorted(outcomes) == ["InvalidInput", "done"]
    assert ctx.priorisation.pools(SYSTEM)[0].remaining == money(20_000)
    ctx.close()


@pytest.mark.parametrize("attempt", range(3))
def test_two_early_start_requests_at_once_leave_one_open(database_url: str, attempt: int) -> None:
    ctx, world = setup_world(database_url)
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    workers = contexts(database_url, 2)
    request = {"wanted_from": "2026-08-01", "reason": "Schuljahresbeginn"}
    outcomes = at_once([partial(outcome, partial(c.bank.request_early_start, applicant(world), pid, request,
                                                 now=AFTER_CLOSE)) for c in workers])
    for c in workers:
        c.close()
    assert sorted(outcomes) == ["Conflict", "done"]
    assert [e.status for e in ctx.bank.record(SYSTEM, pid).early_starts] == ["requested"]
    ctx.close()


@pytest.mark.parametrize("attempt", range(3))
def test_two_answers_to_one_early_start_request_at_once_record_one(database_url: str, attempt: int) -> None:
    ctx, world = setup_world(database_url)
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    asked = ctx.bank.request_early_start(applicant(world), pid, {"wanted_from": "2026-08-01",
                                                                  "reason": "Schuljahresbeginn"}, now=AFTER_CLOSE)
    workers = contexts(database_url, 2)
    outcomes = at_once([partial(outcome, partial(c.bank.answer_early_start, manager(world), pid, asked.id,
                                                 {"granted": granted}, now=AFTER_CLOSE))
                        for c, granted in zip(workers, (True, False), strict=True)])
    for c in workers:
        c.close()
    assert sorted(outcomes) == ["Conflict", "done"]
    answers = [e.inputs["action"] for e in kinds(ctx, pid, "early_start")][1:]
    [status] = [e.status for e in ctx.bank.record(SYSTEM, pid).early_starts]
    assert answers == [status]  # the record and the history tell the same, single answer
    ctx.close()


@pytest.mark.parametrize("attempt", range(5))
def test_an_answer_at_the_moment_of_resubmitting_is_never_recorded_after_it(database_url: str,
                                                                             attempt: int) -> None:
    ctx, world = setup_world(database_url)
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    version = ctx.proposals.fire(manager(world), pid, "request_revision", expected_version=3, now=AFTER_CLOSE,
                                 inputs={"conditions": ["Kooperation mit der HTWK"],
                                         "revision_deadline": "2026-06-25", "next_session": "2026-06-30"}).version
    [condition] = ctx.conditions.conditions(SYSTEM, pid)
    ctx.conditions.answer(applicant(world), pid, condition.id, {"text": "Vereinbarung geschlossen"}, now=AFTER_CLOSE)
    version += 1  # the answer is a write of the proposal
    workers = contexts(database_url, 2)
    outcomes = at_once([
        partial(outcome, partial(workers[0].conditions.answer, applicant(world), pid, condition.id,
                                 {"text": "Vereinbarung unterzeichnet"}, now=AFTER_CLOSE)),
        partial(outcome, partial(workers[1].proposals.fire, applicant(world), pid, "resubmit",
                                 expected_version=version, now=AFTER_CLOSE)),
    ])
    for c in workers:
        c.close()
    assert outcomes in (["done", "StaleVersion"], ["Conflict", "done"])
    kinds_in_order = [h.kind for h in ctx.proposals.history(SYSTEM, pid)]
    if outcomes[1] == "done":  # resubmitted: the answer came too late and left no trace after it
        assert kinds_in_order[-1] == "transition" and kinds_in_order.count("condition") == 1
    ctx.close()
