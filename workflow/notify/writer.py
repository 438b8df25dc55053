"""Outbox rows for one firing of a deadline: who is told, on which channels, in which words.

Called inside the sweep's transaction for a batch of deadline rows; what they need is read once for the batch
(lookup.py). Every row has a unique key (deadline, firing, proposal, recipient, channel), so writing the same
firing again writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from workflow.deadlines.definition import DeadlineDef
from workflow.deadlines.schedule import Firing
from workflow.notify import store
from workflow.notify.lookup import BatchLookup
from workflow.notify.messages import About, render
from workflow.notify.records import Person, SweptDeadline
from workflow.procedure.definition import Procedure
from workflow.procedure.labels import Labels
from workflow.proposals import store as repo
from workflow.proposals.records import ProposalHeadline, ProposalRecord

ROW_DEFAULTS: dict[str, Any] = {"payload": {}, "sent_at": None, "address": None, "user_id": None, "attempts": 0}


@dataclass(frozen=True)
class Audience:
    """People told about one thing: a proposal (or, for a round or alliance deadline, nothing narrower)."""

    proposal: ProposalHeadline | ProposalRecord | None
    people: Sequence[Person]


@dataclass(frozen=True)
class Told:
    """Everyone one firing tells, by proposal, with the alliance it belongs to and what it is called."""

    alliance_id: int | None
    audiences: list[Audience]
    title: str | None


NOBODY = Told(None, [], None)


@dataclass(frozen=True)
class Outcome:
    """How a firing's notifications are written: to be sent, or recorded as skipped with the reason."""

    status: str  # pending | skipped
    why: str | None = None


@dataclass(frozen=True)
class DueFiring:
    """One firing of one deadline, to be written as notifications."""

    deadline: SweptDeadline
    definition: DeadlineDef
    firing: Firing
    outcome: Outcome

    @property
    def kind(self) -> str:
        return "reminder" if self.firing.kind == "reminder" else "escalation"

    @property
    def roles(self) -> Sequence[str]:
        return self.definition.recipients if self.kind == "reminder" else self.definition.overdue.notify


