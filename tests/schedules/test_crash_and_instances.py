"""Processes die and several clocks run: nothing claimed by a dead process is lost, nothing is done twice by two.

A killed sender's messages wait for its lease to run out and then go out (a message already handed to the
server may go out a second time, with the same Message-ID: delivery is at least once). A killed sweeper's deadline
rows are taken over the same way. Two `foerderweg sweep` processes at the same moments deliver every mail once.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest

from schedules.channels.email import message_id
from schedules.ticks import Ticks
from tests.schedules.conftest import (
    HEARING_REMINDED,
    REVISION_OVERDUE,
    REVISION_REMINDED,
    Crew,
    duplicate_keys,
    in_revision,
    outbox,
    person,
    process_env,
)
from tests.schedules.loopback import SmtpServer
from tests.serving import REPO
from workflow.context import Context
from workflow.people.roles import Role
from workflow.timeutil import DEFAULT_ZONE

# Claims what is due for delivery, optionally hands it to the mail server, and dies before recording anything.
CLAIM_AND_DIE = """
import os, signal, sys
from datetime import datetime
from schedules.ticks import channels
from workflow.context import build_context

now, when = datetime.fromisoformat(sys.argv[1]), sys.argv[2]
ctx = build_context()
claimed = ctx.outbox.claim(now, limit=100)
if when == "after-sending":
    senders = channels(ctx)
    for delivery in claimed:
        senders[delivery.channel].send(delivery)
