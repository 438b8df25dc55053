"""Running proposals move from saxony-regional 1 to 2 by the shipped plan: a dry run changes nothing, a run moves
each running proposal exactly once (also across an interruption), deadlines follow the plan's policy, and what did
not change keeps its history and its open deadlines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlmodel import Session

from schedules.ticks import Ticks
from tests.factories import AFTER_CLOSE, REASON, World, make_world, new_draft, proposal_in
from workflow.context import Context
from workflow.deadlines.definition import Duration
from workflow.errors import Conflict, Forbidden
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.proposals import store as repo
from workflow.versioning import store
from workflow.versioning.plan import PlanRefused, parse_plan

OUTBOX = models.OutboxMessage.__table__  # type: ignore[attr-defined]
SHIPPED_PLAN = Path(__file__).parents[2] / "docs" / "migrations" / "saxony-regional-1-to-2.toml"
NOW = AFTER_CLOSE + timedelta(days=20)
OPERATOR = SYSTEM


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx, procedure_version=1)


@pytest.fixture
def running(ctx: Context, world: World) -> dict[str, int]:
    """One proposal in each state whose handling the plan decides, and one that is finished."""
    found = {}
    for state in ("draft", "revision_requested", "forwarded_to_bank", "proof_of_use_submitted", "rejected"):
        found[state], _ = proposal_in(ctx, world, state, title=f"Vorhaben {state}")
    return found


def tables(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    with ctx.db.read() as session:
        return {table.name: [tuple(r) for r in session.execute(sa.select(table).order_by(*table.primary_key))]
                for table in (repo.PROPOSALS, repo.DEADLINES, repo.AUDIT, store.MIGRATIONS, OUTBOX)}


def history(ctx: Context, proposal_id: int) -> list[Any]:
    return ctx.proposals.history(SYSTEM, proposal_id)


def open_deadlines(ctx: Context, proposal_id: int) -> list[Any]:
    with ctx.db.read() as session:
        return list(repo.open_deadlines(session, proposal_id))


def migrate(ctx: Context, plan_text: str | None = None) -> Any:
    plan = ctx.migrations.check(OPERATOR, plan_text or SHIPPED_PLAN.read_text(encoding="utf-8"))
    status = ctx.migrations.start(OPERATOR, plan, NOW)
    return ctx.migrations.run(status.id, lambda: NOW)


def test_a_dry_run_lists_each_running_proposal_and_changes_nothing(ctx: Context, running: dict[str, int]) -> None:
    before = tables(ctx)
    plan = ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes())
    moves = {m.proposal_id: m for m in ctx.migrations.preview(plan, NOW)}
    summary = {s.source: s for s in ctx.migrations.summary(plan)}

    assert tables(ctx) == before
    assert set(moves) == {running[s] for s in running if s != "rejected"}
    assert moves[running["proof_of_use_submitted"]].to_state == "proof_of_use_in_review"
    assert summary["proof_of_use_submitted"].because == "renamed"
    assert (summary["forwarded_to_bank"].proposals, summary["forwarded_to_bank"].deadlines) == (1, "recreate")
    forwarded = moves[running["forwarded_to_bank"]].deadlines
    assert [c.kind for c in forwarded.cancelled] == ["bank_decision"]
    assert [(c.kind, c.due_at) for c in forwarded.created] == [("bank_decision", Duration.parse("8w").after(NOW))]
    revising = moves[running["revision_requested"]].deadlines
    assert {k.kind for k in revising.kept} == {"revision", "hearing"} and not revising.created


def test_a_run_moves_every_running_proposal_once_and_keeps_what_did_not_change(
        ctx: Context, running: dict[str, int]) -> None:
    histories = {state: history(ctx, pid) for state, pid in running.items()}
    deadlines = {state: open_deadlines(ctx, pid) for state, pid in running.items()}

    status = migrate(ctx)

    assert (status.status, status.moved, status.remaining, status.planned) == ("done", 4, 0, 4)
    for state, proposal_id in running.items():
        view = ctx.proposals.get(SYSTEM, proposal_id, now=NOW)
        after = history(ctx, proposal_id)
        if state == "rejected":  # finished: stays on the version that decided it
            assert (view.procedure_version, after) == (1, histories[state])
            continue
        assert view.procedure_version == 2
        assert view.state == ("proof_of_use_in_review" if state == "proof_of_use_submitted" else state)
        # The history is the same, plus one event that says what happened and by which plan.
        assert after[:-1] == histories[state]
        event = after[-1]
        assert (event.kind, event.from_state, event.to_state, event.procedure_version) == (
            "migrated", state, view.state, 2)
        assert {k: event.inputs[k] for k in ("plan_id", "from_version", "to_version", "migration_id")} == {
            "plan_id": "fachkraefterichtlinie-2027", "from_version": 1, "to_version": 2, "migration_id": status.id}
        assert view.version == histories[state][-1].seq + 1

    # Unchanged state, policy keep: the same deadline rows, same due moments, now read by version 2.
    revising = open_deadlines(ctx, running["revision_requested"])
    assert [(d.id, d.due_at, d.stage, d.next_fire_at) for d in revising] == [
        (d.id, d.due_at, d.stage, d.next_fire_at) for d in deadlines["revision_requested"]]
    assert {d.procedure_version for d in revising} == {2}
    # Policy recreate: the six weeks of version 1 gave way to the eight weeks of version 2, counted from now.
    forwarded = open_deadlines(ctx, running["forwarded_to_bank"])
    assert [(d.kind, d.due_at, d.procedure_version) for d in forwarded] == [
        ("bank_decision", Duration.parse("8w").after(NOW), 2)]
    assert forwarded[0].id != deadlines["forwarded_to_bank"][0].id

    # The moved proposals run on version 2 now: its new step is open to them.
    moved = running["proof_of_use_submitted"]
    step = ctx.proposals.fire(ctx.admin.actor_for(_bank_user(ctx)), moved, "request_proof_of_use_revision",
                              expected_version=ctx.proposals.get(SYSTEM, moved, now=NOW).version, now=NOW,
                              reason=REASON, inputs={"revision_deadline": "2026-08-31"})
    assert step.to_state == "proof_of_use_revision"
    assert [d.kind for d in open_deadlines(ctx, moved)] == ["proof_of_use_revision"]


def _bank_user(ctx: Context) -> int:
    with ctx.db.read() as session:
        return int(session.execute(sa.select(repo.USERS.c.id).where(repo.USERS.c.role == Role.BANK.value)).scalar())


def test_the_keep_policy_keeps_the_old_due_moment(ctx: Context, running: dict[str, int]) -> None:
    before = open_deadlines(ctx, running["forwarded_to_bank"])
    migrate(ctx, SHIPPED_PLAN.read_text(encoding="utf-8").replace('forwarded_to_bank = "recreate"',
                                                                  'forwarded_to_bank = "keep"'))
    after = open_deadlines(ctx, running["forwarded_to_bank"])
    assert [(d.id, d.due_at, d.stage, d.procedure_version) for d in after] == [
        (d.id, d.due_at, d.stage, 2) for d in before]


@pytest.fixture
def drafts(ctx: Context, world: World) -> list[int]:
    return [new_draft(ctx, world, title=f"Entwurf {n}") for n in range(7)]


@pytest.fixture
def crash_on_fourth_move(ctx: Context) -> Iterator[list[int]]:
    """The database fails while the fourth proposal moves (as a killed process or a lost connection would)."""
    seen: list[int] = []

    def fail(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO audit_events") and "migrated" in str(parameters):
            seen.append(1)
            if len(seen) == 4:
                raise RuntimeError("connection lost")

    sa.event.listen(ctx.db.engine, "before_cursor_execute", fail)
    yield seen
    sa.event.remove(ctx.db.engine, "before_cursor_execute", fail)


def test_an_interrupted_migration_resumes_and_moves_every_proposal_exactly_once(
        ctx: Context, drafts: list[int], crash_on_fourth_move: list[int]) -> None:
    ctx.migrations.batch_size = 2
    plan = ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes())
    started = ctx.migrations.start(OPERATOR, plan, NOW)
    with pytest.raises(RuntimeError, match="connection lost"):
        ctx.migrations.run(started.id, lambda: NOW)

    halfway = ctx.migrations.status(started.id, NOW)
    assert (halfway.status, halfway.moved, halfway.remaining) == ("running", 3, 4)
    assert halfway.last_error == "RuntimeError: connection lost" and not halfway.running_now
    # The proposal whose move failed was not touched at all: one transaction per proposal.
    fourth = ctx.proposals.get(SYSTEM, drafts[3], now=NOW)
    assert (fourth.procedure_version, fourth.version, len(history(ctx, drafts[3]))) == (1, 1, 1)

    # Started again (the same plan names the same migration), it carries on where it stopped.
    again = ctx.migrations.start(OPERATOR, ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes()), NOW)
    assert again.id == started.id
    done = ctx.migrations.run(again.id, lambda: NOW)
    assert (done.status, done.moved, done.remaining) == ("done", 7, 0)
    for proposal_id in drafts:
        kinds = [e.kind for e in history(ctx, proposal_id)]
        assert kinds == ["created", "migrated"], proposal_id
    # A third run finds nothing to do and moves nobody twice.
    assert ctx.migrations.run(again.id, lambda: NOW).moved == 7
    assert all([e.kind for e in history(ctx, p)].count("migrated") == 1 for p in drafts)


def test_a_run_holds_the_migration_so_that_no_second_run_works_on_it_meanwhile(
        ctx: Context, drafts: list[int]) -> None:
    plan = ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes())
    started = ctx.migrations.start(OPERATOR, plan, NOW)
    with ctx.db.write() as session:
        assert store.claim(session, started.id, "another-process", now=NOW, until=NOW + timedelta(minutes=2))
    with pytest.raises(Conflict, match="is being run by another process"):
        ctx.migrations.run(started.id, lambda: NOW)
    # When that process's lease has run out (it died), the migration is taken over and finished.
    later = NOW + timedelta(minutes=3)
    assert ctx.migrations.run(started.id, lambda: later).moved == len(drafts)


def test_a_plan_id_names_one_plan(ctx: Context, drafts: list[int]) -> None:
    ctx.migrations.start(OPERATOR, ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes()), NOW)
    changed = SHIPPED_PLAN.read_text(encoding="utf-8").replace('deadlines = "keep"', 'deadlines = "recreate"')
    with pytest.raises(Conflict, match="give the changed plan another id"):
        ctx.migrations.start(OPERATOR, ctx.migrations.check(OPERATOR, changed), NOW)


def test_only_an_administrator_migrates(ctx: Context, world: World) -> None:
    with pytest.raises(Forbidden):
        ctx.migrations.check(world.actor(Role.MANAGER), SHIPPED_PLAN.read_bytes())
    plan = ctx.migrations.check(world.actor(Role.ADMIN), SHIPPED_PLAN.read_bytes())
    with pytest.raises(Forbidden):
        ctx.migrations.start(world.actor(Role.MANAGER), plan, NOW)


def test_the_scheduler_carries_on_a_migration_started_elsewhere(ctx: Context, drafts: list[int]) -> None:
    started = ctx.migrations.start(OPERATOR, ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes()), NOW)
    assert ctx.migrations.status(started.id, NOW).remaining == len(drafts)
    runs = Ticks(ctx, real_time=False).migrate(NOW)
    assert [(r.id, r.status, r.moved) for r in runs] == [(started.id, "done", len(drafts))]
    assert Ticks(ctx, real_time=False).migrate(NOW) == []


def test_proposals_created_in_old_rounds_later_are_moved_by_the_same_plan(ctx: Context, world: World) -> None:
    first = new_draft(ctx, world, title="Erster Entwurf")
    done = migrate(ctx)
    assert done.moved == 1
    late = new_draft(ctx, world, title="Später Entwurf")  # the round still runs on version 1
    again = migrate(ctx)
    assert (again.id, again.status, again.moved) == (done.id, "done", 2)
    assert ctx.proposals.get(SYSTEM, late, now=NOW).procedure_version == 2
    assert [e.kind for e in history(ctx, first)].count("migrated") == 1


def test_parse_plan_accepts_the_same_plan_as_json(ctx: Context) -> None:
    from_toml = parse_plan(SHIPPED_PLAN.read_bytes())
    from_json = parse_plan(from_toml.model_dump(by_alias=True))
    assert from_json == from_toml


def test_a_plan_that_would_bind_budget_money_without_the_budget_check_is_refused(ctx: Context, world: World) -> None:
    proposal_in(ctx, world, "waiting_list")
    with pytest.raises(PlanRefused) as refused:
        ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_text(encoding="utf-8").replace(
            "[states]", '[states]\nwaiting_list = "prioritised"'))
    [problem] = refused.value.problems
    assert problem.field == "states.waiting_list"
    assert "would count against the alliance's budget without the check the step there makes" in problem.problem


def test_a_move_that_frees_budget_money_offers_it_as_a_step_would(ctx: Context, world: World) -> None:
    prioritised, _ = proposal_in(ctx, world, "prioritised")
    assert ctx.migrations.freed_money is ctx.proposals.freed_money  # the same offer as after a step
    freed: list[int] = []

    class Recording:
        def offer(self, session: Session, row: Row[Any], now: datetime) -> None:
            freed.append(row.id)

    ctx.migrations.freed_money = Recording()
    migrate(ctx, SHIPPED_PLAN.read_text(encoding="utf-8").replace("[states]", '[states]\nprioritised = "waiting_list"'))
    assert freed == [prioritised]
    assert ctx.proposals.get(SYSTEM, prioritised, now=NOW).state == "waiting_list"
    with ctx.db.read() as session:
        assert repo.proposal(session, prioritised).binds_budget is False


def test_a_migration_whose_plan_stopped_fitting_records_why_and_holds_nothing(ctx: Context, world: World) -> None:
    started = ctx.migrations.start(OPERATOR, ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_text(
        encoding="utf-8").replace("[states]", '[states]\nwaiting_list = "prioritised"')), NOW)
    proposal_in(ctx, world, "waiting_list")  # now the mapping would bind money unchecked
    assert Ticks(ctx, real_time=False).migrate(NOW) == []
    status = ctx.migrations.status(started.id, NOW)
    assert status.last_error is not None and "PlanRefused" in status.last_error
    assert (status.status, status.moved, status.running_now) == ("running", 0, False)
    with pytest.raises(PlanRefused):
        ctx.migrations.run(started.id, lambda: NOW)


def test_a_proposal_moved_already_is_not_moved_again_by_a_second_runner(ctx: Context, drafts: list[int]) -> None:
    """Two runs working at once (or one that read its batch before the other moved it) move each proposal once:
    the move itself checks that the proposal is still on the older version."""
    plan = ctx.migrations.check(OPERATOR, SHIPPED_PLAN.read_bytes())
    started = ctx.migrations.start(OPERATOR, plan, NOW)
    route = ctx.migrations._route(plan)
    assert ctx.migrations._move(started.id, route, drafts[0], actor=OPERATOR, now=NOW) is True
    assert ctx.migrations._move(started.id, route, drafts[0], actor=OPERATOR, now=NOW) is False
    assert [e.kind for e in history(ctx, drafts[0])] == ["created", "migrated"]
    assert ctx.migrations.status(started.id, NOW).moved == 1
