"""Use cases that set the stage: organisations, alliances and their yearly budgets, rounds, users."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow.alliances import store
from workflow.deadlines.alliance import ACTION_CONCEPT, action_concept_row
from workflow.deadlines.alliance import DEFAULT as ACTION_CONCEPT_DEFAULT
from workflow.deadlines.definition import DeadlineDef
from workflow.deadlines.planner import round_deadline_rows
from workflow.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.notify.webhook_target import TargetRefused, WebhookPolicy
from workflow.people import store as people
from workflow.people.accounts import AccountService, actor_of
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.persistence.db import Database
from workflow.persistence.secretbox import SecretBox
from workflow.procedure.inputs import clean_line
from workflow.procedure.registry import ProcedureRegistry
from workflow.proposals import store as repo
from workflow.review.access import OPERATORS
from workflow.timeutil import require_aware, utcnow


def _require(actor: Actor, *roles: Role, what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"role '{actor.role}' may not {what}")


def _require_alliance_steward(actor: Actor, alliance_id: int, what: str) -> None:
    """Operators everywhere; a manager only in their own alliance."""
    if actor.role in OPERATORS:
        return
    if actor.role == Role.MANAGER and actor.alliance_id == alliance_id:
        return
    raise Forbidden(f"role '{actor.role}' may not {what} of alliance {alliance_id}")


class AdminService:
    def __init__(self, database: Database, procedures: ProcedureRegistry, default_procedure: str,
                 action_concept: DeadlineDef = ACTION_CONCEPT_DEFAULT, *, webhooks: WebhookPolicy | None = None,
                 secret_box: SecretBox | None = None) -> None:
        self.db = database
        self.procedures = procedures
        self.default_procedure = default_procedure
        self.action_concept = action_concept
        self.webhooks = webhooks or WebhookPolicy()
        self.secrets = secret_box or SecretBox.for_database(database.url, None)

    def create_organisation(self, actor: Actor, name: str) -> models.Organisation:
        _require(actor, *OPERATORS, what="create organisations")
        name = _required_text("name", name)
        with _unique(f"an organisation named '{name}' exists already"), self.db.write() as session:
            if store.organisation_named(session, name) is not None:
                raise Conflict(f"an organisation named '{name}' exists already")
            return store.add(session, models.Organisation(name=name))

    def create_alliance(self, actor: Actor, name: str, *, now: datetime, region: str = "",
                        action_concept_adopted_on: date | None = None,
                        funding_bank: str | None = None) -> models.Alliance:
        """A new alliance; `funding_bank` names the organisation whose bank officers decide on its proposals
        (found by its exact name, or created: organisations are just names)."""
        _require(actor, *OPERATORS, what="create alliances")
        require_aware(now)
        name = _required_text("name", name)
        bank_name = None if funding_bank is None else _required_text("funding_bank", funding_bank)
        if action_concept_adopted_on is not None:
            _check_adopted("action_concept_adopted_on", action_concept_adopted_on)
        with _unique(f"an alliance named '{name}' exists already"), self.db.write() as session:
            if store.alliance_named(session, name) is not None:
                raise Conflict(f"an alliance named '{name}' exists already")
            bank_id = None if bank_name is None else _organisation_named(session, bank_name)
            alliance = store.add(session, models.Alliance(name=name, region=clean_line("region", region),
                                                         action_concept_adopted_on=action_concept_adopted_on,
                                                         funding_bank_id=bank_id))
            assert alliance.id is not None
            if action_concept_adopted_on is not None:
                repo.insert_deadlines(session, [action_concept_row(
                    self.action_concept, alliance_id=alliance.id, adopted_on=action_concept_adopted_on, now=now)])
            return alliance

    def renew_action_concept(self, actor: Actor, alliance_id: int, adopted_on: date, *,
                             now: datetime) -> models.Alliance:
        """Record that the steering group adopted an updated action concept: the two years start again."""
        _require_alliance_steward(actor, alliance_id, "record the action concept")
        require_aware(now)
        _check_adopted("adopted_on", adopted_on)
        with self.db.write() as session:
            alliance = store.alliance(session, alliance_id)
            if alliance is None:
                raise NotFound(f"alliance {alliance_id} not found")
            if alliance.action_concept_adopted_on is not None and adopted_on < alliance.action_concept_adopted_on:
                raise InvalidInput([FieldProblem(
                    "adopted_on", f"is before the current action concept of "
                                  f"{alliance.action_concept_adopted_on:%d.%m.%Y}")])
            repo.cancel_deadlines(session, [d.id for d in repo.open_alliance_deadlines(session, alliance_id)
                                            if d.kind == ACTION_CONCEPT], now)
            alliance.action_concept_adopted_on = adopted_on
            store.add(session, alliance)
            repo.insert_deadlines(session, [action_concept_row(
                self.action_concept, alliance_id=alliance_id, adopted_on=adopted_on, now=now)])
            return alliance

    def set_funding_bank(self, actor: Actor, alliance_id: int, funding_bank: str | None) -> models.Alliance:
        """Name the alliance's funding bank (admins): from now on its officers, and only they, see the alliance's
        proposals that reached the bank. None: no bank officer sees them (forwarding still works)."""
        _require(actor, *OPERATORS, what="name an alliance's funding bank")
        bank_name = None if funding_bank is None else _required_text("funding_bank", funding_bank)
        with _unique(f"the organisation '{bank_name}' was created at the same moment; send it again"), \
                self.db.write() as session:
            alliance = store.alliance(session, alliance_id)
            if alliance is None:
                raise NotFound(f"alliance {alliance_id} not found")
            alliance.funding_bank_id = None if bank_name is None else _organisation_named(session, bank_name)
            return store.add(session, alliance)

    def set_webhook(self, actor: Actor, alliance_id: int, url: str | None) -> tuple[models.Alliance, str | None]:
        """Where the alliance's systems hear of its reminders; a new signing secret each time (shown once)."""
        _require_alliance_steward(actor, alliance_id, "set the webhook")
        secret = sealed = None
        if url is not None:
            url = clean_line("url", url)
            try:
                self.webhooks.target(url)  # public http(s) only (workflow/notify/webhook_target.py)
            except TargetRefused as refused:
                raise InvalidInput([FieldProblem("url", str(refused))]) from None
            secret = secrets.token_urlsafe(32)
            sealed = self.secrets.seal(secret)  # the database keeps it sealed (workflow/persistence/secretbox.py)
        with self.db.write() as session:
            alliance = store.alliance(session, alliance_id)
            if alliance is None:
                raise NotFound(f"alliance {alliance_id} not found")
            alliance.webhook_url, alliance.webhook_secret = url, sealed
            return store.add(session, alliance), secret

    def set_budget(self, actor: Actor, alliance_id: int, year: int, amount_cents: int) -> models.Budget:
        _require_alliance_steward(actor, alliance_id, "set the budget")
        problems = []
        if not 2000 <= year <= 2100:
            problems.append(FieldProblem("year", "must be between 2000 and 2100"))
        if amount_cents < 0:
            problems.append(FieldProblem("amount", "must not be negative"))
        if problems:
            raise InvalidInput(problems)
        with _unique(f"the {year} budget of alliance {alliance_id} was set at the same moment; send it again"), \
                self.db.write() as session:
            if store.alliance(session, alliance_id) is None:
                raise NotFound(f"alliance {alliance_id} not found")
            budget = store.budget(session, alliance_id, year)
            if budget is None:
                return store.add(session, models.Budget(alliance_id=alliance_id, year=year, amount=amount_cents))
            budget.amount = amount_cents
            return store.add(session, budget)

    def create_round(self, actor: Actor, alliance_id: int, name: str, *, opens_at: datetime, closes_at: datetime,
                     now: datetime, procedure_key: str | None = None,
                     procedure_version: int | None = None) -> models.Round:
        _require_alliance_steward(actor, alliance_id, "open rounds")
        require_aware(opens_at)
        require_aware(closes_at)
        require_aware(now)
        name = _required_text("name", name)
        if closes_at <= opens_at:
            raise InvalidInput([FieldProblem("closes_at", "must be after opens_at")])
        try:
            procedure = self.procedures.get(procedure_key or self.default_procedure, procedure_version)
        except NotFound as exc:
            raise InvalidInput([FieldProblem("procedure_key", exc.detail)]) from None
        with self.db.write() as session:
            if store.alliance(session, alliance_id) is None:
                raise NotFound(f"alliance {alliance_id} not found")
            round_ = store.add(session, models.Round(
                alliance_id=alliance_id, name=name, opens_at=opens_at, closes_at=closes_at,
                procedure_key=procedure.key, procedure_version=procedure.version))
            assert round_.id is not None
            repo.insert_deadlines(session, round_deadline_rows(procedure, round_id=round_.id, alliance_id=alliance_id,
                                                               closes_at=closes_at, now=now))
            return round_

    def create_user(self, actor: Actor, name: str, role: Role, *, organisation_id: int | None = None,
                    alliance_id: int | None = None, email: str | None = None, language: str = "de") -> models.User:
        _require(actor, *OPERATORS, what="create users")
        name = _required_text("name", name)
        problems = []
        if role == Role.SYSTEM:
            problems.append(FieldProblem("role", "'system' is the service itself, not a person"))
        if role == Role.APPLICANT and organisation_id is None:
            problems.append(FieldProblem("organisation", "an applicant belongs to an organisation"))
        if role in (Role.REVIEWER, Role.MANAGER) and alliance_id is None:
            problems.append(FieldProblem("alliance", f"a {role.value} belongs to an alliance"))
        if role == Role.BANK and organisation_id is None:
            problems.append(FieldProblem("organisation", "a bank officer belongs to their bank, the organisation an "
                                                         "alliance names as its funding bank"))
        if language not in ("de", "en"):
            problems.append(FieldProblem("language", "must be 'de' or 'en'"))
        if problems:
            raise InvalidInput(problems)
        with self.db.write() as session:
            if organisation_id is not None and store.organisation(session, organisation_id) is None:
                raise InvalidInput([FieldProblem("organisation", f"no organisation {organisation_id}")])
            if alliance_id is not None and store.alliance(session, alliance_id) is None:
                raise InvalidInput([FieldProblem("alliance", f"no alliance {alliance_id}")])
            return people.save(session, models.User(name=name, role=role.value, organisation_id=organisation_id,
                                                 alliance_id=alliance_id, email=email, language=language))

    # --- reading: alliances, budgets and rounds are public bodies' data; every signed-in user may read them ---

    def alliances(self) -> list[tuple[models.Alliance, list[models.Budget]]]:
        with self.db.read() as session:
            return [(a, store.budgets_of(session, a.id)) for a in store.alliances(session) if a.id is not None]

    def organisation_names(self, ids: list[int | None]) -> dict[int, str]:
        """Names of organisations by id (e.g. the funding banks named by alliances)."""
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self.db.read() as session:
            return store.organisation_names(session, wanted)

    def alliance(self, alliance_id: int) -> tuple[models.Alliance, list[models.Budget]]:
        with self.db.read() as session:
            alliance = store.alliance(session, alliance_id)
            if alliance is None:
                raise NotFound(f"alliance {alliance_id} not found")
            return alliance, store.budgets_of(session, alliance_id)

    def rounds(self, alliance_id: int | None = None) -> list[models.Round]:
        with self.db.read() as session:
            return store.rounds(session, alliance_id)

    def round(self, round_id: int) -> models.Round:
        with self.db.read() as session:
            found = store.round_(session, round_id)
            if found is None:
                raise NotFound(f"round {round_id} not found")
            return found

    # --- who is calling ------------------------------------------------------------------------------------

    # Tokens and accounts are workflow/people/accounts.py's; these two are kept for the callers that want no expiry.

    def authenticate(self, token: str, now: datetime | None = None) -> Actor | None:
        """The actor a bearer token belongs to, or None for an unknown, expired or disabled one (at `now`, the
        wall clock if not given)."""
        return AccountService(self.db).authenticate(token, now=utcnow() if now is None else now)

    def issue_token(self, actor: Actor, user_id: int) -> str:
        """A new token without expiry (replacing any old one, signing out the user's browsers); shown once, only
        its hash is kept."""
        return AccountService(self.db).issue_token(actor, user_id, now=utcnow()).token

    def actor_for(self, user_id: int) -> Actor:
        with self.db.read() as session:
            user = people.user(session, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            return actor_of(session, user)


@contextmanager
def _unique(message: str) -> Iterator[None]:
    """Two requests creating the same thing at once: the loser meets the unique key; tell it so, not with a 500."""
    try:
        yield
    except IntegrityError:
        raise Conflict(message) from None


def _organisation_named(session: Session, name: str) -> int:
    """The organisation of that exact name, created if there is none yet (organisations are just names)."""
    found = store.organisation_named(session, name)
    if found is None:
        found = store.add(session, models.Organisation(name=name))
    assert found.id is not None
    return found.id


def _check_adopted(field: str, day: date) -> None:
    """An action concept of a real alliance: adopted in this century (budgets and rounds live in it too)."""
    if not 2000 <= day.year <= 2100:
        raise InvalidInput([FieldProblem(field, "must be a date between 2000 and 2100")])


def _required_text(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput([FieldProblem(field, "must not be empty")])
    return clean_line(field, value)  # a name is one line: no line break, control or bidi character

