"""The ranked list of a round with its budget line. Pure: the caller loads the rows, this orders and sums them.

Proposals rank by their weighted total score, highest first; equal totals are ordered by the scheme's recorded
tie-break rule, then by id. Only proposals that may still receive money count towards the line: those whose
state binds the budget (prioritised, forwarded, approved...) and those open ones that pass the scheme's minimum
and k.o. criteria. Declined and rejected proposals stay on the list, for the record, without counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Candidate:
    proposal_id: int
    title: str
    state: str
    terminal: bool
    binds_budget: bool
    submitted_at: datetime | None
    requested: int  # grant for the year, cents
    approved: int | None
    total: Decimal | None  # None: not scored yet
    share: Decimal | None
    passes: bool  # scored by a quorum, above the minimum share, no k.o. criterion failed
    quorum_reached: bool
    ko_failed: tuple[str, ...] = ()

    @property
    def grant(self) -> int:
        return self.approved if self.approved is not None else self.requested


@dataclass(frozen=True)
class Entry:
    rank: int
    candidate: Candidate
    counts: bool  # counts towards the budget line
    why_not: str | None
    running_sum: int
    within_budget: bool
    tie_broken: bool  # ranked after an equal total by the tie-break rule


@dataclass(frozen=True)
class BudgetLine:
    year: int
    budget: int | None  # None: the alliance has no budget for the year
    reserve: int  # drawn from reserve pools for the year
    bound_elsewhere: int  # bound by the alliance's other rounds
    available: int  # budget + reserve - bound elsewhere
    bound_here: int  # what this round's binding proposals take
    free: int  # available - bound here


@dataclass(frozen=True)
class Ranking:
    round_id: int
    year: int
    tie_break: str
    min_share: int | None
    line: BudgetLine
    entries: list[Entry] = field(default_factory=list)
    # The next proposal on the waiting list that the freed money would cover, offered to the manager.
    offer: int | None = None


def _why_not(c: Candidate) -> str | None:
    """Why the proposal does not count towards the budget line, or None when it does (first reason only)."""
    reasons = [
        (c.binds_budget, None),
        (c.terminal, f"no longer in the running (state '{c.state}')"),
        (c.total is None, "not scored yet"),
        (bool(c.ko_failed), f"k.o. criterion not met: {', '.join(c.ko_failed)}"),
        (not c.quorum_reached, "the quorum has not scored it yet"),
        (not c.passes, "below the minimum share of the maximum score"),
    ]
    return next((why for applies, why in reasons if applies), None)


def rank(candidates: list[Candidate], *, tie_break: str, available: int) -> list[Entry]:
    def key(c: Candidate) -> tuple[int, Decimal, float, int]:
        scored = 0 if c.total is not None else 1
        submitted = c.submitted_at.timestamp() if c.submitted_at is not None else float("inf")
        rule = float(c.grant) if tie_break == "lower_grant_first" else submitted
        return scored, -(c.total or Decimal(0)), rule, c.proposal_id

    entries: list[Entry] = []
    running = 0
    previous: Candidate | None = None
    for index, c in enumerate(sorted(candidates, key=key), start=1):
        why = _why_not(c)
        counts = why is None
        if counts:
            running += c.grant
        tie = previous is not None and previous.total is not None and previous.total == c.total
        entries.append(Entry(rank=index, candidate=c, counts=counts, why_not=why, running_sum=running,
                             within_budget=counts and running <= available, tie_broken=tie))
        previous = c
    return entries
