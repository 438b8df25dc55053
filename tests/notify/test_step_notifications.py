"""Applicants hear when their proposal moved, without polling: in the app and by mail, in their language, as they
chose; the alliance's systems hear of it by a signed webhook that names no person and no money. The notes commit
with the step or not at all, and a step written twice is told once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from api.idempotency import Once, StoredAnswer, answer_once
from schedules.ticks import Ticks
from tests.factories import AFTER_CLOSE, REASON, WHILE_OPEN, new_draft
from tests.schedules.conftest import PUBLIC_URL, Crew, duplicate_keys, outbox
from tests.schedules.loopback import SmtpServer, WebhookReceiver
from workflow.context import Context
from workflow.errors import GuardFailed, InvalidInput
from workflow.notify.outbox import Notification
from workflow.notify.steps import StepNotifier
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.proposals import store as repo

TITLE = "MINT-Netzwerk Leipzig"


def fire(ctx: Context, actor: Actor, proposal_id: int, transition: str, version: int, *, now: datetime) -> int:
    return ctx.proposals.fire(actor, proposal_id, transition, expected_version=version, now=now,
                              reason=REASON).version


def inbox(ctx: Context, actor: Actor) -> list[Notification]:
    return ctx.outbox.inbox(actor)


def state_of(ctx: Context, proposal_id: int) -> tuple[str, int]:
    with ctx.db.read() as session:
        row = repo.proposal(session, proposal_id)
    assert row is not None
    return row.state, row.version


def test_colleagues_hear_of_each_step_in_their_language_but_the_one_who_took_it_does_not(
        mail_ctx: Context, crew: Crew, smtp: SmtpServer) -> None:
    world = crew.world
    applicant, manager = world.actor(Role.APPLICANT), world.actor(Role.MANAGER)
    proposal_id = new_draft(mail_ctx, world, title=TITLE)
    link = f"{PUBLIC_URL}/proposals/{proposal_id}"

    fire(mail_ctx, applicant, proposal_id, "submit", 1, now=WHILE_OPEN)

    assert inbox(mail_ctx, applicant) == []  # who submitted knows it
    [german] = inbox(mail_ctx, crew.anna.actor)
    assert (german.kind, german.topic, german.proposal_id) == ("step", "proposal_step", proposal_id)
    assert german.subject == f"Antrag »{TITLE}«: jetzt Eingereicht"
    assert german.body.startswith("Guten Tag Anna Schubert,\n")
    assert f"Ihr Antrag »{TITLE}« ist einen Schritt weiter: Einreichen." in german.body
    assert "Stand jetzt: Eingereicht (vorher: Entwurf)" in german.body
    assert link in german.body.splitlines()
    assert german.body.endswith("Diese Nachricht wurde von foerderweg versandt.\n")
    [english] = inbox(mail_ctx, crew.ben.actor)
    assert english.subject == f"Proposal “{TITLE}”: now Submitted"
    assert english.body.startswith("Hello Ben Carter,\n")
    assert f"Your proposal “{TITLE}” has moved on: Submit." in english.body
    assert "Now: Submitted (before: Draft)" in english.body
    assert link in english.body.splitlines()

    # The manager's step reaches every applicant of the organisation, and nobody outside it.
    fire(mail_ctx, manager, proposal_id, "open_review", 2, now=AFTER_CLOSE)
    assert [n.subject for n in inbox(mail_ctx, applicant)] == [f"Antrag »{TITLE}«: jetzt In Begutachtung"]
    assert [n.subject for n in inbox(mail_ctx, crew.ben.actor)] == [f"Proposal “{TITLE}”: now In review",
                                                                     f"Proposal “{TITLE}”: now Submitted"]
    for outsider in (world.other_applicant, manager, crew.maria.actor, world.actor(Role.REVIEWER)):
        assert inbox(mail_ctx, outsider) == []

    # Mail goes to those with an address (the world's applicant has none), in their language, when drained.
    report = Ticks(mail_ctx, real_time=False).drain(AFTER_CLOSE)
    assert (report.sent, report.retrying, report.failed) == (4, 0, 0)
    assert sorted(m.subject for m in smtp.to(crew.anna.email)) == [f"Antrag »{TITLE}«: jetzt Eingereicht",
                                                                   f"Antrag »{TITLE}«: jetzt In Begutachtung"]
    assert sorted(m.subject for m in smtp.to(crew.ben.email)) == [f"Proposal “{TITLE}”: now In review",
                                                                  f"Proposal “{TITLE}”: now Submitted"]
    assert len(smtp.mails) == 4


def test_a_mute_of_proposal_steps_holds_per_channel(mail_ctx: Context, crew: Crew) -> None:
    with pytest.raises(InvalidInput):
        mail_ctx.outbox.set_mutes(crew.anna.actor, [("proposal_steps", "inapp")])
    mail_ctx.outbox.set_mutes(crew.anna.actor, [("proposal_step", "inapp")])
    mail_ctx.outbox.set_mutes(crew.ben.actor, [("proposal_step", "email"), ("revision", "inapp")])
    proposal_id = new_draft(mail_ctx, crew.world, title=TITLE)

    fire(mail_ctx, crew.world.actor(Role.APPLICANT), proposal_id, "submit", 1, now=WHILE_OPEN)

    assert inbox(mail_ctx, crew.anna.actor) == []
    assert [r.address for r in outbox(mail_ctx, channel="email")] == [crew.anna.email]
    assert [n.subject for n in inbox(mail_ctx, crew.ben.actor)] == [f"Proposal “{TITLE}”: now Submitted"]


def test_the_alliance_webhook_hears_of_a_step_signed_and_without_personal_data(
        mail_ctx: Context, crew: Crew, receiver: WebhookReceiver) -> None:
    world = crew.world
    _, secret = mail_ctx.admin.set_webhook(SYSTEM, world.alliance_id, receiver.url)
    receiver.secret = secret
    proposal_id = new_draft(mail_ctx, world, title=TITLE)

    fire(mail_ctx, crew.anna.actor, proposal_id, "submit", 1, now=WHILE_OPEN)

    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.kind, row.topic, row.status, row.address, row.user_id) == (
        "step", "proposal_step", "pending", receiver.url, None)
    expected: dict[str, Any] = {
        "event": "proposal.step",
        "at": WHILE_OPEN.astimezone(UTC).isoformat(),
        "alliance_id": world.alliance_id,
        "proposal": {"id": proposal_id, "version": 2, "state": "submitted",
                     "link": f"{PUBLIC_URL}/proposals/{proposal_id}"},
        "step": {"transition": "submit", "label": {"de": "Einreichen", "en": "Submit"}, "from": "draft",
                 "to": "submitted", "actor_role": "applicant"},
    }
    assert row.payload == expected
    # No names, addresses or amounts of the plan (staff costs 40,000, grant 45,000 in the factory's plan).
    for personal in (crew.anna.name, crew.anna.email, crew.ben.name, "Prof. Wieland", "40000", "45000", "Kofinanz"):
        assert personal not in row.body

    report = Ticks(mail_ctx, real_time=False).drain(WHILE_OPEN)
    assert report.failed == 0 and report.retrying == 0
    [call] = receiver.accepted()
    assert call.signature_valid and call.json() == expected
    assert call.delivery == hashlib.sha256(row.key.encode()).hexdigest()[:32]
    assert outbox(mail_ctx, channel="webhook")[0].status == "sent"


def test_a_step_that_does_not_happen_tells_nobody(mail_ctx: Context, crew: Crew) -> None:
    applicant = crew.world.actor(Role.APPLICANT)
    # A rule fails: no step, no note.
    incomplete = new_draft(mail_ctx, crew.world, title=TITLE, plan=[])
    with pytest.raises(GuardFailed):
        fire(mail_ctx, applicant, incomplete, "submit", 1, now=WHILE_OPEN)
    assert outbox(mail_ctx) == []

    # Something fails after the notes were written: they roll back with the step.
    written = mail_ctx.proposals.notifier

    class WriteThenFail:
        def write(self, *args: Any, **kwargs: Any) -> int:
            written.write(*args, **kwargs)
            raise RuntimeError("the disk is full")

    mail_ctx.proposals.notifier = WriteThenFail()
    proposal_id = new_draft(mail_ctx, crew.world, title=TITLE)
    with pytest.raises(RuntimeError):
        fire(mail_ctx, applicant, proposal_id, "submit", 1, now=WHILE_OPEN)
    assert outbox(mail_ctx) == [] and state_of(mail_ctx, proposal_id) == ("draft", 1)

    mail_ctx.proposals.notifier = written
    fire(mail_ctx, applicant, proposal_id, "submit", 1, now=WHILE_OPEN)
    assert state_of(mail_ctx, proposal_id) == ("submitted", 2)
    assert len(outbox(mail_ctx, channel="inapp")) == 2


def test_the_same_step_is_told_once(mail_ctx: Context, crew: Crew) -> None:
    applicant = crew.world.actor(Role.APPLICANT)
    proposal_id = new_draft(mail_ctx, crew.world, title=TITLE)
    once = Once(key="submit-mint", scope=f"POST /proposals/{proposal_id}/transitions", fingerprint="submit")

    def submit(session: Session) -> StoredAnswer:
        step = mail_ctx.proposals.step(session, applicant, proposal_id, "submit", expected_version=1,
                                       now=WHILE_OPEN)
        return StoredAnswer(status=200, body={"version": step.version})

    first = answer_once(mail_ctx.db, applicant, once, WHILE_OPEN, submit)
    rows = outbox(mail_ctx)
    assert len(rows) == 4  # anna and ben, in the app and by mail
    # A retried request is answered as the first was, and tells nobody again.
    assert answer_once(mail_ctx.db, applicant, once, WHILE_OPEN, submit) == first
    assert outbox(mail_ctx) == rows

    # Writing the same step's notes again (a retry inside the engine) leaves the existing rows.
    notifier = StepNotifier(mail_ctx.procedures.get, email_enabled=True, public_url=PUBLIC_URL)
    with mail_ctx.db.write() as session:
        row = repo.proposal(session, proposal_id)
        assert row is not None
        notifier.write(session, proposal=row, actor=applicant, transition="submit", from_state="draft",
                       to_state="submitted", version=2, now=WHILE_OPEN)
    assert outbox(mail_ctx) == rows and duplicate_keys(mail_ctx) == []
    with mail_ctx.db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(repo.AUDIT)).scalar() == 2
