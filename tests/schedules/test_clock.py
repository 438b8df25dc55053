"""The clock: APScheduler runs three code-defined jobs that catch up at start and never overlap themselves; a
running clock delivers what is due; `foerderweg sweep` runs the clock once by hand and says what it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.interval import IntervalTrigger

from cli.main import main
from cli.output import console
from schedules import clock
from tests.factories import proposal_in
from tests.schedules.conftest import (
    PUBLIC_URL,
    Crew,
    in_revision,
    mail_settings,
    make_crew,
    outbox,
)
from tests.schedules.loopback import SmtpServer
from workflow.context import Context, build_context
from workflow.proposals import store as repo
from workflow.timeutil import DEFAULT_ZONE, utcnow

Capture = pytest.CaptureFixture[str]


def test_the_clock_runs_three_in_memory_jobs_that_catch_up_at_start_and_never_overlap(ctx: Context) -> None:
    before = datetime.now(UTC)
    scheduler = clock.background(ctx)
    after = datetime.now(UTC)
    scheduler.start(paused=True)  # jobs get their store and defaults at start; paused, none of them runs
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == sorted(clock.JOB_IDS) == ["close-rounds", "drain-outbox", "migrate-proposals",
                                                         "sweep-deadlines"]
        every = ctx.settings.scheduler
        intervals = {"close-rounds": every.close_rounds_every_seconds, "sweep-deadlines": every.sweep_every_seconds,
                     "drain-outbox": every.drain_every_seconds, "migrate-proposals": every.migrate_every_seconds}
        for job_id, job in jobs.items():
            assert job.coalesce is True and job.max_instances == 1, job_id
            assert isinstance(job.trigger, IntervalTrigger)
            assert job.trigger.interval == timedelta(seconds=intervals[job_id])
            # The first run is at start, not one interval later: what fell due while down goes out at once.
            assert before <= job.next_run_time <= after, (job_id, job.next_run_time)
        assert [j.id for j in scheduler.get_jobs(jobstore="default")] == [j.id for j in scheduler.get_jobs()]
        assert isinstance(scheduler._jobstores["default"], MemoryJobStore)  # no public accessor in APScheduler 3
    finally:
        scheduler.shutdown(wait=False)
    # Nothing is pickled into the database: no APScheduler table appears.
    assert not [t for t in sa.inspect(ctx.db.engine).get_table_names() if "apscheduler" in t]


def test_configure_replaces_rather_than_duplicates_jobs(ctx: Context) -> None:
    scheduler = clock.background(ctx)
    clock.configure(scheduler, ctx)  # e.g. configured twice by mistake
    scheduler.start(paused=True)
    try:
        assert sorted(j.id for j in scheduler.get_jobs()) == sorted(clock.JOB_IDS)
    finally:
        scheduler.shutdown(wait=False)


def test_a_running_clock_delivers_a_reminder_that_is_due_now(database_url: str, smtp: SmtpServer) -> None:
    ticking = {"sweep_every_seconds": 1, "close_rounds_every_seconds": 1, "drain_every_seconds": 1}
    context = build_context(mail_settings(database_url, smtp.port, scheduler=ticking))
    try:
        crew = make_crew(context)
        # In real time: the revision is due at the end of tomorrow and was asked for two days ago, so its
        # two-day reminder (yesterday 09:00) is owed and fell due less than 48 hours ago.
        now = utcnow()
        today = now.astimezone(DEFAULT_ZONE).date()
        tomorrow = today + timedelta(days=1)
        proposal_id = in_revision(context, crew.world, title="Echtzeit-Projekt", revision_deadline=tomorrow,
                                  next_session=today + timedelta(days=30), at=now - timedelta(days=2))
        scheduler = clock.background(context)
        started = datetime.now(UTC)
        scheduler.start()
        try:
            # The one wait in this suite: it is the real clock that is tested (bounded, polled).
            mails = smtp.wait_for(lambda ms: len(ms) >= 2, seconds=10)
        finally:
            scheduler.shutdown(wait=True)
        took = (datetime.now(UTC) - started).total_seconds()
        assert len(mails) == 2, f"no reminder within 10 s (got {len(mails)} mails)"
        print(f"\nreal clock delivered the due reminder within {took:.1f} s")
        [german] = smtp.to(crew.anna.email)
        assert german.subject == (f"Erinnerung: Frist für den überarbeiteten Antrag am {tomorrow:%d.%m.%Y}, "
                                  "24:00 Uhr – Echtzeit-Projekt")
        assert f"{PUBLIC_URL}/proposals/{proposal_id}" in german.body
        assert len(smtp.to(crew.ben.email)) == 1
        assert all(r.status == "sent" for r in outbox(context, channel="email"))
    finally:
        context.close()


# --- `foerderweg sweep` ----------------------------------------------------------------------------------

def run(capsys: Capture, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, smtp: SmtpServer) -> None:
    monkeypatch.setattr(console, "width", 200)  # captured output has no terminal width; give it room
    for name, value in {"FOERDERWEG_DATABASE_URL": database_url, "FOERDERWEG_SMTP__HOST": "127.0.0.1",
                        "FOERDERWEG_SMTP__PORT": str(smtp.port), "FOERDERWEG_PUBLIC_URL": PUBLIC_URL}.items():
        monkeypatch.setenv(name, value)


def test_sweep_command_reads_now_as_berlin_time_and_names_its_counts(
    capsys: Capture, cli_env: None, mail_ctx: Context, crew: Crew
) -> None:
    waiting, _ = proposal_in(mail_ctx, crew.world, "submitted", title="Eingereicht und wartend")
    code, out, err = run(capsys, "sweep", "--now", "2026-06-08T09:00")
    assert code == 0, err
    assert "sweep at 08.06.2026 09:00 Europe/Berlin" in out
    assert "rounds closed: 1 proposals moved on" in out  # the round closed on 31.05.: the waiting one moves on
    # The round's submission deadline: its reminders are long past and it has no drafts to remind any more.
    assert "deadlines: 1 handled, 0 notifications written, 0 recorded as skipped, 0 automatic steps" in out
    # No reminders; the steps are told by mail to the two applicants with an address: submitted, then in review.
    assert "outbox: 4 sent, 0 to retry, 0 failed" in out
    with mail_ctx.db.read() as session:
        moved = repo.proposal(session, waiting)
    assert moved is not None and moved.state == "in_review"

    code, out, _ = run(capsys, "sweep", "--now", "2026-06-08T10:00:00+02:00")
    assert code == 0 and "sweep at 08.06.2026 10:00 Europe/Berlin" in out
    assert "rounds closed: 0 proposals moved on" in out and "deadlines: 0 handled" in out


def test_sweep_command_without_delivery_leaves_the_mail_to_the_next_run(
    capsys: Capture, cli_env: None, mail_ctx: Context, crew: Crew, smtp: SmtpServer
) -> None:
    in_revision(mail_ctx, crew.world, title="MINT-Netzwerk Leipzig")
    code, out, err = run(capsys, "sweep", "--now", "2026-06-13T09:00", "--no-deliver")
    assert code == 0, err
    # The revision reminder: in-app for three applicants, e-mail for the two with an address.
    assert "deadlines: 2 handled, 5 notifications written, 0 recorded as skipped, 0 automatic steps" in out
    assert "outbox:" not in out and smtp.mails == []

    code, out, _ = run(capsys, "sweep", "--now", "2026-06-13T09:05")
    assert code == 0 and "deadlines: 0 handled" in out and "outbox: 2 sent, 0 to retry, 0 failed" in out
    assert sorted(m.recipients[0] for m in smtp.mails) == sorted([crew.anna.email, crew.ben.email])


@pytest.mark.parametrize("bad", ["nächsten Montag", "2026-13-01T09:00", "08.06.2026 09:00"])
def test_sweep_command_refuses_a_moment_it_cannot_read(capsys: Capture, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("FOERDERWEG_DATABASE_URL", f"sqlite:///{tmp_path}/untouched.db")
    code, out, err = run(capsys, "sweep", "--now", bad)
    assert code == 1 and out == ""
    assert f"--now: '{bad}' is not an ISO 8601 time" in err and "2016-05-31T09:00" in err
    assert "Traceback" not in err
    assert not (tmp_path / "untouched.db").exists()  # refused before touching any database
