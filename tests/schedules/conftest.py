"""Delivery fixtures: a real SMTP server and webhook receiver on loopback, a context that mails through them,
people with e-mail addresses in both languages, and proposals whose revision deadline sends reminders.

Moments (Europe/Berlin) for a proposal put into revision_requested by `in_revision` (deadline 15.06.2026, asked for
on 11.06.2026 00:00, so the 7-day reminder was never owed):
    13.06.2026 09:00   revision reminder "2d" to the organisation's applicants
    14.06.2026 09:00   hearing reminder "1d" to applicants and the alliance's reviewers
    16.06.2026 00:00   revision overdue: escalation to the alliance's managers (the hearing's due firing tells nobody)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Row

from tests.conftest import secret_key_env
from tests.factories import AFTER_CLOSE, REASON, World, fire_as_allowed, make_world, new_draft, path_to, sample_inputs
from tests.notify.scene import untold_steps
from tests.schedules.loopback import SmtpServer, WebhookReceiver
from workflow.context import Context, build_context
from workflow.notify.store import OUTBOX
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.settings import Settings
from workflow.timeutil import end_of_day, local

PUBLIC_URL = "https://foerderweg.example.org"
REVISION_DEADLINE = date(2026, 6, 15)
REVISION_REMINDED = local(date(2026, 6, 13), time(9, 0))
HEARING_REMINDED = local(date(2026, 6, 14), time(9, 0))
REVISION_OVERDUE = end_of_day(REVISION_DEADLINE) + timedelta(seconds=1)
# Retries in these tests: 60 s, 120 s, then parked as failed after the third attempt. The receivers run on
# loopback, which webhooks may reach only when an operator allows it (tests/schedules/test_webhook_targets.py).
DELIVERY = {"max_attempts": 3, "backoff_seconds": 60, "backoff_max_seconds": 3600,
            "webhook_allowed_networks": ["127.0.0.0/8"]}

@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hook:
        yield hook


def mail_settings(database_url: str, smtp_port: int, **changes: Any) -> Settings:
    return Settings(database_url=database_url, smtp={"host": "127.0.0.1", "port": smtp_port, "timeout_seconds": 5},
                    delivery=DELIVERY, public_url=PUBLIC_URL, **changes)


@pytest.fixture
def mail_ctx(database_url: str, smtp: SmtpServer) -> Iterator[Context]:
    context = build_context(mail_settings(database_url, smtp.port))
    yield context
    context.close()


def process_env(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The environment of a `foerderweg` process on the same database and SMTP server as the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERWEG_")}
    return {**env, **secret_key_env(), "FOERDERWEG_DATABASE_URL": database_url, "FOERDERWEG_SMTP__HOST": "127.0.0.1",
            "FOERDERWEG_SMTP__PORT": str(smtp_port), "FOERDERWEG_PUBLIC_URL": PUBLIC_URL,
            "FOERDERWEG_LOG_LEVEL": "warning", **extra}


@dataclass
class Person:
    id: int
    name: str
    email: str
    actor: Actor


@dataclass
class Crew:
    """The factory world (whose people have no e-mail) plus people who do."""

    world: World
    anna: Person  # applicant of the world's organisation, reads German
    ben: Person  # applicant of the same organisation, reads English
    maria: Person  # manager of the world's alliance, reads German

    @property
    def admin(self) -> Actor:
        return self.world.actor(Role.ADMIN)


def person(ctx: Context, name: str, role: Role, email: str, *, language: str = "de",
           organisation_id: int | None = None, alliance_id: int | None = None) -> Person:
    user = ctx.admin.create_user(SYSTEM, name, role, organisation_id=organisation_id, alliance_id=alliance_id,
                                 email=email, language=language)
    assert user.id is not None
    return Person(id=user.id, name=name, email=email, actor=ctx.admin.actor_for(user.id))


def make_crew(ctx: Context) -> Crew:
    world = make_world(ctx)
    return Crew(
        world=world,
        anna=person(ctx, "Anna Schubert", Role.APPLICANT, "anna@zukunftsakademie.example",
                    organisation_id=world.organisation_id),
        ben=person(ctx, "Ben Carter", Role.APPLICANT, "ben@zukunftsakademie.example", language="en",
                   organisation_id=world.organisation_id),
        maria=person(ctx, "Maria Lehmann", Role.MANAGER, "maria@arbeitsagentur.example",
                     alliance_id=world.alliance_id),
    )


@pytest.fixture
def crew(mail_ctx: Context) -> Crew:
    return make_crew(mail_ctx)


def in_revision(ctx: Context, world: World, *, title: str, revision_deadline: date = REVISION_DEADLINE,
                next_session: date = REVISION_DEADLINE, at: datetime = AFTER_CLOSE) -> int:
    """A proposal the steering group sent back at `at`: revision due at the end of `revision_deadline`."""
    # The steps that set the scene tell nobody: these tests count reminders (tests/notify/scene.py).
    with untold_steps(ctx):
        proposal_id = new_draft(ctx, world, title=title)
        steps = path_to(ctx.procedures.latest(ctx.settings.default_procedure), "revision_requested")
        version = 1
        for step in steps[:-1]:
            version = fire_as_allowed(ctx, world, proposal_id, step, version)
        last = steps[-1]
        assert last.name == "request_revision"
        inputs = {**sample_inputs(last), "revision_deadline": revision_deadline.isoformat(),
                  "next_session": next_session.isoformat()}
        ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, last.name, expected_version=version, now=at,
                           reason=REASON, inputs=inputs)
    return proposal_id


def outbox(ctx: Context, **equal: Any) -> list[Row[Any]]:
    query = sa.select(OUTBOX).where(*(OUTBOX.c[k] == v for k, v in equal.items())).order_by(OUTBOX.c.id)
    with ctx.db.read() as session:
        return list(session.execute(query).all())


def duplicate_keys(ctx: Context) -> list[str]:
    query = sa.select(OUTBOX.c.key).group_by(OUTBOX.c.key).having(sa.func.count() > 1)
    with ctx.db.read() as session:
        return [str(k) for k in session.execute(query).scalars()]
