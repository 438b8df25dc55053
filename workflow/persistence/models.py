"""Database tables (SQLModel). API schemas live in api/; these do not validate, the service does.

Amounts are integer euro cents; times are UTC (`UTCDateTime` returns aware datetimes on every database).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offset, and comparisons must not mix the two."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the engine only stores aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def partial_index(name: str, column: str) -> sa.Index:
    """An index of a nullable reference over the rows that have one; `column = ?` lookups still use it."""
    condition = sa.text(f"{column} IS NOT NULL")
    return sa.Index(name, column, sqlite_where=condition, postgresql_where=condition)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)


class Alliance(SQLModel, table=True):
    """A Fachkräfteallianz: the tenant whose steering group reviews and prioritises proposals."""

    __tablename__ = "alliances"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    region: str = Field(default="", max_length=200)
    # Date the current Handlungskonzept was adopted; it must be renewed at least every two years.
    action_concept_adopted_on: date | None = None
    # Where the alliance's own systems hear of reminders and escalations (JSON POST, signed with the secret).
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secret: str | None = Field(default=None, max_length=200)
    # The state's funding bank (an organisation, e.g. the Sächsische Aufbaubank): its bank officers see the
    # alliance's proposals once they reach the bank. None: forwarding works, but no bank officer sees them.
    funding_bank_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)


class Budget(SQLModel, table=True):
    """Regionalbudget of one alliance for one calendar year (Jahresscheibe)."""

    __tablename__ = "budgets"
    __table_args__ = (sa.UniqueConstraint("alliance_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliances.id", index=True)
    year: int
    amount: int = Field(sa_type=sa.BigInteger)


class Round(SQLModel, table=True):
    """A call for proposals with its submission deadline (Einreichungstermin)."""

    __tablename__ = "rounds"
    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliances.id", index=True)
    name: str = Field(max_length=200)
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    procedure_key: str = Field(max_length=100)
    procedure_version: int

    def is_open(self, now: datetime) -> bool:
        """Taking proposals: from its opening until its submission deadline, which itself is already too late."""
        return self.opens_at <= now < self.closes_at

class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(max_length=20)
    # An applicant's organisation; a bank officer's is their bank (the funding bank an alliance names).
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    alliance_id: int | None = Field(default=None, foreign_key="alliances.id", index=True)
    language: str = Field(default="de", max_length=5)
    token_hash: str | None = Field(default=None, unique=True, max_length=128)
    # An argon2 hash for signing in to the web pages with e-mail and password; None: sign in with the token only.
    password_hash: str | None = Field(default=None, max_length=200)
    # Set while the account is disabled: neither its token nor its password signs in (workflow/people/accounts.py).
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the API token stops working; None: until it is replaced.
    token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random secret; only its hash is kept, so a copy of the database
    signs nobody in. Forms carry the session's CSRF token, which a foreign site cannot read."""

    __tablename__ = "web_sessions"
    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=128, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, counted against the account and against the client's address (workflow/people/throttle.py):
    a hash of either, never the address itself, kept only for the throttle's window."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (sa.Index("ix_sign_in_failures_key_failed_at", "key", "failed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    failed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Proposal(SQLModel, table=True):
    """A Projektantrag. `version` counts every write: a write from an older version is refused."""

    __tablename__ = "proposals"
    __table_args__ = (
        sa.Index("ix_proposals_alliance_state", "alliance_id", "state"),
        # Only the proposals that bind budget money, by alliance: "the budget covers it" sums these on every
        # view of a proposal in review, without reading the alliance's other proposals (bench/read_large.py).
        sa.Index("ix_proposals_binding", "alliance_id", sqlite_where=sa.text("binds_budget = 1"),
                 postgresql_where=sa.text("binds_budget")),
        # A migration finds the proposals still on the old version. Without their state: an index on the state
        # is rewritten by every transition, and a migration is rare (bench/, README "Performance").
        sa.Index("ix_proposals_procedure", "procedure_key", "procedure_version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    # Copied from the round so that visibility checks and lists need no join.
    alliance_id: int = Field(foreign_key="alliances.id")
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str = Field(max_length=300)
    summary: str = ""
    target_group: str = ""
    goals: str = ""
    partners: list[str] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(max_length=60, index=True)
    version: int = 1
    procedure_key: str = Field(max_length=100)
    procedure_version: int
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # First time the proposal reached an alliance-stage state (was submitted); its steering group sees it from then.
    reached_alliance_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # First time the proposal reached a bank-stage state; bank officers see proposals where this is set.
    reached_bank_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Whether the current state binds the grant against the yearly budget, per the proposal's own procedure.
    binds_budget: bool = False


class FundingYear(SQLModel, table=True):
    """One year (Jahresscheibe) of a proposal's funding plan. Staff costs are the salary lines reviewers do not see."""

    __tablename__ = "funding_years"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "year"),
        # "The budget covers it" sums the binding proposals' years from this index alone, without a visit to each
        # row: a third of the time on an alliance with hundreds of binding proposals (bench/read_large.py).
        sa.Index("ix_funding_years_binding", "proposal_id", "year", "grant_approved", "grant_requested"),
    )
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id")
    year: int
    staff_fte: float = 0.0
    staff_costs: int = Field(default=0, sa_type=sa.BigInteger)
    material_costs: int = Field(default=0, sa_type=sa.BigInteger)
    total_cost: int = Field(default=0, sa_type=sa.BigInteger)
    grant_requested: int = Field(default=0, sa_type=sa.BigInteger)
    own_share: int = Field(default=0, sa_type=sa.BigInteger)
    own_share_source: str = Field(default="", max_length=300)
    # What the bank approved for the year (may be less than requested); it binds the budget instead of the request.
    grant_approved: int | None = Field(default=None, sa_type=sa.BigInteger)


