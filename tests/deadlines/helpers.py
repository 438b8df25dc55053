"""Shared pieces of the deadline tests: Berlin wall-clock moments, the rows a sweep writes, steps by real people.

Time is always a parameter: a test names the moment it sweeps at, never waits for one.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from tests.factories import (
    AFTER_CLOSE,
    REASON,
    World,
    complete_plan,
    fire_as_allowed,
    new_draft,
    path_to,
    procedure_of,
    satisfy,
)
from workflow.context import Context
from workflow.notify.store import OUTBOX
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.procedure.registry import SHIPPED_DIR
from workflow.proposals import store as repo
from workflow.timeutil import DEFAULT_ZONE

MINUTE = timedelta(minutes=1)
NINE = time(9, 0)
REVISION_DAY = date(2026, 7, 15)  # the revised proposal is due when 15 July ends in Leipzig: 22:00 UTC
SESSION_DAY = date(2026, 7, 23)


def berlin(day: date, at: time = NINE) -> datetime:
    """A wall-clock moment in Leipzig, as the aware UTC instant the engine works with."""
    return datetime.combine(day, at, tzinfo=DEFAULT_ZONE).astimezone(UTC)


def wall_clock(moment: datetime) -> datetime:
    return moment.astimezone(DEFAULT_ZONE)


# --- reading what happened --------------------------------------------------------------------------------

def outbox(ctx: Context, *, after_id: int = 0, **equal: Any) -> list[Row[Any]]:
    query = sa.select(OUTBOX).where(OUTBOX.c.id > after_id, *(OUTBOX.c[k] == v for k, v in equal.items()))
    with ctx.db.read() as session:
        return list(session.execute(query.order_by(OUTBOX.c.id)).all())


def last_outbox_id(ctx: Context) -> int:
    with ctx.db.read() as session:
        return int(session.execute(sa.select(sa.func.coalesce(sa.func.max(OUTBOX.c.id), 0))).scalar_one())


def deadlines(ctx: Context, **equal: Any) -> list[Row[Any]]:
    table = repo.DEADLINES
    query = sa.select(table).where(*(table.c[k] == v for k, v in equal.items())).order_by(table.c.due_at, table.c.id)
    with ctx.db.read() as session:
        return list(session.execute(query).all())


def one_deadline(ctx: Context, **equal: Any) -> Row[Any]:
    rows = deadlines(ctx, **equal)
    assert len(rows) == 1, rows
    return rows[0]


def audit(ctx: Context, proposal_id: int) -> list[Row[Any]]:
    with ctx.db.read() as session:
        return list(repo.history(session, proposal_id))


def state_of(ctx: Context, proposal_id: int) -> str:
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    return str(row.state)


def firing_label(row: Row[Any]) -> str:
    """r14d, r7d, due, o1 ...: the firing a notification belongs to, from its unique key."""
    return str(row.key.split(":")[1])


def recipients(rows: list[Row[Any]]) -> Counter[int]:
    """How many notifications each user got."""
    return Counter(int(r.user_id) for r in rows)


def sweep_fires(ctx: Context, at: datetime, *, topic: str | None = None) -> list[Row[Any]]:
    """What a sweep at exactly `at` writes, after checking that a minute earlier nothing is written
    and that sweeping again at `at` writes nothing new."""
    where = {} if topic is None else {"topic": topic}
    start = last_outbox_id(ctx)
    ctx.sweeper.sweep(at - MINUTE)
    assert outbox(ctx, after_id=start, **where) == [], f"written before {at:%Y-%m-%d %H:%M} UTC"
    ctx.sweeper.sweep(at)
    written = outbox(ctx, after_id=start, **where)
    middle = last_outbox_id(ctx)
    again = ctx.sweeper.sweep(at)
    assert again.notifications == 0 and again.skipped == 0
    assert outbox(ctx, after_id=middle) == [], "a second sweep at the same moment wrote more"
    return written


def assert_sent(rows: list[Row[Any]], *, label: str, kind: str, to: dict[int, int]) -> None:
    """Every row is an in-app notification of one firing, delivered, to exactly these users (id -> how many)."""
    assert rows, f"nothing written for {label}"
    assert {firing_label(r) for r in rows} == {label}
    assert {r.kind for r in rows} == {kind}
    assert {r.channel for r in rows} == {"inapp"}
    assert {r.status for r in rows} == {"sent"}
    assert all(r.sent_at is not None and r.last_error is None for r in rows)
    assert recipients(rows) == Counter(to)


def nothing_after(ctx: Context, moments: list[datetime], **where: Any) -> None:
    start = last_outbox_id(ctx)
    for moment in moments:
        ctx.sweeper.sweep(moment)
    assert outbox(ctx, after_id=start, **where) == []


# --- people and steps -------------------------------------------------------------------------------------

def person(ctx: Context, name: str, role: Role, *, organisation_id: int | None = None,
           alliance_id: int | None = None, language: str = "de") -> Actor:
    user = ctx.admin.create_user(SYSTEM, name, role, organisation_id=organisation_id, alliance_id=alliance_id,
                                 language=language)
    assert user.id is not None
    return ctx.admin.actor_for(user.id)


def step(ctx: Context, actor: Actor, proposal_id: int, transition: str, *, now: datetime,
         **inputs: Any) -> None:
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    ctx.proposals.fire(actor, proposal_id, transition, expected_version=row.version, now=now, reason=REASON,
                       inputs=inputs)


def drive(ctx: Context, world: World, state: str, *, years: tuple[int, ...] = (2026,),
          title: str = "MINT-Netzwerk Leipzig") -> int:
    """A new proposal with a funding plan over `years`, walked to `state` by the people allowed to."""
    plan = [row for year in years for row in complete_plan(year)]
    proposal_id = new_draft(ctx, world, title=title, plan=plan)
    version = 1
    for transition in path_to(procedure_of(ctx, proposal_id), state):
        version = fire_as_allowed(ctx, world, proposal_id, transition, version)
    return proposal_id


def ready_for(ctx: Context, world: World, proposal_id: int, transition: str, *, now: datetime) -> None:
    """Do at `now` what the step's rules wait for: the members score, the applicant answers the conditions."""
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    definition = procedure_of(ctx, proposal_id).transitions[transition]
    satisfy(ctx, world, proposal_id, definition, row.version, now=now)


