"""Reminders leave the building: mails reach a real SMTP server in the reader's language, webhooks reach the
alliance's receiver signed with its secret, and what a receiver refuses is retried, parked, and sent again.

Time is a parameter: every sweep and drain names its moment; backoff is waited out by passing a later `now`.
"""

from __future__ import annotations

import hashlib
import smtplib
from datetime import datetime, timedelta

import pytest

from schedules.channels.email import message_id
from schedules.channels.webhook import verify
from schedules.ticks import Ticks
from tests.schedules.conftest import (
    HEARING_REMINDED,
    PUBLIC_URL,
    REVISION_OVERDUE,
    REVISION_REMINDED,
    Crew,
    in_revision,
    outbox,
)
from tests.schedules.loopback import SmtpServer, WebhookReceiver
from workflow.context import Context
from workflow.errors import Forbidden
from workflow.people.actors import SYSTEM

TITLE = "MINT-Netzwerk Leipzig"
SECOND = timedelta(seconds=1)


def drain(ctx: Context, now: datetime) -> tuple[int, int, int]:
    report = Ticks(ctx, real_time=False).drain(now)
    return report.sent, report.retrying, report.failed


def test_reminder_mails_arrive_in_each_readers_language(mail_ctx: Context, crew: Crew, smtp: SmtpServer) -> None:
    proposal_id = in_revision(mail_ctx, crew.world, title=TITLE)
    link = f"{PUBLIC_URL}/proposals/{proposal_id}"

    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    assert drain(mail_ctx, REVISION_REMINDED) == (2, 0, 0)

    # Only people with an address get mail (the world's applicant has none); the manager is not reminded.
    assert len(smtp.mails) == 2 and not smtp.to(crew.maria.email)
    [german] = smtp.to(crew.anna.email)
    assert german.subject == f"Erinnerung: Frist für den überarbeiteten Antrag am 15.06.2026, 24:00 Uhr – {TITLE}"
    assert german.body.startswith("Guten Tag Anna Schubert,\n")
    assert "fällig am 15.06.2026, 24:00 Uhr" in german.body
    assert f"Antrag: {TITLE} (Stand: Überarbeitung angefordert)" in german.body
    assert "Was zu tun ist: Reichen Sie den überarbeiteten Antrag ein" in german.body
    assert link in german.body.splitlines()
    [english] = smtp.to(crew.ben.email)
    assert english.subject == ("Reminder: Deadline for the revised proposal on 15.06.2026, 24:00 (Berlin time)"
                               f" – {TITLE}")
    assert english.body.startswith("Hello Ben Carter,\n")
    assert f"Proposal: {TITLE} (now: Revision requested)" in english.body
    assert "What to do: Resubmit the revised proposal" in english.body
    assert link in english.body.splitlines()

    # Each mail carries the Message-ID of its outbox row, and the row says when it went out.
    rows = outbox(mail_ctx, channel="email")
    assert {message_id(r.key) for r in rows} == {german.message_id, english.message_id}
    assert all(r.status == "sent" and r.sent_at == REVISION_REMINDED and r.attempts == 1 for r in rows)
    assert german.message["To"] == crew.anna.email and german.message["Auto-Submitted"] == "auto-generated"

    # When the deadline passes, the manager hears of it in German; the applicants get nothing more.
    mail_ctx.sweeper.sweep(REVISION_OVERDUE)
    assert drain(mail_ctx, REVISION_OVERDUE) == (1, 0, 0)
    [overdue] = smtp.to(crew.maria.email)
    assert overdue.subject == ("Frist überschritten: Frist für den überarbeiteten Antrag (15.06.2026, 24:00 Uhr)"
                               f" – {TITLE}")
    assert "Die Frist ist am 15.06.2026, 24:00 Uhr abgelaufen" in overdue.body and link in overdue.body
    assert len(smtp.mails) == 3


