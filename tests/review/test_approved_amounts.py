"""The bank's approved amounts bind the yearly budget: an amount lower than requested frees the difference, one
higher than requested is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import AFTER_CLOSE, World, make_world
from tests.review.helpers import (
    fire,
    forwarded,
    in_review,
    manager,
    money,
    prioritised,
    scored,
    state,
    use_scheme,
    version,
)
from workflow.context import Context
from workflow.errors import GuardFailed, InvalidInput
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

LETTER = AFTER_CLOSE + timedelta(days=60)


def free(ctx: Context, world: World) -> int:
    return ctx.priorisation.ranking(manager(world), world.round_id, now=AFTER_CLOSE).line.free


def test_a_lower_approved_amount_moves_the_budget_line(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=80_000)
    use_scheme(ctx, world)
    first = in_review(ctx, world, title="Erster")  # grant 45,000 EUR
    second = in_review(ctx, world, title="Zweiter")  # grant 45,000 EUR
    for pid in (first, second):
        scored(ctx, world, pid, 5, 10)
    prioritised(ctx, world, first)
    forwarded(ctx, world, first)
    assert free(ctx, world) == money(35_000)
    with pytest.raises(GuardFailed, match=r"budget_covers: 2026: grant 45\.000,00 EUR exceeds the free budget "
                                          r"35\.000,00 EUR"):
        prioritised(ctx, world, second)

    fire(ctx, world.actor(Role.BANK), first, "approve", now=LETTER, inputs={
        "bank_reference": "SAB-2026-0815", "approved_amounts": {"2026": "30000.00"}})
    assert free(ctx, world) == money(50_000)  # grew by the 15,000 EUR the bank did not approve
    entry = next(e for e in ctx.priorisation.ranking(manager(world), world.round_id, now=LETTER).entries
                 if e.candidate.proposal_id == first)
    assert (entry.candidate.requested, entry.candidate.approved, entry.candidate.grant) == (
        money(45_000), money(30_000), money(30_000))
    # The rules of the next steps see it too.
    prioritised(ctx, world, second, now=LETTER)
    forwarded(ctx, world, second, now=LETTER)
    assert state(ctx, second) == "forwarded_to_bank"
    assert free(ctx, world) == money(5_000)


def test_the_manager_records_approved_amounts_on_the_banks_letter(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    scored(ctx, world, pid, 5, 10)
    prioritised(ctx, world, pid)
    forwarded(ctx, world, pid)
    fire(ctx, manager(world), pid, "approve", now=LETTER, inputs={
        "bank_reference": "SAB-2026-0815", "approved_amounts": {"2026": "44999.99"}})
    [year] = ctx.bank.record(manager(world), pid).amounts
    assert (year.year, year.requested, year.approved) == (2026, money(45_000), 4_499_999)


def test_approving_more_than_requested_is_refused(ctx: Context, world: World) -> None:
    pid = in_review(ctx, world, title="MINT-Netzwerk")
    scored(ctx, world, pid, 5, 10)
    prioritised(ctx, world, pid)
    forwarded(ctx, world, pid)
    before = version(ctx, pid)
    with pytest.raises(InvalidInput) as refused:
        fire(ctx, world.actor(Role.BANK), pid, "approve", now=LETTER, inputs={
            "bank_reference": "SAB-2026-0815", "approved_amounts": {"2026": "45000.01", "2027": "1000"}})
    assert {p.field: p.problem for p in refused.value.problems} == {
        "inputs.approved_amounts.2026": "45.000,01 EUR is more than the 45.000,00 EUR requested",
        "inputs.approved_amounts.2027": "the funding plan has no such year (years: 2026)",
    }
    assert (state(ctx, pid), version(ctx, pid)) == ("forwarded_to_bank", before)
    [year] = ctx.bank.record(SYSTEM, pid).amounts
    assert year.approved is None