class NotificationWriter:
    def __init__(self, procedure_of: Callable[[str, int], Procedure], *, email_enabled: bool,
                 public_url: str) -> None:
        self.procedure_of = procedure_of
        self.email_enabled = email_enabled
        self.public_url = public_url.rstrip("/")

    def write_many(self, session: Session, items: Sequence[DueFiring], *, now: datetime) -> list[int]:
        """Write the notifications of many firings in one INSERT; how many rows each asked for, in order (a key
        written before, by an earlier or a parallel sweep, is left as it is)."""
        lookup = BatchLookup(session, [item.deadline for item in items])
        told = [self._told(session, lookup, item) if item.roles else NOBODY for item in items]
        lookup.load_mutes(person.id for each in told for audience in each.audiences for person in audience.people)
        rows: list[dict[str, Any]] = []
        counts = []
        for item, each in zip(items, told, strict=True):
            made = self._rows(lookup, item, each, now)
            counts.append(len(made))
            rows += made
        store.insert_outbox(session, rows)
        return counts

    def _rows(self, lookup: BatchLookup, item: DueFiring, told: Told, now: datetime) -> list[dict[str, Any]]:
        deadline, kind, outcome, alliance_id = item.deadline, item.kind, item.outcome, told.alliance_id
        webhook = lookup.webhook(alliance_id)
        rows: list[dict[str, Any]] = []
        for audience in told.audiences:
            about = self._about(deadline, item.definition, audience.proposal, told.title)
            # One batch needs the same columns in every row (one executemany): channels differ in what they set.
            base = {
                **ROW_DEFAULTS, "kind": kind, "topic": deadline.kind, "alliance_id": alliance_id,
                "deadline_id": deadline.id,
                "proposal_id": None if audience.proposal is None else audience.proposal.id, "created_at": now,
                "status": outcome.status, "last_error": outcome.why, "next_attempt_at": now,
            }
            key = f"d{deadline.id}:{item.firing.label}:p{base['proposal_id'] or '-'}"
            for person in audience.people:
                # Escalations to managers cannot be muted: someone must hear that a deadline passed.
                mutes = lookup.mutes(person.id) if kind == "reminder" else set()
                muted = {channel for channel in ("inapp", "email") if (deadline.kind, channel) in mutes}
                message = render(kind, about, name=person.name, language=person.language)
                text = {"subject": message.subject, "body": message.body, "user_id": person.id}
                if "inapp" not in muted:
                    delivered = outcome.status == "pending"
                    rows.append({**base, **text, "key": f"{key}:u{person.id}:inapp", "channel": "inapp",
                                 "status": "sent" if delivered else outcome.status,
                                 "sent_at": now if delivered else None, "next_attempt_at": None})
                if self.email_enabled and person.email and "email" not in muted:
                    rows.append({**base, **text, "key": f"{key}:u{person.id}:email", "channel": "email",
                                 "address": person.email})
            if webhook:
                payload = self._payload(kind, deadline, item.definition, item.firing, proposal=audience.proposal,
                                        about=about)
                rows.append({**base, "key": f"{key}:a{alliance_id}:webhook", "channel": "webhook",
                             "address": webhook, "subject": f"{kind} {deadline.kind}",
                             "body": json.dumps(payload, ensure_ascii=False, sort_keys=True), "payload": payload})
        return rows

    def _told(self, session: Session, lookup: BatchLookup, item: DueFiring) -> Told:
        deadline, roles = item.deadline, item.roles
        if deadline.proposal_id is not None:
            proposal = lookup.proposal(deadline.proposal_id)
            if proposal is None:
                return NOBODY
            people = [p for role in roles
                      for p in lookup.people(role, proposal.alliance_id, [proposal.organisation_id])]
            return Told(proposal.alliance_id, [Audience(proposal, people)], proposal.title)
        alliance_id = deadline.alliance_id
        audiences = []
        title = None
        if deadline.round_id is not None:
            round_ = repo.round_row(session, deadline.round_id)
            title = None if round_ is None else round_.name
            if "draft_owners" in roles and round_ is not None:
                initial = self.procedure_of(round_.procedure_key, round_.procedure_version).initial
                drafts = repo.proposals_in(session, round_id=round_.id, state=initial)
                lookup.load_applicants(draft.organisation_id for draft in drafts)
                audiences += [Audience(draft, lookup.people("applicant", alliance_id, [draft.organisation_id]))
                              for draft in drafts]
        else:
            title = lookup.alliance_name(alliance_id)
        others = [p for role in roles if role != "draft_owners" for p in lookup.people(role, alliance_id, [])]
        if others:
            audiences.append(Audience(None, others))
        return Told(alliance_id, audiences, title)

    def _about(self, deadline: SweptDeadline, definition: DeadlineDef,
               proposal: ProposalHeadline | ProposalRecord | None, title: str | None) -> About:
        state = None
        if proposal is not None:
            procedure = self.procedure_of(proposal.procedure_key, proposal.procedure_version)
            state = _texts(procedure.state(proposal.state).label)
            link = f"{self.public_url}/proposals/{proposal.id}"
            title = proposal.title
        elif deadline.round_id is not None:
            link = f"{self.public_url}/rounds/{deadline.round_id}"
        else:
            link = f"{self.public_url}/alliances/{deadline.alliance_id}"
        return About(deadline=_texts(definition.label),
                     todo=None if definition.todo is None else _texts(definition.todo),
                     due_at=deadline.due_at, title=title, state=state, link=link)

    @staticmethod
    def _payload(kind: str, deadline: SweptDeadline, definition: DeadlineDef, firing: Firing, *,
                 proposal: ProposalHeadline | ProposalRecord | None, about: About) -> dict[str, Any]:
        return {
            "event": f"deadline.{kind}",
            "firing": firing.label,
            "deadline": {"id": deadline.id, "kind": deadline.kind, "label": definition.label.model_dump(),
                         "due_at": deadline.due_at.isoformat(), "round_id": deadline.round_id,
                         "alliance_id": deadline.alliance_id},
            "proposal": None if proposal is None else {
                "id": proposal.id, "title": proposal.title, "state": proposal.state, "link": about.link},
        }


_TEXTS: dict[int, tuple[Labels, dict[str, str]]] = {}


def _texts(labels: Labels) -> dict[str, str]:
    """A label as plain texts, made once per label: a large sweep asks for the same few thousands of times.
    Callers only read it. Found by identity: a label is a frozen model whose hash is computed from its fields at
    every call, three times per notification."""
    found = _TEXTS.get(id(labels))
    if found is not None and found[0] is labels:
        return found[1]
    if len(_TEXTS) > 4096:  # procedures published again and again: forget the old ones' labels
        _TEXTS.clear()
    texts = labels.model_dump()
    _TEXTS[id(labels)] = (labels, texts)
    return texts