class AuditEvent(SQLModel, table=True):
    """Append-only: the database refuses UPDATE and DELETE on this table (see the first migration)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "seq"),
        # Most steps are taken outside a session: an index of their NULLs would be written by each of them and
        # never read (`session_id = ?` implies NOT NULL, so lookups use this one).
        partial_index("ix_audit_events_session_id", "session_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id")
    # Position in the proposal's history; the unique key makes a doubled step impossible.
    seq: int
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=20)  # created | edited | transition
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_name: str = Field(max_length=200)
    actor_role: str = Field(max_length=20)
    transition: str | None = Field(default=None, max_length=100)
    from_state: str | None = Field(default=None, max_length=60)
    to_state: str = Field(max_length=60)
    reason: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    request_id: str | None = Field(default=None, max_length=100)
    procedure_key: str = Field(max_length=100)
    procedure_version: int
    # The steering-group session in which the step was decided (the minutes list it there).
    session_id: int | None = Field(default=None, foreign_key="steering_sessions.id")


class Deadline(SQLModel, table=True):
    """A date something is due. Rows, not scheduler jobs: sweeps select the due ones; leaving a state cancels them.

    `next_fire_at` is when the sweep next has something to do for it (a reminder, the due moment, a repeated
    escalation), `stage` counts what it did already; both move in the same transaction as the outbox rows they
    cause, so a sweep that dies half-way repeats nothing and loses nothing.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        sa.Index("ix_deadlines_status_next_fire", "status", "next_fire_at"),
        # A deadline belongs to a proposal, a round or an alliance: only the rows that have the reference.
        partial_index("ix_deadlines_round_id", "round_id"),
        partial_index("ix_deadlines_alliance_id", "alliance_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposals.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="rounds.id")
    alliance_id: int | None = Field(default=None, foreign_key="alliances.id")
    # The name of its definition (e.g. "revision") in the procedure below, or "action_concept".
    kind: str = Field(max_length=60)
    procedure_key: str | None = Field(default=None, max_length=100)
    procedure_version: int | None = None
    # The state that opened it (for the record); its definition says which states keep it open.
    state: str | None = Field(default=None, max_length=60)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="open", max_length=20)  # open | done | cancelled
    stage: int = 0
    next_fire_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A sweeper's claim: other sweepers leave the row alone until the lease ends (then a crashed one's is taken).
    claim: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """A notification to deliver, written in the same transaction as what caused it.

    `key` is unique (deadline, firing, proposal, recipient, channel): whoever writes the same notification twice
    (a repeated sweep, a second instance) writes it once. In-app messages are delivered by being written.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        sa.Index("ix_outbox_inbox", "user_id", "channel", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    channel: str = Field(max_length=20)  # email | webhook | inapp
    kind: str = Field(max_length=20)  # reminder | escalation
    topic: str = Field(max_length=60)  # the deadline's name
    user_id: int | None = Field(default=None, foreign_key="users.id")
    alliance_id: int | None = Field(default=None, foreign_key="alliances.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposals.id")
    deadline_id: int | None = Field(default=None, foreign_key="deadlines.id")
    address: str | None = Field(default=None, max_length=500)  # e-mail address or webhook URL at the time
    subject: str = Field(max_length=300)
    body: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed | skipped
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationMute(SQLModel, table=True):
    """A user does not want reminders of one deadline kind on one channel. Escalations ignore it."""

    __tablename__ = "notification_mutes"
    __table_args__ = (sa.UniqueConstraint("user_id", "topic", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    topic: str = Field(max_length=60)
    channel: str = Field(max_length=20)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request sent with an Idempotency-Key, kept for replays of the same request."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("actor_key", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    # Keys are per caller: two users may choose the same key without seeing each other's answers.
    actor_key: str = Field(max_length=40)
    key: str = Field(max_length=200)
    scope: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    status: int
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    etag: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SteeringSession(SQLModel, table=True):
    """A meeting of an alliance's steering group (Lenkungsgruppe): proposals are heard and decided in it."""

    __tablename__ = "steering_sessions"
    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliances.id", index=True)
    title: str = Field(max_length=200)
    held_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_items"
    __table_args__ = (sa.UniqueConstraint("session_id", "proposal_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="steering_sessions.id", index=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    position: int
    purpose: str = Field(max_length=20)  # hearing | second_reading | decision


class RoundScoringScheme(SQLModel, table=True):
    """The scoring scheme a round's proposals are scored by, when the procedure brings none of its own."""

    __tablename__ = "scoring_schemes"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", unique=True)
    scheme: dict[str, Any] = Field(sa_type=JSON)
    set_by: int | None = Field(default=None, foreign_key="users.id")
    set_at: datetime = Field(sa_type=UTCDateTime)


class Score(SQLModel, table=True):
    """One member's scores of one proposal; a member may revise them until the decision."""

    __tablename__ = "scores"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "scorer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    scorer_id: int = Field(foreign_key="users.id")
    points: dict[str, Any] = Field(sa_type=JSON)
    ko: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    comment: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Condition(SQLModel, table=True):
    """A condition (Auflage) of a second reading: asked for, answered by the applicant, judged by the group."""

    __tablename__ = "conditions"
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    # The audit position of the request_revision step that set it: conditions of one reading share it.
    reading_seq: int
    position: int
    text: str
    responsible: str = Field(max_length=200)
    due_on: date | None = None
    status: str = Field(default="open", max_length=20)  # open | answered | met | not_met
    answer: str | None = None
    evidence: list[str] = Field(default_factory=list, sa_type=JSON)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: int | None = Field(default=None, foreign_key="users.id")
    judged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    judged_by: int | None = Field(default=None, foreign_key="users.id")
    judgement_note: str | None = None
    session_id: int | None = Field(default=None, foreign_key="steering_sessions.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Resolution(SQLModel, table=True):
    """The steering group's priorisation of a round, as a versioned document: a later version supersedes."""

    __tablename__ = "resolutions"
    __table_args__ = (sa.UniqueConstraint("round_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    version: int
    session_id: int | None = Field(default=None, foreign_key="steering_sessions.id")
    decided_on: date
    note: str = ""
    # {"prioritised": [ids], "declined": [{"proposal_id", "reason"}], "waiting_list": [ids], "reserve_draws": [ids]}
    body: dict[str, Any] = Field(sa_type=JSON)
    # The ranking with its budget line as it stood when the resolution was recorded.
    ranking: dict[str, Any] = Field(sa_type=JSON)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ReservePool(SQLModel, table=True):
    """A budget above the alliances' own (Lower Saxony's performance reserve), shared by the alliances named."""

    __tablename__ = "reserve_pools"
    __table_args__ = (sa.UniqueConstraint("name", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    year: int
    amount: int = Field(sa_type=sa.BigInteger)
    alliance_ids: list[int] = Field(default_factory=list, sa_type=JSON)


class ReserveDraw(SQLModel, table=True):
    __tablename__ = "reserve_draws"
    id: int | None = Field(default=None, primary_key=True)
    pool_id: int = Field(foreign_key="reserve_pools.id", index=True)
    alliance_id: int = Field(foreign_key="alliances.id", index=True)
    year: int
    amount: int = Field(sa_type=sa.BigInteger)
    reason: str
    round_id: int | None = Field(default=None, foreign_key="rounds.id")
    drawn_by: int | None = Field(default=None, foreign_key="users.id")
    drawn_at: datetime = Field(sa_type=UTCDateTime)


class EarlyStart(SQLModel, table=True):
    """A request to start before the grant decision (vorzeitiger Maßnahmebeginn) and the bank's answer."""

    __tablename__ = "early_starts"
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    wanted_from: date
    reason: str
    requested_by: int | None = Field(default=None, foreign_key="users.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="requested", max_length=20)  # requested | granted | refused
    answer_note: str | None = None
    answered_by: int | None = Field(default=None, foreign_key="users.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProcedureVersion(SQLModel, table=True):
    """A procedure version as first published here: a definition file may never change what it says afterwards."""

    __tablename__ = "procedure_versions"
    key: str = Field(primary_key=True, max_length=100)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # workflow.procedure.definition.fingerprint of the definition's content (comments and layout do not count).
    fingerprint: str = Field(max_length=64)
    title: str = Field(max_length=300)
    source: str = Field(max_length=500)  # the file it was first published from, for the message on a change
    published_at: datetime = Field(sa_type=UTCDateTime)


class ProcedureMigration(SQLModel, table=True):
    """Running proposals moving from one procedure version to another by a validated plan.

    `moved` grows in the transaction that moves each proposal, so it is exact after any interruption. A run
    claims the row with a lease (like deadlines and outbox rows); a crashed run's lease runs out and anyone may
    resume it. Which proposals it moved is in their history (audit events of kind `migrated`).
    """

    __tablename__ = "procedure_migrations"
    __table_args__ = (sa.UniqueConstraint("procedure_key", "plan_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(max_length=100)
    procedure_key: str = Field(max_length=100)
    from_version: int
    to_version: int
    # The plan as validated (JSON of workflow.versioning.plan.MigrationPlan) and its fingerprint: resuming with
    # a different plan under the same id is refused.
    plan: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    plan_fingerprint: str = Field(max_length=64)
    status: str = Field(default="running", max_length=20)  # running | done
    moved: int = 0
    # Running proposals on the old version when the migration was started (what it set out to move).
    planned: int = 0
    started_by: int | None = Field(default=None, foreign_key="users.id")
    started_by_name: str = Field(max_length=200)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
