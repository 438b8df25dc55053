"""The sweep: what fell due becomes outbox rows and automatic steps; rounds close by themselves.

The claimed rows of a batch are handled in one transaction: the notifications of their due firings and their
next firings commit together, and what the rows need is read once for the batch. A row whose falling due takes
an automatic step is handled in a transaction of its own, as is every row of a batch that failed, so that one
broken row stops no other. Rows are claimed with a lease first, so several sweepers (threads, processes,
machines) share the work without doing any of it twice, and the rows of one that died are taken over when its
lease ends. `now` is a parameter: the clock is the caller's.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from workflow.deadlines.book import DeadlineBook
from workflow.deadlines.definition import DeadlineDef
from workflow.deadlines.schedule import Firing, firing
from workflow.errors import DomainError
from workflow.notify import store
from workflow.notify.records import SweptDeadline
from workflow.notify.writer import DueFiring, NotificationWriter, Outcome
from workflow.people.actors import SYSTEM
from workflow.persistence.db import Database
from workflow.proposals import store as repo
from workflow.proposals.service import ProposalService
from workflow.timeutil import require_aware, show

log = logging.getLogger(__name__)


class _Schedule:
    """`firing`, remembered for one batch: many rows share a definition and a due moment, and the calendar
    arithmetic (relativedelta on the Berlin wall clock) costs more than the rest of a row."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, datetime, int], Firing | None] = {}

    def firing(self, definition: DeadlineDef, due_at: datetime, index: int) -> Firing | None:
        key = (id(definition), due_at, index)
        if key not in self._known:
            self._known[key] = firing(definition, due_at, index)
        return self._known[key]

    def due(self, definition: DeadlineDef, row: SweptDeadline, now: datetime) -> list[Firing]:
        """The row's firings from its stage on whose moment has come."""
        due = []
        index = row.stage
        while (item := self.firing(definition, row.due_at, index)) is not None and item.at <= now:
            due.append(item)
            index += 1
        return due


@dataclass
class SweepReport:
    deadlines: int = 0
    notifications: int = 0
    skipped: int = 0
    steps: int = 0
    refused_steps: list[str] = field(default_factory=list)

    def add(self, other: SweepReport) -> None:
        self.deadlines += other.deadlines
        self.notifications += other.notifications
        self.skipped += other.skipped
        self.steps += other.steps
        self.refused_steps += other.refused_steps


