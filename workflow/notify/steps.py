"""Outbox rows for one step of a proposal: its applicants hear that it moved, the alliance's systems too.

Called inside the step's transaction (ProposalService.step, as the notifier it was built with), so the step and
its notifications commit or roll back together. This runs on every transition, the hot path: one query finds the
recipients with their mutes and the alliance's webhook (notify/store.py), one statement inserts the rows; no ORM
objects, nothing per recipient.

Every row's key names proposal, version, recipient and channel, so writing the same step twice writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from workflow.notify import store
from workflow.notify.messages import StepAbout, render_step
from workflow.notify.records import AudienceRow
from workflow.notify.writer import ROW_DEFAULTS
from workflow.people.actors import Actor
from workflow.procedure.definition import Procedure
from workflow.proposals.records import ProposalRecord

STEP_TOPIC = "proposal_step"
STEP_KIND = "step"


@dataclass
class Recipient:
    id: int
    name: str
    email: str | None
    language: str
    muted: set[str] = field(default_factory=set)  # channels


class StepNotifier:
    def __init__(self, procedure_of: Callable[[str, int], Procedure], *, email_enabled: bool,
                 public_url: str) -> None:
        self.procedure_of = procedure_of
        self.email_enabled = email_enabled
        self.public_url = public_url.rstrip("/")

    def write(self, session: Session, *, proposal: ProposalRecord, actor: Actor, transition: str, from_state: str,
              to_state: str, version: int, now: datetime) -> int:
        """Write the step's notifications; returns how many rows it asked for (existing keys are left)."""
        webhook, people = _audience(session, proposal, actor)
        if not people and not webhook:
            return 0
        procedure = self.procedure_of(proposal.procedure_key, proposal.procedure_version)
        link = f"{self.public_url}/proposals/{proposal.id}"
        about = StepAbout(title=proposal.title, transition=procedure.transitions[transition].label,
                          state=procedure.state(to_state).label, before=procedure.state(from_state).label,
                          link=link)
        base = {"kind": STEP_KIND, "topic": STEP_TOPIC, "alliance_id": proposal.alliance_id, "deadline_id": None,
                "proposal_id": proposal.id, "created_at": now, "status": "pending", "last_error": None,
                "next_attempt_at": now}
        key = f"p{proposal.id}:v{version}"
        rows: list[dict[str, Any]] = []
        for person in people:
            message = render_step(about, name=person.name, language=person.language)
            text = {"subject": message.subject, "body": message.body, "user_id": person.id}
            if "inapp" not in person.muted:
                # In-app messages are delivered by being written.
                rows.append({**base, **text, "key": f"{key}:u{person.id}:inapp", "channel": "inapp",
                             "status": "sent", "sent_at": now, "next_attempt_at": None})
            if self.email_enabled and person.email and "email" not in person.muted:
                rows.append({**base, **text, "key": f"{key}:u{person.id}:email", "channel": "email",
                             "address": person.email})
        if webhook:
            payload = _payload(proposal, actor, transition=transition, from_state=from_state, to_state=to_state,
                               version=version, now=now, about=about)
            rows.append({**base, "key": f"{key}:a{proposal.alliance_id}:webhook", "channel": "webhook",
                         "address": webhook, "subject": f"{STEP_KIND} {transition}",
                         "body": json.dumps(payload, ensure_ascii=False, sort_keys=True), "payload": payload})
        # One batch needs the same columns in every row: channels differ in what they set.
        store.insert_outbox(session, [{**ROW_DEFAULTS, **r} for r in rows])
        return len(rows)


def _audience(session: Session, proposal: ProposalRecord, actor: Actor) -> tuple[str | None, list[Recipient]]:
    """The alliance's webhook URL and the organisation's applicants (but the actor) with their mutes of steps."""
    return _recipients(store.step_audience(session, alliance_id=proposal.alliance_id,
                                           organisation_id=proposal.organisation_id, actor_id=actor.user_id,
                                           topic=STEP_TOPIC))


def _recipients(rows: Sequence[AudienceRow]) -> tuple[str | None, list[Recipient]]:
    webhook: str | None = None
    found: dict[int, Recipient] = {}
    for row in rows:
        webhook = row.webhook_url
        if row.id is None or row.name is None or row.language is None:  # nobody to tell (both NOT NULL columns)
            continue
        person = found.get(row.id)
        if person is None:
            person = found[row.id] = Recipient(id=row.id, name=row.name, email=row.email, language=row.language)
        if row.channel is not None:
            person.muted.add(row.channel)
    return webhook, list(found.values())


def _payload(proposal: ProposalRecord, actor: Actor, *, transition: str, from_state: str, to_state: str, version: int,
             now: datetime, about: StepAbout) -> dict[str, Any]:
    """What the alliance's systems learn of a step: ids, states and labels only, no person and no money."""
    return {
        "event": "proposal.step",
        "at": now.astimezone(UTC).isoformat(),
        "alliance_id": proposal.alliance_id,
        "proposal": {"id": proposal.id, "version": version, "state": to_state, "link": about.link},
        "step": {"transition": transition, "label": about.transition.model_dump(), "from": from_state,
                 "to": to_state, "actor_role": actor.role.value},
    }
