"""A person's open deadlines, as a list and as an RFC 5545 calendar feed (icalendar).

What one sees follows who one is: applicants their organisation's proposals and the rounds it has proposals in;
steering-group members and managers their alliance's proposals, rounds and (managers) its action concept;
bank officers the proposals that reached the bank; administrators everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from workflow.deadlines import store
from workflow.deadlines.book import DeadlineBook
from workflow.people.actors import Actor
from workflow.persistence.db import Database

MAX_ITEMS = 2000


@dataclass(frozen=True)
class DueItem:
    id: int
    kind: str
    label: dict[str, str]
    due_at: datetime
    title: str
    proposal_id: int | None
    round_id: int | None
    alliance_id: int | None


class DeadlineCalendar:
    def __init__(self, db: Database, book: DeadlineBook, public_url: str) -> None:
        self.db = db
        self.book = book
        self.public_url = public_url.rstrip("/")

    def open_for(self, actor: Actor) -> list[DueItem]:
        with self.db.read() as session:
            found = store.open_deadlines_seen_by(session, actor, limit=MAX_ITEMS)
        items = []
        for row in found:
            definition = self.book.definition(row.kind, row.procedure_key, row.procedure_version)
            label = definition.label.model_dump() if definition else {"de": row.kind, "en": row.kind}
            items.append(DueItem(id=row.id, kind=row.kind, label=label, due_at=row.due_at, title=row.title,
                                 proposal_id=row.proposal_id, round_id=row.round_id, alliance_id=row.alliance_id))
        return sorted(items, key=lambda i: (i.due_at, i.id))[:MAX_ITEMS]

    def ics(self, actor: Actor, *, now: datetime, host: str = "foerderweg") -> bytes:
        """The feed: one event per open deadline, ending at the due moment, with an alarm a day before."""
        calendar = Calendar()
        calendar.add("prodid", "-//foerderweg//deadlines//DE")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"foerderweg: {actor.name}")
        language = actor.language
        for item in self.open_for(actor):
            event = Event()
            event.add("uid", f"deadline-{item.id}@{host}")
            event.add("dtstamp", now)
            event.add("dtstart", item.due_at - timedelta(minutes=30))
            event.add("dtend", item.due_at)
            event.add("summary", f"{item.label.get(language, item.label['de'])}: {item.title}")
            event.add("url", self._link(item))
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", item.label.get(language, item.label["de"]))
            alarm.add("trigger", timedelta(days=-1))
            event.add_component(alarm)
            calendar.add_component(event)
        return calendar.to_ical()

    def _link(self, item: DueItem) -> str:
        if item.proposal_id is not None:
            return f"{self.public_url}/proposals/{item.proposal_id}"
        if item.round_id is not None:
            return f"{self.public_url}/rounds/{item.round_id}"
        return f"{self.public_url}/alliances/{item.alliance_id}"
