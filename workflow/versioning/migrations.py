"""Moving running proposals from one procedure version to another by a validated plan.

A dry run reads and says what would happen to each proposal. A run moves proposals in batches of ids, each
proposal in a transaction of its own: its state and version, its deadlines, a `migrated` audit event and the
migration's count commit together or not at all. A proposal is moved only while it is still on the older version
(the UPDATE checks it), so a run that is interrupted and started again, or two runs at once, move each proposal
exactly once. Memory stays flat: only one batch of ids is held at a time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow.errors import Conflict, DomainError, FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence.db import Database
from workflow.procedure.definition import Procedure
from workflow.procedure.registry import ProcedureRegistry
from workflow.proposals import store as repo
from workflow.proposals.records import ProposalRecord
from workflow.proposals.service import FreedMoneyOffer
from workflow.versioning import store
from workflow.versioning.deadline_moves import DeadlineMoves, OpenRow, deadline_moves
from workflow.versioning.diff import carried_names
from workflow.versioning.plan import MigrationPlan, PlanFile, check_plan, parse_plan
from workflow.versioning.records import MigrationRecord

log = logging.getLogger("foerderweg.migrations")

ATTEMPTS = 3  # a proposal written by someone else meanwhile is read again and moved from where it is now


@dataclass(frozen=True)
class ProposalMove:
    """What happens (or happened) to one running proposal."""

    proposal_id: int
    title: str
    from_state: str
    to_state: str
    deadlines: DeadlineMoves

    def as_record(self) -> dict[str, Any]:
        d = self.deadlines
        return {
            "kept": [{"kind": k.kind, "due_at": k.due_at.isoformat()} for k in d.kept],
            "cancelled": [{"kind": c.kind, "due_at": c.due_at.isoformat()} for c in d.cancelled],
            "created": [{"kind": c.kind, "due_at": c.due_at.isoformat()} for c in d.created],
            "without_date": list(d.without_date),
        }


@dataclass(frozen=True)
class _Route:
    """A plan with the two procedure versions it moves between."""

    plan: MigrationPlan
    old: Procedure
    new: Procedure
    # Old state name -> its name in the newer version (for the record of kept deadlines).
    state_names: dict[str, str]


@dataclass(frozen=True)
class StateSummary:
    source: str
    target: str
    because: str
    deadlines: str
    proposals: int
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MigrationStatus:
    id: int
    plan_id: str
    procedure_key: str
    from_version: int
    to_version: int
    status: str  # running | done
    planned: int
    moved: int
    remaining: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    running_now: bool
    last_error: str | None


class MigrationService:
    def __init__(self, db: Database, procedures: ProcedureRegistry, *, freed_money: FreedMoneyOffer,
                 lease: timedelta = timedelta(minutes=2), batch_size: int = 200) -> None:
        self.db = db
        self.procedures = procedures
        # A move that leaves a state binding budget money for one that does not offers the money to the waiting
        # list, in the move's transaction, as a step would (workflow/review/waiting_list.py).
        self.freed_money = freed_money
        self.lease = lease
        self.batch_size = batch_size

    # --- planning ------------------------------------------------------------------------------------------

    def check(self, actor: Actor, raw: bytes | str | Mapping[str, Any] | PlanFile, source: str = "plan", *,
              procedure_key: str | None = None) -> MigrationPlan:
        """The plan, validated against both versions and the proposals running now (PlanRefused if not);
        `procedure_key`: the procedure it was sent for, which it must name."""
        _require_admin(actor)
        plan = raw if isinstance(raw, PlanFile) else parse_plan(raw, source)
        head = plan.migration
        if procedure_key is not None and head.procedure != procedure_key:
            raise InvalidInput([FieldProblem("plan.migration.procedure",
                                             f"the plan is for '{head.procedure}', not '{procedure_key}'")])
        with self.db.read() as session:
            counts = store.running_by_state(session, head.procedure, head.from_version)
        return check_plan(plan, self.procedures, counts)

    def summary(self, plan: MigrationPlan) -> list[StateSummary]:
        """Per state of the older version with running proposals: where they go, how many, what changes."""
        route = self._route(plan)
        with self.db.read() as session:
            counts = store.running_by_state(session, plan.procedure_key, plan.from_version)
        rows = []
        for source, move in plan.moves.items():
            before, after = route.old.states[source], route.new.states[move.target]
            notes = tuple(
                f"{flag.replace('_', ' ')}: {'yes' if getattr(after, flag) else 'no'}"
                for flag in ("binds_budget", "editable", "alliance_stage", "bank_stage")
                if getattr(before, flag) != getattr(after, flag))
            rows.append(StateSummary(source, move.target, move.because, move.deadlines, counts.get(source, 0), notes))
        return rows

    def preview(self, plan: MigrationPlan, now: datetime) -> Iterator[ProposalMove]:
        """What would happen to each running proposal, in id order, read a batch at a time; writes nothing."""
        route = self._route(plan)
        after = 0
        while True:
            with self.db.read() as session:
                ids = store.candidates(session, plan.procedure_key, plan.from_version, plan.moves, after=after,
                                       limit=self.batch_size)
                moves = [self._plan_one(session, route, row, now)
                         for row in (repo.proposal(session, i) for i in ids) if row is not None]
            yield from moves
            if len(ids) < self.batch_size:
                return
            after = ids[-1]

    # --- running -------------------------------------------------------------------------------------------

    def start(self, actor: Actor, plan: MigrationPlan, now: datetime) -> MigrationStatus:
        """Record the migration (or find it again, to resume it); the proposals move in `run`."""
        _require_admin(actor)
        try:
            return self._start(actor, plan, now)
        except IntegrityError:
            # Started twice at once (a retried request): the other insert won; this one finds it.
            return self._start(actor, plan, now)

    def _start(self, actor: Actor, plan: MigrationPlan, now: datetime) -> MigrationStatus:
        with self.db.write() as session:
            found = store.migration_by_plan(session, plan.procedure_key, plan.id)
            if found is not None and found.plan_fingerprint != plan.fingerprint:
                raise Conflict(f"migration plan '{plan.id}' was started on {found.started_at:%Y-%m-%d} with other "
                               "content; a plan id names one plan: give the changed plan another id")
            if found is None:
                migration_id = store.insert_migration(session, {
                    "plan_id": plan.id, "procedure_key": plan.procedure_key, "from_version": plan.from_version,
                    "to_version": plan.to_version, "plan": plan.data, "plan_fingerprint": plan.fingerprint,
                    "status": "running", "moved": 0,
                    "planned": store.remaining(session, plan.procedure_key, plan.from_version, plan.moves),
                    "started_by": actor.user_id, "started_by_name": actor.name, "started_at": now})
            else:
                migration_id = found.id
                left = store.remaining(session, plan.procedure_key, plan.from_version, plan.moves)
                if found.status == "done" and left:
                    # Proposals created in rounds of the older version since: the same plan moves them too.
                    store.update_migration(session, migration_id, status="running", finished_at=None,
                                           planned=found.moved + left)
        return self.status(migration_id, now)

    def run(self, migration_id: int, clock: Callable[[], datetime], *,
            progress: Callable[[MigrationStatus], None] | None = None,
            until: datetime | None = None) -> MigrationStatus:
        """Move the migration's proposals, a batch at a time, until none is left (or `until` passes: the
        scheduler's ticks take turns). Raises Conflict if another run holds it."""
        token = uuid.uuid4().hex
        plan, started_by = self._claim(migration_id, token, clock())
        if started_by.status == "done":
            return self.status(migration_id, clock())
        route = self._route(plan)
        lost = f"migration {migration_id} was taken over by another run (this one paused longer than its lease)"
        actor = Actor(user_id=started_by.started_by, name=started_by.started_by_name, role=Role.ADMIN)
        after = 0
        try:
            while True:
                now = clock()
                with self.db.write() as session:
                    if not store.claim(session, migration_id, token, now=now, until=now + self.lease):
                        raise Conflict(lost)
                with self.db.read() as session:
                    ids = store.candidates(session, plan.procedure_key, plan.from_version, plan.moves, after=after,
                                           limit=self.batch_size)
                for proposal_id in ids:
                    self._move(migration_id, route, proposal_id, actor=actor, now=clock())
                if progress is not None:
                    progress(self.status(migration_id, clock()))
                if len(ids) < self.batch_size:
                    break
                after = ids[-1]
                if until is not None and clock() >= until:
                    return self._release(migration_id, token, clock())
            with self.db.write() as session:
                left = store.remaining(session, plan.procedure_key, plan.from_version, plan.moves)
                if not left:
                    store.update_migration(session, migration_id, status="done", finished_at=clock(),
                                           last_error=None)
        except BaseException as exc:  # Ctrl-C too: say where it stopped, and free it for the resuming run
            if not (isinstance(exc, Conflict) and exc.detail == lost):  # the run that took over is fine
                self._record_error(migration_id, exc)
            self._release(migration_id, token, clock())
            raise
        return self._release(migration_id, token, clock())

    def run_pending(self, clock: Callable[[], datetime], budget: timedelta) -> list[MigrationStatus]:
        """The scheduler's tick: carry on with every running migration nobody holds, for about `budget`."""
        until = clock() + budget
        with self.db.read() as session:
            waiting = store.unclaimed_running(session, clock())
        done = []
        for migration_id in waiting:
            if clock() >= until:
                break
            try:
                done.append(self.run(migration_id, clock, until=until))
            except Conflict:
                continue  # another instance took it first
            except DomainError as exc:  # recorded on the migration; the others go on
                log.warning("migration %d stopped: %s", migration_id, exc.detail)
        return done

    # --- reading -------------------------------------------------------------------------------------------

    def status(self, migration_id: int, now: datetime, actor: Actor | None = None) -> MigrationStatus:
        if actor is not None:
            _require_admin(actor)
        with self.db.read() as session:
            row = store.migration(session, migration_id)
            if row is None:
                raise NotFound(f"no procedure migration {migration_id}")
            left = store.remaining(session, row.procedure_key, row.from_version, self._movable(row))
        return _status(row, left, now)

    def of(self, actor: Actor, key: str, now: datetime) -> list[MigrationStatus]:
        _require_admin(actor)
        self.procedures.versions(key)  # NotFound for an unknown procedure
        with self.db.read() as session:
            ids = [r.id for r in store.migrations_of(session, key)]
        return [self.status(i, now) for i in ids]

    # --- internals -----------------------------------------------------------------------------------------

    def _movable(self, row: MigrationRecord) -> list[str]:
        """The states a stored migration moves proposals out of (all but the terminal ones of its older version)."""
        try:
            older = self.procedures.get(row.procedure_key, row.from_version)
        except NotFound:  # its file is gone (a start refuses that while proposals run on it): nothing can move
            return []
        return [name for name, state in older.states.items() if not state.terminal]

    def _record_error(self, migration_id: int, exc: BaseException) -> None:
        detail = exc.detail if isinstance(exc, DomainError) else str(exc)
        with self.db.write() as session:
            store.update_migration(session, migration_id,
                                   last_error=f"{type(exc).__name__}: {detail}"[:2000] or "interrupted")

    def _route(self, plan: MigrationPlan) -> _Route:
        return _Route(plan, self.procedures.get(plan.procedure_key, plan.from_version),
                      self.procedures.get(plan.procedure_key, plan.to_version),
                      carried_names(self.procedures, plan.procedure_key, plan.from_version, plan.to_version,
                                    "states"))

    def _claim(self, migration_id: int, token: str, now: datetime) -> tuple[MigrationPlan, MigrationRecord]:
        with self.db.read() as session:
            row = store.migration(session, migration_id)
            if row is None:
                raise NotFound(f"no procedure migration {migration_id}")
            counts = store.running_by_state(session, row.procedure_key, row.from_version)
        try:
            # Checked against the proposals running now: a plan that no longer fits stops before it moves anyone.
            plan = check_plan(PlanFile.model_validate(row.plan), self.procedures, counts)
        except DomainError as exc:
            self._record_error(migration_id, exc)
            raise
        with self.db.write() as session:
            if row.status == "running" and not store.claim(session, migration_id, token, now=now,
                                                           until=now + self.lease):
                holder = store.migration(session, migration_id)
                until = holder.lease_until if holder is not None else None
                raise Conflict(f"migration {migration_id} is being run by another process"
                               + (f" (its lease ends {until:%H:%M:%S} UTC)" if until else "")
                               + f"; follow it with `foerderweg procedure migration {migration_id}`")
        return plan, row

    def _release(self, migration_id: int, token: str, now: datetime) -> MigrationStatus:
        with self.db.write() as session:
            store.release(session, migration_id, token)
        return self.status(migration_id, now)

    @staticmethod
    def _plan_one(session: Session, route: _Route, row: ProposalRecord, now: datetime, *,
                  lock: bool = False) -> ProposalMove:
        old, new = route.old, route.new
        move = route.plan.moves[row.state]
        target = move.target
        wanted = [d for d in new.deadlines.values() if d.scope == "proposal" and target in d.states]
        open_rows = [OpenRow(r.id, r.kind, r.due_at, r.stage, r.next_fire_at, r.state)
                     for r in repo.open_deadlines(session, row.id, lock=lock)]
        needs_plan = any(d.due.plan_end or d.due.before_each_later_year for d in wanted)

        def reminders(kind: str) -> int:
            definition = old.deadlines.get(kind) or new.deadlines.get(kind)
            return len(definition.reminder_offsets) if definition is not None else 0

        ran_out = frozenset((r.kind, r.due_at) for r in repo.closed_deadlines(session, row.id)
                            if r.stage > reminders(r.kind))
        moves = deadline_moves(old, new, target=target, policy=move.deadlines, open_rows=open_rows,
                               plan_years=[r.year for r in repo.plan(session, row.id)] if needs_plan else [],
                               ran_out=ran_out, now=now)
        return ProposalMove(row.id, row.title, row.state, target, moves)

    def _move(self, migration_id: int, route: _Route, proposal_id: int, *, actor: Actor, now: datetime) -> bool:
        """One proposal, in one transaction. False if it needs no move (any more)."""
        plan, new = route.plan, route.new
        for _ in range(ATTEMPTS):
            with self.db.write() as session:
                row = repo.proposal(session, proposal_id)
                if (row is None or row.procedure_key != plan.procedure_key
                        or row.procedure_version != plan.from_version or row.state not in plan.moves):
                    return False
                move = self._plan_one(session, route, row, now, lock=True)
                state = new.states[move.to_state]
                if not store.migrate_proposal(
                        session, proposal_id, expected_version=row.version, from_version=plan.from_version,
                        to_version=plan.to_version, state=move.to_state, binds_budget=state.binds_budget,
                        reaches_alliance=now if state.alliance_stage else None,
                        reaches_bank=now if state.bank_stage else None, now=now):
                    continue  # written meanwhile: read it again
                self._write_deadlines(session, route, proposal_id, move, now)
                repo.insert_audit(session, {
                    "proposal_id": proposal_id, "seq": row.version + 1, "at": now, "kind": "migrated",
                    "actor_id": actor.user_id, "actor_name": actor.name, "actor_role": actor.role.value,
                    "transition": None, "from_state": row.state, "to_state": move.to_state,
                    "reason": plan.description or None,
                    "inputs": {"plan_id": plan.id, "migration_id": migration_id, "from_version": plan.from_version,
                               "to_version": plan.to_version, "deadlines": move.as_record()},
                    "request_id": None, "procedure_key": plan.procedure_key, "procedure_version": plan.to_version,
                    "session_id": None,
                })
                store.count_moved(session, migration_id)
                if row.binds_budget and not state.binds_budget:
                    self.freed_money.offer(session, row, now)
                return True
        raise Conflict(f"proposal {proposal_id} kept changing while it was being migrated; run the migration again")

    @staticmethod
    def _write_deadlines(session: Session, route: _Route, proposal_id: int, move: ProposalMove,
                         now: datetime) -> None:
        new, changes = route.new, move.deadlines
        repo.cancel_deadlines(session, [r.id for r in changes.cancelled], now)
        store.repoint_deadlines(session, [(k.id, k.stage, k.next_fire_at, route.state_names.get(k.opened_in or ""))
                                          for k in changes.kept], new.version)
        repo.insert_deadlines(session, [
            {"proposal_id": proposal_id, "kind": c.kind, "procedure_key": new.key, "procedure_version": new.version,
             "state": move.to_state, "due_at": c.due_at, "status": "open", "stage": c.stage,
             "next_fire_at": c.next_fire_at, "created_at": now}
            for c in changes.created])


def _require_admin(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden("only an administrator migrates proposals to another procedure version")


def _status(row: MigrationRecord, remaining: int, now: datetime) -> MigrationStatus:
    return MigrationStatus(
        id=row.id, plan_id=row.plan_id, procedure_key=row.procedure_key, from_version=row.from_version,
        to_version=row.to_version, status=row.status, planned=row.planned, moved=row.moved, remaining=remaining,
        started_by=row.started_by_name, started_at=row.started_at, finished_at=row.finished_at,
        running_now=row.claim is not None and row.lease_until is not None and row.lease_until > now,
        last_error=row.last_error)