def test_webhook_posts_carry_a_signature_only_the_alliance_secret_verifies(
    mail_ctx: Context, crew: Crew, receiver: WebhookReceiver
) -> None:
    alliance, secret = mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    assert secret and alliance.webhook_url == receiver.url
    receiver.secret = secret
    proposal_id = in_revision(mail_ctx, crew.world, title=TITLE)

    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    assert drain(mail_ctx, REVISION_REMINDED) == (3, 0, 0)  # two mails, one webhook

    [call] = receiver.calls
    assert call.answered == 200 and call.signature_valid and call.path == "/hooks/foerderweg"
    assert call.signature.startswith("sha256=") and verify(secret, call.timestamp, call.body, call.signature)
    assert not verify(secret + "x", call.timestamp, call.body, call.signature)
    assert not verify("the secret of another alliance", call.timestamp, call.body, call.signature)
    assert not verify(secret, call.timestamp, call.body.replace(b"r2d", b"r7d"), call.signature)
    assert not verify(secret, str(int(call.timestamp) + 1), call.body, call.signature)

    event = call.json()
    assert event["event"] == "deadline.reminder" and event["firing"] == "r2d"
    assert event["deadline"]["kind"] == "revision" and event["deadline"]["due_at"].startswith("2026-06-15T22:00")
    assert event["proposal"] == {"id": proposal_id, "title": TITLE, "state": "revision_requested",
                                 "link": f"{PUBLIC_URL}/proposals/{proposal_id}"}
    [row] = outbox(mail_ctx, channel="webhook")
    assert call.delivery == hashlib.sha256(row.key.encode()).hexdigest()[:32]
    assert row.status == "sent" and row.address == receiver.url


def test_a_refusing_receiver_is_retried_with_growing_pauses_then_parked_until_an_operator_retries(
    mail_ctx: Context, crew: Crew, receiver: WebhookReceiver
) -> None:
    _, secret = mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, receiver.url)
    receiver.secret, receiver.status = secret, 500
    in_revision(mail_ctx, crew.world, title=TITLE)
    start = REVISION_REMINDED
    mail_ctx.sweeper.sweep(start)

    assert drain(mail_ctx, start) == (2, 1, 0)  # the mails go out; the webhook waits a minute
    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, start + timedelta(seconds=60))
    assert "HTTP 500" in row.last_error

    assert drain(mail_ctx, start + timedelta(seconds=59)) == (0, 0, 0)  # not before its time
    assert drain(mail_ctx, start + timedelta(seconds=60)) == (0, 1, 0)
    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, start + timedelta(seconds=180))

    assert drain(mail_ctx, start + timedelta(seconds=179)) == (0, 0, 0)
    assert drain(mail_ctx, start + timedelta(seconds=180)) == (0, 0, 1)  # third attempt: delivery.max_attempts
    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert drain(mail_ctx, start + timedelta(days=2)) == (0, 0, 0)  # parked: nobody tries again by themselves
    assert len(receiver.calls) == 3 and all(c.signature_valid and c.answered == 500 for c in receiver.calls)
    assert len({c.delivery for c in receiver.calls}) == 1  # every attempt names the same delivery

    # The operator's list of failed messages shows it, with why; people without the role may not look.
    [failed] = mail_ctx.outbox.messages(crew.admin, status="failed")
    assert (failed.id, failed.channel, failed.topic, failed.attempts) == (row.id, "webhook", "revision", 3)
    assert "HTTP 500" in (failed.last_error or "")
    with pytest.raises(Forbidden):
        mail_ctx.outbox.messages(crew.anna.actor, status="failed")

    # The receiver is repaired; the operator sends it again, and the next drain delivers it.
    receiver.status = 200
    later = start + timedelta(days=3)
    again = mail_ctx.outbox.retry(crew.admin, row.id, later)
    assert (again.status, again.attempts) == ("pending", 0)
    assert drain(mail_ctx, later) == (1, 0, 0)
    [row] = outbox(mail_ctx, channel="webhook")
    assert (row.status, row.sent_at, row.attempts) == ("sent", later, 1)
    assert mail_ctx.outbox.messages(crew.admin, status="failed") == []
    assert len(receiver.accepted()) == 1 and len(receiver.calls) == 4


