"""API fixtures: a world with one token per role (and outsiders), a settable clock, a client on the real app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.factories import WHILE_OPEN, World, make_world
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role


@dataclass
class Clock:
    now: datetime = WHILE_OPEN

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ApiWorld:
    world: World
    tokens: dict[str, str] = field(default_factory=dict)  # role value, "other_applicant", "other_manager"

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def _token(ctx: Context, actor: Actor) -> str:
    assert actor.user_id is not None
    return ctx.admin.issue_token(SYSTEM, actor.user_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(ctx: Context) -> ApiWorld:
    world = make_world(ctx)
    result = ApiWorld(world=world)
    for role in Role:
        if role != Role.SYSTEM:
            result.tokens[role.value] = _token(ctx, world.actor(role))
    result.tokens["other_applicant"] = _token(ctx, world.other_applicant)
    result.tokens["other_manager"] = _token(ctx, world.other_manager)
    return result


@pytest.fixture
def client(ctx: Context, clock: Clock) -> Iterator[TestClient]:
    # From loopback, as a client on the same machine (what /metrics without a token answers).
    with TestClient(create_app(ctx, clock=clock), client=("127.0.0.1", 50000)) as test_client:
        yield test_client
