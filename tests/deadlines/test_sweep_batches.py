"""The sweep handles its claimed deadlines as a batch: a handful of statements whatever the batch's size, one
broken row stops no other, and a step taken in the batch is not undone by the batch's own moves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.deadlines.helpers import (
    audit,
    berlin,
    deadlines,
    drive,
    lapsing_procedure,
    one_deadline,
    outbox,
    person,
    request_revision,
    state_of,
    uid,
)
from tests.factories import World, make_world
from workflow.context import Context, build_context
from workflow.notify import writer
from workflow.people.roles import Role
from workflow.settings import Settings

# The revision deadline (15 July) first reminds the applicant 7 days before, at 09:00 in Leipzig.
REMINDER = berlin(date(2026, 7, 8))


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


def revisions(ctx: Context, world: World, count: int) -> list[int]:
    """`count` proposals waiting for their revision, each with an open revision deadline."""
    made = []
    for n in range(count):
        proposal = drive(ctx, world, "in_review", title=f"Fachkräftenetzwerk {n}")
        request_revision(ctx, world, proposal)
        made.append(proposal)
    return made


@contextmanager
def statements(ctx: Context) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile (an executemany counts once)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(ctx.db.engine, "before_cursor_execute", record)


def test_a_batch_costs_the_same_statements_for_two_due_rows_as_for_eight(ctx: Context, world: World) -> None:
    ctx.sweeper.sweep(REMINDER - timedelta(minutes=1))  # what else is due by then (the round's deadline)
    few = revisions(ctx, world, 2)
    with statements(ctx) as for_few:
        report = ctx.sweeper.sweep(REMINDER)
    assert (report.deadlines, report.notifications) == (2, 2)

    many = revisions(ctx, world, 8)
    later = REMINDER + timedelta(minutes=1)
    # The first two were swept: their next firing (the due moment) is days away, so only the new eight are due.
    with statements(ctx) as for_many:
        report = ctx.sweeper.sweep(later)
    assert (report.deadlines, report.notifications) == (8, 8)

    assert len(for_many) == len(for_few), (for_few, for_many)
    assert for_few.count("INSERT") == 1, "the batch's notifications are one INSERT"
    told = outbox(ctx, topic="revision")
    assert sorted(r.proposal_id for r in told) == sorted(few + many)
    assert {r.user_id for r in told} == {uid(world, Role.APPLICANT)}


def test_a_batch_tells_each_proposal_apart_keeps_each_persons_mutes_and_one_webhook_row_each(
        ctx: Context, world: World) -> None:
    ctx.sweeper.sweep(REMINDER - timedelta(minutes=1))
    colleague = person(ctx, "Dr. Kühn", Role.APPLICANT, organisation_id=world.organisation_id)
    ctx.outbox.set_mutes(colleague, [("revision", "inapp")])
    ctx.admin.set_webhook(world.actor(Role.MANAGER), world.alliance_id, "https://fka-leipzig.example/hook")
    made = revisions(ctx, world, 3)

    report = ctx.sweeper.sweep(REMINDER)

    assert report.deadlines == 3
    told = outbox(ctx, topic="revision")
    inapp = sorted((r.proposal_id, r.user_id) for r in told if r.channel == "inapp")
    assert inapp == sorted((p, uid(world, Role.APPLICANT)) for p in made), "the muted colleague hears nothing"
    hooks = [r for r in told if r.channel == "webhook"]
    assert sorted(r.proposal_id for r in hooks) == sorted(made)
    assert {r.payload["proposal"]["id"] for r in hooks} == set(made)
    assert all(f"Fachkräftenetzwerk {made.index(r.proposal_id)}" in r.body for r in told if r.channel == "inapp")


def test_one_broken_row_stops_no_other_and_is_swept_once_its_lease_ends(
        ctx: Context, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ctx.sweeper.sweep(REMINDER - timedelta(minutes=1))
    first, broken, last = revisions(ctx, world, 3)
    broken_deadline = one_deadline(ctx, proposal_id=broken, kind="revision")
    render = writer.render

    def render_but_one(kind: str, about: Any, **person: Any) -> Any:
        if about.title == "Fachkräftenetzwerk 1":
            raise RuntimeError("a template that cannot be rendered")
        return render(kind, about, **person)

    monkeypatch.setattr(writer, "render", render_but_one)
    with caplog.at_level(logging.WARNING, logger="workflow.deadlines.sweep"):
        report = ctx.sweeper.sweep(REMINDER)

    assert (report.deadlines, report.notifications) == (2, 2)
    assert sorted(r.proposal_id for r in outbox(ctx, topic="revision")) == sorted([first, last])
    assert f"deadline {broken_deadline.id} could not be swept" in caplog.text
    held = one_deadline(ctx, proposal_id=broken, kind="revision")
    assert (held.status, held.stage) == ("open", broken_deadline.stage), "nothing of the broken row was kept"
    assert held.claim is not None and held.lease_until is not None, "it keeps its claim until the lease ends"

    monkeypatch.setattr(writer, "render", render)
    assert ctx.sweeper.sweep(REMINDER + timedelta(minutes=1)).deadlines == 0, "its lease still holds"
    report = ctx.sweeper.sweep(REMINDER + ctx.sweeper.lease + timedelta(minutes=1))
    assert (report.deadlines, report.notifications) == (1, 1)
    assert sorted(r.proposal_id for r in outbox(ctx, topic="revision")) == sorted([first, broken, last])
    swept = one_deadline(ctx, proposal_id=broken, kind="revision")
    assert (swept.claim, swept.lease_until, swept.stage) == (None, None, broken_deadline.stage + 1)


def test_a_step_taken_in_a_batch_is_not_undone_by_the_batchs_own_moves(database_url: str, tmp_path) -> None:
    ctx = build_context(Settings(database_url=database_url,
                                 procedure_dirs=[lapsing_procedure(tmp_path / "procedures")]))
    try:
        world = make_world(ctx, procedure_key="test-lapse")
        proposal = drive(ctx, world, "in_review")
        request_revision(ctx, world, proposal)
        ctx.sweeper.sweep(berlin(date(2026, 7, 1)))  # the round's deadline, long past
        # A sweep long after both the revision deadline (15 July) and the next session (23 July): both rows are
        # due in one batch, and the revision's lapse takes the proposal out of the state both belong to.
        after_both: datetime = berlin(date(2026, 7, 24))
        assert {d.kind for d in deadlines(ctx, proposal_id=proposal, status="open")} == {"revision", "hearing"}
        assert all(d.next_fire_at <= after_both for d in deadlines(ctx, proposal_id=proposal, status="open"))

        report = ctx.sweeper.sweep(after_both)

        assert (report.deadlines, report.steps, report.refused_steps) == (2, 1, [])
        assert state_of(ctx, proposal) == "not_prioritised"
        assert [e.transition for e in audit(ctx, proposal)].count("lapse") == 1
        # The revision's own move keeps it open (it escalates while overdue); the lapse, taken after the batch's
        # moves, closes it. The hearing had its last firing: done before the lapse could cancel it.
        assert {(d.kind, d.status) for d in deadlines(ctx, proposal_id=proposal)} == {
            ("revision", "cancelled"), ("hearing", "done")}
        assert ctx.sweeper.sweep(after_both + timedelta(days=7)).deadlines == 0
    finally:
        ctx.close()