def test_mails_written_while_the_mail_server_is_down_arrive_exactly_once_after_it_is_back(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer
) -> None:
    for n in range(3):
        in_revision(mail_ctx, crew.world, title=f"{TITLE} {n + 1}")
    port = smtp.port
    smtp.stop()
    start = REVISION_REMINDED

    report = mail_ctx.sweeper.sweep(start)
    assert report.deadlines == 4  # three revision deadlines and the round's submission deadline
    assert drain(mail_ctx, start) == (0, 6, 0)
    rows = outbox(mail_ctx, channel="email")
    assert len(rows) == 6 and all(r.status == "pending" and r.attempts == 1 for r in rows)
    assert all(f"SMTP 127.0.0.1:{port}" in r.last_error for r in rows)
    # The in-app copies are there at once, whatever the mail server does.
    assert len(mail_ctx.outbox.inbox(crew.anna.actor)) == 3

    assert drain(mail_ctx, start + timedelta(seconds=30)) == (0, 0, 0)
    assert drain(mail_ctx, start + timedelta(seconds=60)) == (0, 6, 0)  # still down: second attempt fails too
    assert all(r.attempts == 2 and r.next_attempt_at == start + timedelta(seconds=180)
               for r in outbox(mail_ctx, channel="email"))

    smtp.start()
    assert smtp.port == port and smtp.mails == []
    assert drain(mail_ctx, start + timedelta(seconds=180)) == (6, 0, 0)
    assert drain(mail_ctx, start + timedelta(days=1)) == (0, 0, 0)
    assert mail_ctx.sweeper.sweep(start + timedelta(minutes=10)).notifications == 0

    rows = outbox(mail_ctx, channel="email")
    assert all(r.status == "sent" and r.sent_at == start + timedelta(seconds=180) for r in rows)
    assert smtp.message_ids() == {message_id(r.key): 1 for r in rows}  # every mail once, none twice, none lost
    assert len(smtp.to(crew.anna.email)) == 3 and len(smtp.to(crew.ben.email)) == 3


def test_a_webhook_address_that_does_not_answer_http_is_retried_and_holds_up_no_other_mail(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer
) -> None:
    # A typo in the port: the alliance's webhook points at a mail server, which greets with "220 ...".
    mail_ctx.admin.set_webhook(SYSTEM, crew.world.alliance_id, f"http://127.0.0.1:{smtp.port}/hooks")
    in_revision(mail_ctx, crew.world, title=TITLE)

    mail_ctx.sweeper.sweep(REVISION_REMINDED)
    assert drain(mail_ctx, REVISION_REMINDED) == (2, 1, 0)
    [hook] = outbox(mail_ctx, channel="webhook")
    assert (hook.status, hook.attempts) == ("pending", 1) and hook.last_error

    # The next day's hearing reminders go out although the broken webhook is due again before them.
    mail_ctx.sweeper.sweep(HEARING_REMINDED)
    assert drain(mail_ctx, HEARING_REMINDED) == (2, 2, 0)
    assert len(smtp.to(crew.anna.email)) == 2 and len(smtp.to(crew.ben.email)) == 2
    # And the broken webhook is parked after its last attempt like any refused one.
    assert drain(mail_ctx, HEARING_REMINDED + timedelta(minutes=2)) == (0, 1, 1)
    assert [m.id for m in mail_ctx.outbox.messages(crew.admin, status="failed")] == [hook.id]


def test_stopped_and_restarted_smtp_server_keeps_its_port_and_mailbox(smtp: SmtpServer) -> None:
    """The loopback server itself: what the outage test relies on."""
    def send(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"],
                            f"Message-ID: <{n}@test>\r\nSubject: Test {n}\r\n\r\nHallo\r\n")

    send(1)
    smtp.stop()
    with pytest.raises(ConnectionRefusedError):
        send(2)
    smtp.start()
    send(3)
    assert smtp.message_ids() == {"<1@test>": 1, "<3@test>": 1}
    assert [m.recipients for m in smtp.mails] == [("b@example.org",), ("b@example.org",)]
