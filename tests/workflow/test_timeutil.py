"""Calendar dates are Europe/Berlin, stored as UTC: the same wall-clock time on both sides of a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from tests.factories import make_world
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.proposals import store as repo
from workflow.timeutil import end_of_day, local, show


def test_a_deadline_day_ends_at_midnight_berlin_in_summer_and_in_winter() -> None:
    # Mittelsachsen's deadline of 16 October is still summer time; one on 31 October is winter time.
    assert end_of_day(date(2016, 10, 16)) == datetime(2016, 10, 16, 22, 0, tzinfo=UTC)
    assert end_of_day(date(2016, 10, 31)) == datetime(2016, 10, 31, 23, 0, tzinfo=UTC)
    # The night the clocks go back is 25 hours long; the day still ends at local midnight.
    assert end_of_day(date(2016, 10, 30)) == datetime(2016, 10, 30, 23, 0, tzinfo=UTC)


def test_nine_oclock_stays_nine_oclock_across_the_change() -> None:
    before, after = local(date(2016, 3, 26), time(9)), local(date(2016, 3, 28), time(9))
    assert (before.hour, after.hour) == (8, 7)  # UTC
    assert show(before).startswith("26.03.2016 09:00") and show(after).startswith("28.03.2016 09:00")


def test_times_come_back_from_the_database_as_the_same_instant_in_utc(ctx: Context) -> None:
    world = make_world(ctx)
    closes = end_of_day(date(2016, 10, 16))
    round_ = ctx.admin.create_round(SYSTEM, world.alliance_id, "Mittelsachsen 16.10.", opens_at=local(date(2016, 9, 1)),
                                    closes_at=closes, now=local(date(2016, 9, 1)))
    with ctx.db.read() as session:
        stored = session.execute(sa.select(repo.ROUNDS.c.closes_at).where(repo.ROUNDS.c.id == round_.id)).scalar_one()
    assert stored == closes and stored.utcoffset() is not None and stored.utcoffset().total_seconds() == 0
