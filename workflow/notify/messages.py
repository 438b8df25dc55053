"""The words of a notification, in the recipient's language: what is due, by when, what to do, where to look.

Plain text on purpose: it reads the same in every mail client, in the in-app inbox and in a webhook consumer's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from workflow.procedure.labels import Labels
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


@dataclass(frozen=True)
class StepAbout:
    """A step a proposal took: the labels come from its procedure and carry both languages."""

    title: str
    transition: Labels
    state: Labels
    before: Labels
    link: str


@lru_cache(maxsize=4096)
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


TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "reminder_subject": "Erinnerung: {deadline} am {due}",
        "escalation_subject": "Frist überschritten: {deadline} ({due})",
        "greeting": "Guten Tag {name},",
        "reminder": "{deadline}: fällig am {due}.",
        "escalation": "{deadline}: Die Frist ist am {due} abgelaufen, ohne dass etwas erfasst wurde.",
        "proposal": "Antrag: {title}",
        "state": " (Stand: {state})",
        "todo": "Was zu tun ist: {todo}",
        "step_subject": "Antrag »{title}«: jetzt {state}",
        "step": "Ihr Antrag »{title}« ist einen Schritt weiter: {transition}.",
        "step_state": "Stand jetzt: {state} (vorher: {before})",
        "footer": "Diese Nachricht wurde von foerderweg versandt.",
    },
    "en": {
        "reminder_subject": "Reminder: {deadline} on {due}",
        "escalation_subject": "Overdue: {deadline} ({due})",
        "greeting": "Hello {name},",
        "reminder": "{deadline}: due {due}.",
        "escalation": "{deadline}: the deadline passed on {due} and nothing has been recorded yet.",
        "proposal": "Proposal: {title}",
        "state": " (now: {state})",
        "todo": "What to do: {todo}",
        "step_subject": "Proposal “{title}”: now {state}",
        "step": "Your proposal “{title}” has moved on: {transition}.",
        "step_state": "Now: {state} (before: {before})",
        "footer": "This message was sent by foerderweg.",
    },
}


def render(kind: str, about: About, *, name: str, language: str) -> Message:
    """A reminder (before the deadline) or an escalation (after it), in German unless the person reads English."""
    language = "en" if language == "en" else "de"
    text = TEXTS[language]
    deadline, due = about.deadline[language], when(about.due_at, language)
    kind = "reminder" if kind == "reminder" else "escalation"
    subject = text[f"{kind}_subject"].format(deadline=deadline, due=due)
    if about.title:
        subject += f" – {about.title}"
    lines = [text["greeting"].format(name=name), "", text[kind].format(deadline=deadline, due=due)]
    if about.title:
        state = text["state"].format(state=about.state[language]) if about.state else ""
        lines.append(text["proposal"].format(title=about.title) + state)
    if about.todo:
        lines += ["", text["todo"].format(todo=about.todo[language])]
    if about.link:
        lines += ["", about.link]
    lines += ["", "-- ", text["footer"]]
    return Message(subject=subject[:300], body="\n".join(lines) + "\n")


def render_step(about: StepAbout, *, name: str, language: str) -> Message:
    """A proposal moved on: what happened and where it stands now, in German unless the person reads English."""
    language = "en" if language == "en" else "de"
    text = TEXTS[language]
    state = about.state.get(language)
    lines = [
        text["greeting"].format(name=name), "",
        text["step"].format(title=about.title, transition=about.transition.get(language)),
        text["step_state"].format(state=state, before=about.before.get(language)), "",
        about.link, "", "-- ", text["footer"],
    ]
    return Message(subject=text["step_subject"].format(title=about.title, state=state)[:300],
                   body="\n".join(lines) + "\n")