class DeadlineSweeper:
    def __init__(self, db: Database, book: DeadlineBook, proposals: ProposalService,
                 writer: NotificationWriter, *, catch_up_limit: timedelta, lease: timedelta, batch_size: int) -> None:
        self.db = db
        self.book = book
        self.proposals = proposals
        self.writer = writer
        self.catch_up_limit = catch_up_limit
        self.lease = lease
        self.batch_size = batch_size

    # --- deadlines ----------------------------------------------------------------------------------------

    def sweep(self, now: datetime) -> SweepReport:
        """Handle every deadline row with something due at `now`."""
        require_aware(now)
        report = SweepReport()
        while True:
            token = uuid.uuid4().hex
            with self.db.write() as session:
                claimed = store.claim_due_deadlines(session, now, limit=self.batch_size, token=token,
                                                    lease=self.lease)
            if not claimed:
                return report
            try:
                with self.db.write() as session:
                    done, alone = self._handle(session, claimed, token, now, steps_alone=True)
            except Exception:
                # One broken row must not stop the others: the batch is rolled back and its rows are handled
                # one by one; the broken one keeps its lease, which runs out, and a later sweep retries it.
                log.warning("a batch of %d deadlines failed; handling them one by one", len(claimed),
                            exc_info=True)
                report.add(self._one_by_one(claimed, token, now))
                continue
            report.add(done)
            report.add(self._one_by_one(alone, token, now))

    def _one_by_one(self, claimed: list[int], token: str, now: datetime) -> SweepReport:
        report = SweepReport()
        for deadline_id in claimed:
            try:
                with self.db.write() as session:
                    done, _ = self._handle(session, [deadline_id], token, now, steps_alone=False)
                report.add(done)
            except Exception:
                log.exception("deadline %s could not be swept", deadline_id)
        return report

    def _handle(self, session: Session, claimed: list[int], token: str, now: datetime, *,
                steps_alone: bool) -> tuple[SweepReport, list[int]]:
        """The claimed rows in one transaction: their notifications in one INSERT, their moves in one UPDATE.

        With `steps_alone`, a row whose falling due takes an automatic step is left out and returned, to be
        handled in a transaction of its own: the step locks and changes its proposal (and cancels the proposal's
        other deadlines, maybe claimed by another sweeper), which must not hold a whole batch or be held by it.
        """
        report = SweepReport()
        firings: list[DueFiring] = []
        moves: list[dict[str, Any]] = []
        steps: list[tuple[int, str, str]] = []
        alone: list[int] = []
        schedule = _Schedule()
        for row in store.claimed_deadlines(session, claimed, token):
            definition = self.book.definition(row.kind, row.procedure_key, row.procedure_version)
            if definition is None:
                log.warning("deadline %s: no definition '%s' any more; closing it", row.id, row.kind)
                moves.append(store.advance(row.id, stage=row.stage, next_fire_at=None, status="cancelled", now=now))
                continue
            due = schedule.due(definition, row, now)
            falls_due = row.proposal_id is not None and any(f.kind == "due" for f in due)
            transition = definition.overdue_transition if falls_due else None
            if transition and steps_alone:
                alone.append(row.id)
                continue
            report.deadlines += 1
            firings += [DueFiring(row, definition, item, self._outcome(item, last=due[-1], now=now)) for item in due]
            stage = due[-1].index + 1 if due else row.stage
            following = schedule.firing(definition, row.due_at, stage)
            # Past its last firing a deadline that escalates stays open (overdue) until its state is left.
            status = "open" if following is not None or definition.overdue.notify else "done"
            moves.append(store.advance(row.id, stage=stage, next_fire_at=None if following is None else following.at,
                                       status=status, now=now))
            if transition and row.proposal_id is not None:  # a transition falls due on a proposal's deadline only
                steps.append((row.proposal_id, transition, f"{definition.label.de} abgelaufen ({show(row.due_at)})"))
        for item, written in zip(firings, self.writer.write_many(session, firings, now=now), strict=True):
            if item.outcome.status == "skipped":
                report.skipped += written
            else:
                report.notifications += written
        store.advance_deadlines(session, token, moves)
        # The step comes after the moves: it cancels its proposal's open deadlines, and no move may undo that.
        for proposal_id, transition, reason in steps:
            report.add(self._step(session, proposal_id, transition, reason, now))
        return report, alone

    def _outcome(self, item: Firing, *, last: Firing, now: datetime) -> Outcome:
        """Send what is current; record what a catch-up made pointless, instead of dropping it silently."""
        if item is not last:
            return Outcome("skipped", f"superseded: a later firing ({last.label}, {show(last.at)}) was due "
                                      "at the same sweep")
        if item.kind == "reminder" and now - item.at > self.catch_up_limit:
            hours = self.catch_up_limit.total_seconds() / 3600
            return Outcome("skipped", f"fell due at {show(item.at)}, more than {hours:g} h before the sweep that "
                                      "found it; too late to be a reminder")
        return Outcome("pending")

    def _step(self, session: Session, proposal_id: int, transition: str, reason: str, now: datetime) -> SweepReport:
        report = SweepReport()
        try:
            with session.begin_nested():
                # The system steps from wherever the proposal is now; a step refused from there is reported.
                version = self.proposals.visible_row(session, SYSTEM, proposal_id).version
                self.proposals.step(session, SYSTEM, proposal_id, transition, expected_version=version, now=now,
                                    reason=reason)
            report.steps = 1
        except DomainError as exc:
            # The proposal may have moved on since; the deadline's notifications stand either way.
            report.refused_steps.append(f"proposal {proposal_id}: {transition}: {exc.detail}")
        return report

    # --- rounds -------------------------------------------------------------------------------------------

    def close_rounds(self, now: datetime) -> SweepReport:
        """Move the proposals of rounds whose deadline passed on, as each round's procedure says."""
        require_aware(now)
        report = SweepReport()
        moves = self.book.round_moves()
        if not moves:
            return report
        states = sorted({state for state, _ in moves.values()})
        with self.db.read() as session:
            waiting = repo.proposals_of_closed_rounds(session, now, states)
        for row in waiting:
            move = moves.get((row.procedure_key, row.procedure_version))
            if move is None or move[0] != row.state:
                continue
            with self.db.write() as session:
                report.add(self._step(session, row.id, move[1],
                                      f"Einreichungstermin abgelaufen ({show(row.closes_at)})", now))
        return report
