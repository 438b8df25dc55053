"""The words of a notification, in the recipient's language: what is due, by when, what to do, where to look.

Plain text on purpose: it reads the same in every mail client, in the in-app inbox and in a webhook consumer's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workflow.timeutil import DEFAULT_ZONE


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True)
class About:
    """What a notification is about, in both languages where it differs."""

    deadline: dict[str, str]
    todo: dict[str, str] | None
    due_at: datetime
    title: str | None = None  # the proposal's, or the round's or alliance's name
    state: dict[str, str] | None = None
    link: str | None = None


def when(moment: datetime, language: str) -> str:
    """'31.05.2016, 24:00 Uhr' rather than '01.06.2016 00:00': a deadline that ends with its day reads as that day."""
    here = moment.astimezone(DEFAULT_ZONE)
    if (here.hour, here.minute) == (0, 0):
        day, clock = here - timedelta(days=1), "24:00"
    else:
        day, clock = here, f"{here:%H:%M}"
    if language == "en":
        return f"{day:%d.%m.%Y}, {clock} (Berlin time)"
    return f"{day:%d.%m.%Y}, {clock} Uhr"


def render(kind: str, about: About, *, name: str, language: str) -> Message:
    language = "en" if language == "en" else "de"
    deadline = about.deadline[language]
    due = when(about.due_at, language)
    subject_of = f" – {about.title}" if about.title else ""
    if language == "en":
        subject = (f"Reminder: {deadline} on {due}" if kind == "reminder"
                   else f"Overdue: {deadline} ({due})") + subject_of
        lines = [f"Hello {name},", ""]
        lines.append(f"{deadline}: due {due}." if kind == "reminder"
                     else f"{deadline}: the deadline passed on {due} and nothing has been recorded yet.")
        if about.title:
            lines.append(f"Proposal: {about.title}" + (f" (now: {about.state['en']})" if about.state else ""))
        if about.todo:
            lines += ["", f"What to do: {about.todo['en']}"]
        footer = "This message was sent by foerderweg."
    else:
        subject = (f"Erinnerung: {deadline} am {due}" if kind == "reminder"
                   else f"Frist überschritten: {deadline} ({due})") + subject_of
        lines = [f"Guten Tag {name},", ""]
        lines.append(f"{deadline}: fällig am {due}." if kind == "reminder"
                     else f"{deadline}: Die Frist ist am {due} abgelaufen, ohne dass etwas erfasst wurde.")
        if about.title:
            lines.append(f"Antrag: {about.title}" + (f" (Stand: {about.state['de']})" if about.state else ""))
        if about.todo:
            lines += ["", f"Was zu tun ist: {about.todo['de']}"]
        footer = "Diese Nachricht wurde von foerderweg versandt."
    if about.link:
        lines += ["", about.link]
    lines += ["", "-- ", footer]
    return Message(subject=subject[:300], body="\n".join(lines) + "\n")
