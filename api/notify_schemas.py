"""Bodies of the notification endpoints: the inbox, preferences, the operator's outbox, alliance hooks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import READS
from workflow.notify.outbox import MUTABLE_CHANNELS
from workflow.procedure.inputs import CenturyDate
from workflow.procedure.text_fields import ONE_LINE_REFUSED_CLASS

# An http(s) address on one line, as the engine checks it when it is set
# (workflow.alliances.admin.set_webhook), which also checks where it points (workflow/notify/webhook_target).
WEBHOOK_URL = f"^https?://[^\\s{ONE_LINE_REFUSED_CLASS}]+$"


class NotificationOut(BaseModel):
    # A Notification (workflow/notify/outbox.py) as its recipient sees it; its topic is the `deadline`.
    model_config = READS
    id: int
    kind: str = Field(description="reminder (before a deadline), escalation (after it passed) or step (it moved)")
    deadline: str = Field(validation_alias="topic", description="the deadline's name in the procedure, e.g. revision")
    subject: str
    body: str
    proposal_id: int | None
    created_at: datetime
    read_at: datetime | None


class OutboxMessageOut(BaseModel):
    # A Notification as the operator sees it: where it goes and how sending it went, not its body.
    model_config = READS
    id: int
    channel: str
    kind: str
    deadline: str = Field(validation_alias="topic")
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
