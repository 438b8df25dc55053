"""After a migration a round's proposals run on two versions: the pages and the ranking read each proposal by
its own version (a state only the newer version has must not break the round's board, the bank desk or a step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import AFTER_CLOSE, REASON, World, make_world, proposal_in
from tests.web.conftest import Clock, page
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

PLAN = (Path(__file__).parents[2] / "docs" / "migrations" / "saxony-regional-1-to-2.toml").read_text(
    encoding="utf-8")


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx, procedure_version=1)


@pytest.fixture
def migrated(ctx: Context, world: World, clock: Clock) -> dict[str, int]:
    found = {state: proposal_in(ctx, world, state, title=f"Vorhaben {state}")[0]
             for state in ("prioritised", "proof_of_use_submitted", "forwarded_to_bank")}
    plan = ctx.migrations.check(SYSTEM, PLAN)
    ctx.migrations.run(ctx.migrations.start(SYSTEM, plan, AFTER_CLOSE).id, lambda: AFTER_CLOSE)
    clock.now = AFTER_CLOSE
    return found


def test_the_ranking_and_a_step_that_frees_money_read_each_proposal_by_its_own_version(
        ctx: Context, world: World, migrated: dict[str, int]) -> None:
    ranking = ctx.priorisation.ranking(world.actor(Role.MANAGER), world.round_id, now=AFTER_CLOSE)
    states = {e.candidate.proposal_id: e.candidate.state for e in ranking.entries}
    assert states[migrated["proof_of_use_submitted"]] == "proof_of_use_in_review"
    # Withdrawing frees the prioritised grant; the offer to the waiting list reads the whole round's ranking.
    prioritised = migrated["prioritised"]
    step = ctx.proposals.fire(world.actor(Role.APPLICANT), prioritised, "withdraw",
                              expected_version=ctx.proposals.get(SYSTEM, prioritised, now=AFTER_CLOSE).version,
                              now=AFTER_CLOSE, reason=REASON)
    assert step.to_state == "withdrawn"


def test_the_round_pages_and_the_bank_desk_show_states_only_the_newer_version_has(
        browser_for: Any, world: World, migrated: dict[str, int]) -> None:
    manager = browser_for(world.actor(Role.MANAGER))
    rounds = manager.get("/app/rounds")
    assert rounds.status_code == 200 and "Verwendungsnachweis in Prüfung" in rounds.text
    board = manager.get(f"/app/rounds/{world.round_id}")
    assert board.status_code == 200
    assert "Verwendungsnachweis in Prüfung(1)" in [h.get_text(strip=True) for h in page(board).find_all(["h2", "h3"])]
    desk = browser_for(world.actor(Role.BANK)).get("/app/bank")
    assert desk.status_code == 200 and "Vorhaben proof_of_use_submitted" in desk.text
