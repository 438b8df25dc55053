"""The review tests' world: the factory world with the hand-computable scoring scheme on its round."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world
from tests.review.helpers import use_scheme
from workflow.context import Context


@pytest.fixture
def world(ctx: Context) -> World:
    world = make_world(ctx)
    use_scheme(ctx, world)
    return world
