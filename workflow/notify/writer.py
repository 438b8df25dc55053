"""Outbox rows for one firing of a deadline: who is told, on which channels, in which words.

Called inside the sweep's transaction for the deadline row. Every row has a unique key
(deadline, firing, proposal, recipient, channel), so writing the same firing again writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlmodel import Session

from workflow import repository as repo
from workflow.deadlines.definition import DeadlineDef
from workflow.deadlines.schedule import Firing
from workflow.notify import store
from workflow.notify.messages import About, render
from workflow.procedure import Procedure

ROW_DEFAULTS: dict[str, Any] = {"payload": {}, "sent_at": None, "address": None, "user_id": None}


@dataclass(frozen=True)
class Audience:
    """People told about one thing: a proposal (or, for a round or alliance deadline, nothing narrower)."""

    proposal: Row[Any] | None
    people: Sequence[Row[Any]]


@dataclass(frozen=True)
class Outcome:
    """How a firing's notifications are written: to be sent, or recorded as skipped with the reason."""

    status: str  # pending | skipped
    why: str | None = None


class NotificationWriter:
    def __init__(self, procedure_of: Callable[[str, int], Procedure], *, email_enabled: bool,
                 public_url: str) -> None:
        self.procedure_of = procedure_of
        self.email_enabled = email_enabled
        self.public_url = public_url.rstrip("/")

    def write(self, session: Session, *, deadline: Row[Any], definition: DeadlineDef, firing: Firing,
              outcome: Outcome, now: datetime) -> int:
        """Write the firing's notifications; returns how many rows it asked for (existing keys are left)."""
        kind = "reminder" if firing.kind == "reminder" else "escalation"
        roles = definition.recipients if kind == "reminder" else definition.overdue.notify
        if not roles:
            return 0
        alliance_id, audiences, title = self._audiences(session, deadline, roles)
        webhook = None if alliance_id is None else store.alliance_field(session, alliance_id, "webhook_url")
        rows: list[dict[str, Any]] = []
        for audience in audiences:
            about = self._about(deadline, definition, audience.proposal, title)
            base = {
                "kind": kind, "topic": deadline.kind, "alliance_id": alliance_id, "deadline_id": deadline.id,
                "proposal_id": None if audience.proposal is None else audience.proposal.id, "created_at": now,
                "status": outcome.status, "last_error": outcome.why, "next_attempt_at": now,
            }
            key = f"d{deadline.id}:{firing.label}:p{base['proposal_id'] or '-'}"
            # Escalations to managers cannot be muted: someone must hear that a deadline passed.
            muted = store.muted(session, (p.id for p in audience.people), deadline.kind) if kind == "reminder" \
                else set()
            for person in audience.people:
                message = render(kind, about, name=person.name, language=person.language)
                text = {"subject": message.subject, "body": message.body, "user_id": person.id}
                if (person.id, "inapp") not in muted:
                    delivered = outcome.status == "pending"
                    rows.append({**base, **text, "key": f"{key}:u{person.id}:inapp", "channel": "inapp",
                                 "status": "sent" if delivered else outcome.status,
                                 "sent_at": now if delivered else None, "next_attempt_at": None})
                if self.email_enabled and person.email and (person.id, "email") not in muted:
                    rows.append({**base, **text, "key": f"{key}:u{person.id}:email", "channel": "email",
                                 "address": person.email})
            if webhook:
                payload = self._payload(kind, deadline, definition, firing, proposal=audience.proposal, about=about)
                rows.append({**base, "key": f"{key}:a{alliance_id}:webhook", "channel": "webhook",
                             "address": webhook, "subject": f"{kind} {deadline.kind}",
                             "body": json.dumps(payload, ensure_ascii=False, sort_keys=True), "payload": payload})
        # One batch needs the same columns in every row: channels differ in what they set.
        store.insert_outbox(session, [{**ROW_DEFAULTS, **r} for r in rows])
        return len(rows)

    def _audiences(self, session: Session, deadline: Row[Any],
                   roles: Sequence[str]) -> tuple[int | None, list[Audience], str | None]:
        if deadline.proposal_id is not None:
            proposal = repo.proposal(session, deadline.proposal_id)
            if proposal is None:
                return None, [], None
            people = [p for role in roles for p in self._people(session, role, proposal.alliance_id,
                                                                 [proposal.organisation_id])]
            return proposal.alliance_id, [Audience(proposal, people)], proposal.title
        alliance_id = deadline.alliance_id
        audiences = []
        title = None
        if deadline.round_id is not None:
            round_ = repo.round_row(session, deadline.round_id)
            title = None if round_ is None else round_.name
            if "draft_owners" in roles and round_ is not None:
                initial = self.procedure_of(round_.procedure_key, round_.procedure_version).initial
                for draft in repo.proposals_in(session, round_id=round_.id, state=initial):
                    audiences.append(Audience(draft, self._people(session, "applicant", alliance_id,
                                                                  [draft.organisation_id])))
        else:
            title = None if alliance_id is None else store.alliance_field(session, alliance_id, "name")
        others = [p for role in roles if role != "draft_owners" for p in self._people(session, role, alliance_id, [])]
        if others:
            audiences.append(Audience(None, others))
        return alliance_id, audiences, title

    @staticmethod
    def _people(session: Session, role: str, alliance_id: int | None,
                organisation_ids: list[int]) -> Sequence[Row[Any]]:
        if role == "applicant":
            # Only ever the applicants of the organisations named: never everyone's.
            return store.users(session, role="applicant", organisation_ids=organisation_ids) \
                if organisation_ids else []
        if role in ("reviewer", "manager"):
            return store.users(session, role=role, alliance_id=alliance_id) if alliance_id is not None else []
        return store.users(session, role=role)

    def _about(self, deadline: Row[Any], definition: DeadlineDef, proposal: Row[Any] | None,
               title: str | None) -> About:
        state = None
        if proposal is not None:
            procedure = self.procedure_of(proposal.procedure_key, proposal.procedure_version)
            state = procedure.state(proposal.state).label.model_dump()
            link = f"{self.public_url}/proposals/{proposal.id}"
            title = proposal.title
        elif deadline.round_id is not None:
            link = f"{self.public_url}/rounds/{deadline.round_id}"
        else:
            link = f"{self.public_url}/alliances/{deadline.alliance_id}"
        return About(deadline=definition.label.model_dump(),
                     todo=None if definition.todo is None else definition.todo.model_dump(),
                     due_at=deadline.due_at, title=title, state=state, link=link)

    @staticmethod
    def _payload(kind: str, deadline: Row[Any], definition: DeadlineDef, firing: Firing, *,
                 proposal: Row[Any] | None, about: About) -> dict[str, Any]:
        return {
            "event": f"deadline.{kind}",
            "firing": firing.label,
            "deadline": {"id": deadline.id, "kind": deadline.kind, "label": definition.label.model_dump(),
                         "due_at": deadline.due_at.isoformat(), "round_id": deadline.round_id,
                         "alliance_id": deadline.alliance_id},
            "proposal": None if proposal is None else {
                "id": proposal.id, "title": proposal.title, "state": proposal.state, "link": about.link},
        }
