"""Two `foerderweg scheduler` processes on one database, on the real clock, with a few hundred due reminders.

While both schedulers run, 100 proposals get their hearing set (as of three days ago) for today. The reminder one
day before (yesterday 09:00 Europe/Berlin, always within the 48 h catch-up) is then due for the organisation's
applicants and the alliance's reviewers: 300 mails to three people with addresses, and in-app copies. Both
schedulers sweep and drain every second in small batches, so they meet at the claims. The SMTP server on
loopback counts Message-IDs: every mail arrives exactly once, none is lost, and what the two processes say they
sent adds up to what arrived.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from schedules.channels.email import message_id
from tests.reliability.conftest import OUTBOX, figure, in_review, rows, wall_world
from tests.reliability.processes import Process, assert_clean, scheduler_process
from tests.schedules.conftest import PUBLIC_URL, person
from tests.schedules.loopback import SmtpServer
from workflow.context import Context
from workflow.people.roles import Role
from workflow.timeutil import DEFAULT_ZONE, utcnow

PROPOSALS = 100
SCHEDULERS = 2


@pytest.mark.slow
def test_two_scheduler_processes_deliver_each_due_reminder_exactly_once(ctx: Context, database_url: str,
                                                                        tmp_path: Path) -> None:
    ww = wall_world(ctx)
    world = ww.world
    now = utcnow()
    today = now.astimezone(DEFAULT_ZONE).date()
    with_mail = [person(ctx, "Anna Schubert", Role.APPLICANT, "anna@zukunftsakademie.example",
                        organisation_id=world.organisation_id),
                 person(ctx, "Ben Carter", Role.APPLICANT, "ben@zukunftsakademie.example", language="en",
                        organisation_id=world.organisation_id),
                 person(ctx, "Gutachterin IHK", Role.REVIEWER, "gutachten@ihk.example", alliance_id=world.alliance_id)]
    reviewed = [in_review(ctx, ww, f"Anhörung heute {n + 1}", scored=False) for n in range(PROPOSALS)]
    expected = PROPOSALS * len(with_mail)

    with SmtpServer() as smtp:
        env = {"FOERDERWEG_SMTP__HOST": "127.0.0.1", "FOERDERWEG_SMTP__PORT": str(smtp.port),
               "FOERDERWEG_PUBLIC_URL": PUBLIC_URL, "FOERDERWEG_SCHEDULER__BATCH_SIZE": "10",
               "FOERDERWEG_SCHEDULER__SWEEP_EVERY_SECONDS": "1", "FOERDERWEG_SCHEDULER__DRAIN_EVERY_SECONDS": "1",
               "FOERDERWEG_SCHEDULER__CLOSE_ROUNDS_EVERY_SECONDS": "1"}
        clocks = [scheduler_process(database_url, tmp_path, f"scheduler-{n}", **env) for n in range(SCHEDULERS)]
        began = time.monotonic()
        try:
            for clock in clocks:
                clock.start()
            wait_started(clocks)
            # The hearings are set (as three days ago) while both clocks run: they meet at the claims.
            for proposal_id, version in reviewed:
                ctx.proposals.fire(ww.actor(Role.MANAGER), proposal_id, "schedule_hearing", expected_version=version,
                                   now=now - timedelta(days=3), inputs={"next_session": today.isoformat()})
            until = time.monotonic() + 60
            while not (len(smtp.mails) >= expected and all_sent(ctx, expected)):
                assert all(c.running for c in clocks), "\n".join(c.log() for c in clocks)
                assert time.monotonic() < until, f"{len(smtp.mails)} of {expected} mails after 60 s"
                time.sleep(0.1)  # polling the delivery by the running processes
        finally:
            codes = [clock.stop() for clock in clocks]  # SIGTERM: a running tick finishes, then the process ends
        elapsed = time.monotonic() - began

        email = rows(ctx, sa.select(OUTBOX).where(OUTBOX.c.channel == "email"))
        inapp = rows(ctx, sa.select(OUTBOX).where(OUTBOX.c.channel == "inapp", OUTBOX.c.topic == "hearing"))
        received = smtp.message_ids()
        to = Counter(address for mail in smtp.mails for address in mail.recipients)
    written = {message_id(r.key) for r in email}
    duplicates = sum(n - 1 for n in received.values())
    lost = len(written - set(received))
    sent_by = [sum(int(n) for n in re.findall(r"outbox: (\d+) sent", c.log())) for c in clocks]
    swept_by = [sum(int(n) for n in re.findall(r"swept (\d+) deadlines", c.log())) for c in clocks]
    figure("schedulers", f"{SCHEDULERS} scheduler processes, {PROPOSALS} hearing deadlines, {len(email)} mails "
                         f"written, {sum(received.values())} deliveries, {duplicates} duplicates, {lost} lost; "
                         f"sent by 1/2: {sent_by[0]}/{sent_by[1]}, deadlines swept by 1/2: "
                         f"{swept_by[0]}/{swept_by[1]}, {elapsed:.1f} s")

    for clock in clocks:
        assert_clean(clock.log(), clock.log_path.name)
    assert codes == [0] * SCHEDULERS, codes
    assert len(email) == expected and all(r.status == "sent" and r.topic == "hearing" for r in email)
    assert duplicates == 0 and lost == 0 and sum(received.values()) == expected
    assert set(received) == written
    assert to == {p.email: PROPOSALS for p in with_mail}
    assert sum(sent_by) == expected  # what the processes say they sent is what arrived
    # In-app: the three people and the factory world's applicant and reviewer (no address), once each.
    assert len(inapp) == PROPOSALS * (len(with_mail) + 2)
    assert len({r.key for r in inapp}) == len(inapp)


def wait_started(clocks: list[Process]) -> None:
    until = time.monotonic() + 60  # generous: a machine busy with other work starts Python slowly
    while not all("scheduler started" in c.log().lower() for c in clocks):
        assert all(c.running for c in clocks), "\n".join(c.log() for c in clocks)
        assert time.monotonic() < until, "\n".join(c.log() for c in clocks)
        time.sleep(0.05)  # polling starting processes


def all_sent(ctx: Context, expected: int) -> bool:
    found = rows(ctx, sa.select(OUTBOX.c.status, sa.func.count()).where(OUTBOX.c.channel == "email")
                 .group_by(OUTBOX.c.status))
    return dict((status, n) for status, n in found) == {"sent": expected}