print(",".join(str(d.id) for d in claimed), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""

# Claims the due deadline rows as a sweep does first, and dies before handling any of them.
CLAIM_DEADLINES_AND_DIE = """
import os, signal, sys
from datetime import datetime, timedelta
from workflow.context import build_context
from workflow.notify import store

now = datetime.fromisoformat(sys.argv[1])
ctx = build_context()
lease = timedelta(seconds=ctx.settings.scheduler.lease_seconds)
with ctx.db.write() as session:
    claimed = store.claim_due_deadlines(session, now, limit=100, token="killed-sweeper", lease=lease)
print(",".join(str(i) for i in claimed), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def run_and_kill(script: str, env: dict[str, str], *args: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return [int(i) for i in done.stdout.strip().split(",") if i]


def lease_of(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.settings.scheduler.lease_seconds)


@pytest.mark.parametrize("when", ["before-sending", "after-sending"])
def test_a_sender_killed_between_claiming_and_recording_loses_nothing(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer, database_url: str, when: str
) -> None:
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk Leipzig")
    start = REVISION_REMINDED
    mail_ctx.sweeper.sweep(start)
    mails = outbox(mail_ctx, channel="email")
    assert len(mails) == 2

    claimed = run_and_kill(CLAIM_AND_DIE, process_env(database_url, smtp.port), start.isoformat(), when)
    assert sorted(claimed) == [r.id for r in mails]
    assert all(r.status == "sending" and r.attempts == 1 for r in outbox(mail_ctx, channel="email"))
    handed_over = 1 if when == "after-sending" else 0
    assert len(smtp.mails) == 2 * handed_over

    # While the dead sender's lease holds, nobody else takes its messages ...
    ticks = Ticks(mail_ctx, real_time=False)
    lease = lease_of(mail_ctx)
    assert ticks.drain(start).sent == 0
    assert ticks.drain(start + lease - timedelta(seconds=1)).sent == 0
    # ... once it has run out, the next drain sends them.
    assert ticks.drain(start + lease + timedelta(seconds=1)).sent == 2
    rows = outbox(mail_ctx, channel="email")
    assert all(r.status == "sent" and r.attempts == 2 for r in rows)

    # Never lost; at most once more than it should (the repeat carries the same Message-ID, so a mailbox folds it).
    expected = {message_id(r.key): 1 + handed_over for r in rows}
    assert smtp.message_ids() == expected
    assert ticks.drain(start + timedelta(days=1)).sent == 0


def test_a_sweeper_killed_after_claiming_deadlines_leaves_them_to_the_next_sweep_after_its_lease(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer, database_url: str
) -> None:
    proposals = [in_revision(mail_ctx, crew.world, title=f"Projekt {n}") for n in range(3)]
    start = REVISION_REMINDED
    lease = lease_of(mail_ctx)

    claimed = run_and_kill(CLAIM_DEADLINES_AND_DIE, process_env(database_url, smtp.port), start.isoformat())
    assert len(claimed) == 4  # three revision deadlines and the round's submission deadline

    assert mail_ctx.sweeper.sweep(start).deadlines == 0
    assert mail_ctx.sweeper.sweep(start + lease - timedelta(seconds=1)).deadlines == 0
    assert outbox(mail_ctx) == []

    report = mail_ctx.sweeper.sweep(start + lease + timedelta(seconds=1))
    assert report.deadlines == 4 and report.skipped == 0
    # Per proposal: the world's applicant (in-app only), Anna and Ben (in-app and e-mail).
    assert report.notifications == 15
    assert mail_ctx.sweeper.sweep(start + lease + timedelta(seconds=2)).deadlines == 0

    rows = outbox(mail_ctx)
    assert len(rows) == 15 and duplicate_keys(mail_ctx) == []
    written = Counter((r.proposal_id, r.user_id, r.channel, r.key.split(":")[1]) for r in rows)
    assert set(written.values()) == {1} and {k[3] for k in written} == {"r2d"}
    assert {r.proposal_id for r in rows} == set(proposals)

    assert Ticks(mail_ctx, real_time=False).drain(start + lease + timedelta(seconds=2)).sent == 6
    assert smtp.message_ids() == {message_id(r.key): 1 for r in rows if r.channel == "email"}


def _figures(output: str) -> tuple[int, int]:
    handled = re.search(r"deadlines: (\d+) handled", output)
    sent = re.search(r"outbox: (\d+) sent", output)
    assert handled and sent, output
    return int(handled.group(1)), int(sent.group(1))


@pytest.mark.slow
def test_two_scheduler_processes_deliver_every_reminder_exactly_once(
    mail_ctx: Context, crew: Crew, smtp: SmtpServer, database_url: str
) -> None:
    world = crew.world
    applicants = [crew.anna, crew.ben,
                  person(mail_ctx, "Carla Voigt", Role.APPLICANT, "carla@zukunftsakademie.example",
                         organisation_id=world.organisation_id)]
    reviewers = [person(mail_ctx, f"Gutachter {n}", Role.REVIEWER, f"gutachter{n}@ihk.example",
                        alliance_id=world.alliance_id) for n in range(2)]
    managers = [crew.maria, person(mail_ctx, "Max Böhme", Role.MANAGER, "max@arbeitsagentur.example",
                                   language="en", alliance_id=world.alliance_id)]
    proposals = 20
    for n in range(proposals):
        in_revision(mail_ctx, world, title=f"Fachkräfteprojekt {n + 1}")
    # 13.06. revision reminder to 3 applicants, 14.06. hearing reminder to 3 applicants and 2 reviewers,
    # 16.06. escalation of the passed revision deadline to 2 managers.
    expected = proposals * (len(applicants) + len(applicants) + len(reviewers) + len(managers))
    assert expected >= 200

    # Each process runs at every moment; the last finds nothing new to send.
    moments = [REVISION_REMINDED, HEARING_REMINDED, REVISION_OVERDUE, REVISION_OVERDUE + timedelta(hours=9)]
    # Small batches make the two processes take turns at claiming instead of one taking everything at once.
    env = process_env(database_url, smtp.port, FOERDERWEG_SCHEDULER__BATCH_SIZE="5")
    handled, sent = Counter[int](), Counter[int]()
    for moment in moments:
        iso = moment.astimezone(DEFAULT_ZONE).replace(tzinfo=None).isoformat()  # read as Berlin time
        started = [subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", "sweep", "--now", iso],
                                    cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        for n, process in enumerate(started):
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert "Traceback" not in err and "could not be swept" not in err, err
            deadlines, mails = _figures(out)
            handled[n] += deadlines
            sent[n] += mails

    rows = outbox(mail_ctx, channel="email")
    received = smtp.message_ids()
    duplicates = sum(n - 1 for n in received.values())
    lost = len({message_id(r.key) for r in rows} - set(received))
    print(f"\ntwo schedulers on {mail_ctx.db.engine.dialect.name}: {len(moments)} moments x 2 processes; "
          f"{len(rows)} mails written (reminders and escalations), {sum(received.values())} deliveries, "
          f"{duplicates} duplicates, {lost} lost; sent by process 1/2: {sent[0]}/{sent[1]}, deadlines handled by 1/2: "
          f"{handled[0]}/{handled[1]}")

    assert len(rows) == expected and all(r.status == "sent" for r in rows)
    assert duplicate_keys(mail_ctx) == []
    assert duplicates == 0 and lost == 0 and sum(received.values()) == expected
    assert sent[0] + sent[1] == expected  # what the processes say they sent is what arrived
    assert len(smtp.to(crew.anna.email)) == 2 * proposals
    assert len(smtp.to(reviewers[0].email)) == proposals and len(smtp.to(managers[1].email)) == proposals