def draft_of(ctx: Context, applicant: Actor, round_id: int, title: str, *, now: datetime) -> int:
    view = ctx.proposals.create_draft(applicant, {"round_id": round_id, "title": title,
                                                  "funding_plan": complete_plan()}, now=now)
    return view.id


def uid(world: World, role: Role) -> int:
    user_id = world.actor(role).user_id
    assert user_id is not None
    return user_id


def request_revision(ctx: Context, world: World, proposal_id: int, *, deadline: date = REVISION_DAY,
                     session: date = SESSION_DAY, now: datetime = AFTER_CLOSE) -> None:
    step(ctx, world.actor(Role.MANAGER), proposal_id, "request_revision", now=now,
         conditions=["Kooperationsvereinbarung mit der HTWK nachreichen"],
         revision_deadline=deadline.isoformat(), next_session=session.isoformat())


def revision_rows(ctx: Context) -> dict[str, tuple[str, str | None]]:
    return {firing_label(r): (r.status, r.last_error) for r in outbox(ctx, topic="revision")}


# --- a procedure of our own -------------------------------------------------------------------------------

LAPSE = """
[[transitions]]
name = "lapse"
label = { de = "Frist verstrichen", en = "Lapsed" }
from = ["revision_requested"]
to = "not_prioritised"
roles = ["system"]

# --- deadlines"""


def lapsing_procedure(folder: Path) -> Path:
    """The shipped procedure as 'test-lapse', where a revision not made in time ends the proposal."""
    text = (SHIPPED_DIR / "saxony-regional.v1.toml").read_text(encoding="utf-8")
    revision_overdue = 'recipients = ["applicant"]\noverdue = { notify = ["manager"] }\n\n[deadlines.bank_decision]'
    edits = [('key = "saxony-regional"', 'key = "test-lapse"'), ("\n# --- deadlines", LAPSE),
             (revision_overdue, revision_overdue.replace('["manager"] }', '["manager"], transition = "lapse" }'))]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir()
    (folder / "test-lapse.v1.toml").write_text(text, encoding="utf-8")
    return folder
