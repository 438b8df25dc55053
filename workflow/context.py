"""Wires settings, database, procedures and services once per process. Adapters hold one of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from workflow.alliances.admin import AdminService
from workflow.deadlines.alliance import action_concept
from workflow.deadlines.book import DeadlineBook
from workflow.deadlines.calendar import DeadlineCalendar
from workflow.deadlines.sweep import DeadlineSweeper
from workflow.notify.outbox import Backoff, OutboxService
from workflow.notify.steps import StepNotifier
from workflow.notify.webhook_target import WebhookPolicy
from workflow.notify.writer import NotificationWriter
from workflow.people.accounts import AccountService
from workflow.people.signin import SignInService
from workflow.people.throttle import SignInThrottle, throttle_policy
from workflow.persistence.db import Database
from workflow.persistence.secretbox import SecretBox
from workflow.procedure.registry import ProcedureRegistry
from workflow.proposals.service import ProposalService
from workflow.review.bank import BankService
from workflow.review.conditions import ConditionService
from workflow.review.meetings import MeetingService
from workflow.review.priorisation import PriorisationService
from workflow.review.scoring import ScoringService
from workflow.review.waiting_list import WaitingListOffer
from workflow.settings import Settings, load_settings
from workflow.timeutil import utcnow
from workflow.versioning.migrations import MigrationService
from workflow.versioning.published import publish


@dataclass
class Context:
    settings: Settings
    db: Database
    procedures: ProcedureRegistry
    proposals: ProposalService
    admin: AdminService
    outbox: OutboxService
    sweeper: DeadlineSweeper
    calendar: DeadlineCalendar
    scoring: ScoringService
    conditions: ConditionService
    meetings: MeetingService
    priorisation: PriorisationService
    bank: BankService
    signin: SignInService
    migrations: MigrationService
    accounts: AccountService

    def publish_procedures(self) -> list[str]:
        """At start: record new procedure versions, refuse a published one whose file changed (see published.py);
        seal webhook secrets stored in clear and refuse to start without the key that opens the sealed ones."""
        self.admin.secrets.prepare(self.db)
        return publish(self.db, self.procedures, utcnow())

    def close(self) -> None:
        self.db.dispose()


def build_context(settings: Settings | None = None) -> Context:
    settings = settings or load_settings()
    procedures = ProcedureRegistry.from_dirs(settings.procedure_dirs, settings.deadlines)
    # Fail at start, not at the first request, when the default procedure is missing.
    procedures.latest(settings.default_procedure)
    db = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    # A step's effects beyond its own rows, given to the services that take steps (or move proposals): the outbox
    # rows that tell of it, and the offer to the waiting list when it frees budget money.
    notifier = StepNotifier(procedures.get, email_enabled=settings.smtp.enabled, public_url=settings.public_url)
    freed_money = WaitingListOffer(procedures)
    proposals = ProposalService(db, procedures, notifier=notifier, freed_money=freed_money)
    concept = action_concept(settings.deadlines)
    schedule = settings.scheduler
    lease = timedelta(seconds=schedule.lease_seconds)
    writer = NotificationWriter(procedures.get, email_enabled=settings.smtp.enabled, public_url=settings.public_url)
    book = DeadlineBook(procedures, concept)
    sweeper = DeadlineSweeper(db, book, proposals, writer, lease=lease, batch_size=schedule.batch_size,
                              catch_up_limit=timedelta(hours=schedule.catch_up_limit_hours))
    delivery = settings.delivery
    backoff = Backoff(max_attempts=delivery.max_attempts, base=timedelta(seconds=delivery.backoff_seconds),
                      cap=timedelta(seconds=delivery.backoff_max_seconds))
    migrations = MigrationService(db, procedures, freed_money=freed_money, lease=lease,
                                  batch_size=schedule.batch_size)
    return Context(
        settings=settings,
        db=db,
        procedures=procedures,
        proposals=proposals,
        admin=AdminService(db, procedures, settings.default_procedure, concept,
                           webhooks=WebhookPolicy(tuple(settings.delivery.webhook_allowed_networks)),
                           secret_box=SecretBox.for_database(settings.database_url, settings.secret_key)),
        outbox=OutboxService(db, topics=book.kinds(), backoff=backoff, lease=lease),
        sweeper=sweeper,
        calendar=DeadlineCalendar(db, book, settings.public_url),
        scoring=ScoringService(db, procedures),
        conditions=ConditionService(db, procedures),
        meetings=MeetingService(proposals),
        priorisation=PriorisationService(proposals),
        bank=BankService(db, procedures),
        signin=SignInService(db, lifetime=timedelta(hours=settings.web.session_hours),
                             throttle=SignInThrottle(db, throttle_policy(settings.limits))),
        migrations=migrations,
        accounts=AccountService(db),
    )
