"""Time. Stored and compared in UTC; calendar dates and what people read are Europe/Berlin.

A deadline "on 31 May" ends when 1 June begins there, whatever the offset to UTC is on that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """The clock. Only adapters (CLI, HTTP, scheduler) call it; the engine takes `now` as a parameter."""
    return datetime.now(UTC)


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime ({moment.isoformat()}) was given; pass an aware one")
    return moment


def local(day: date, at: time = time(0, 0), zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """A wall-clock time on a calendar day in `zone`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """The instant `day` ends in `zone` (the start of the next day), in UTC."""
    return local(day + timedelta(days=1), time(0, 0), zone)



def show(moment: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """How a person in Saxony reads a moment: '01.06.2016 00:00 Europe/Berlin', never a UTC offset to convert."""
    return f"{moment.astimezone(zone):%d.%m.%Y %H:%M} {zone.key}"
