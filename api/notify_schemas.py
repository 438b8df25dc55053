"""Bodies of the notification endpoints: the inbox, preferences, the operator's outbox, alliance hooks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflow.notify.outbox import MUTABLE_CHANNELS, Notification
from workflow.procedure.inputs import CenturyDate
from workflow.procedure.text_fields import ONE_LINE_REFUSED_CLASS

# An http(s) address on one line, as the engine checks it when it is set
# (workflow.alliances.admin.set_webhook), which also checks where it points (workflow/notify/webhook_target).
WEBHOOK_URL = f"^https?://[^\\s{ONE_LINE_REFUSED_CLASS}]+$"


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="reminder (before a deadline), escalation (after it passed) or step (it moved)")
    deadline: str = Field(description="the deadline's name in the procedure, e.g. revision")
    subject: str
    body: str
    proposal_id: int | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(id=n.id, kind=n.kind, deadline=n.topic, subject=n.subject, body=n.body,
                   proposal_id=n.proposal_id, created_at=n.created_at, read_at=n.read_at)


class OutboxMessageOut(BaseModel):
    id: int
    channel: str
    kind: str
    deadline: str
    status: str = Field(description="pending, sending, sent, failed (parked after the last attempt) or skipped")
    address: str | None
    subject: str
    user_id: int | None
    alliance_id: int | None
    proposal_id: int | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> OutboxMessageOut:
        return cls(id=n.id, channel=n.channel, kind=n.kind, deadline=n.topic, status=n.status, address=n.address,
                   subject=n.subject, user_id=n.user_id, alliance_id=n.alliance_id, proposal_id=n.proposal_id,
                   attempts=n.attempts, last_error=n.last_error, created_at=n.created_at, sent_at=n.sent_at,
                   next_attempt_at=n.next_attempt_at)


class Mute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The names the engine takes (it checks them itself, to name the entry: muted[0].channel).
    deadline: str = Field(min_length=1, max_length=60, description="e.g. hearing, revision, submission",
                          json_schema_extra={"pattern": "^[a-z][a-z0-9_]*$"})
    channel: str = Field(min_length=1, max_length=20, description="email or inapp",
                         json_schema_extra={"enum": list(MUTABLE_CHANNELS)})


class Preferences(BaseModel):
    """Reminders you do not want, per deadline and channel. Escalations to managers are always delivered."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"muted": [{"deadline": "hearing", "channel": "email"}]}]})
    muted: list[Mute] = Field(default_factory=list, max_length=100)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://fka-leipzig.example/hooks/foerderweg"}]})
    url: str | None = Field(max_length=500, description="null switches the webhook off",
                            json_schema_extra={"pattern": WEBHOOK_URL})


class WebhookOut(BaseModel):
    alliance_id: int
    url: str | None
    secret: str | None = Field(description="HMAC-SHA256 signing secret; shown only now, store it on the receiver")


class ActionConceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"adopted_on": "2026-05-12"}]})
    adopted_on: CenturyDate
