"""Scoring: the round's scheme, a member's scores of a proposal, and what each person may see of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflow.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.procedure.inputs import clean_text, parse_model
from workflow.procedure.text_fields import MultiLine
from workflow.proposals import store as repo
from workflow.proposals.queries import ProposalQueries
from workflow.proposals.records import ProposalRecord
from workflow.review import store
from workflow.review.access import OPERATORS, require_steward
from workflow.review.conditions import ConditionView, condition_views, may_judge
from workflow.review.facts import parties, scheme_for, scorers
from workflow.review.records import ScoreRecord
from workflow.review.results import Result, Sheet, check_sheet, conflict_of, result_of
from workflow.review.scheme import ScoringScheme
from workflow.timeutil import require_aware


class ScoreInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    points: dict[str, int] = Field(max_length=30)
    ko: dict[str, bool] = Field(default_factory=dict, max_length=30)
    comment: MultiLine = Field(default="", max_length=5_000)


@dataclass(frozen=True)
class SchemeView:
    round_id: int
    scheme: ScoringScheme | None
    source: str  # procedure | round | none
    # The manager may still replace it: the procedure does not fix it and nobody has scored in the round.
    changeable: bool


@dataclass(frozen=True)
class MemberStatus:
    user_id: int
    name: str
    scored: bool
    conflict: str | None


@dataclass(frozen=True)
class SheetView:
    scorer_id: int
    scorer_name: str
    points: dict[str, int]
    ko: dict[str, bool]
    comment: str
    updated_at: datetime


@dataclass(frozen=True)
class ScoringView:
    proposal_id: int
    scheme: ScoringScheme | None
    members: list[MemberStatus]
    quorum_reached: bool
    result: Result | None  # None while the caller may not see it yet
    own: SheetView | None
    sheets: list[SheetView]  # others' sheets the caller may see
    hidden_until_scored: bool  # the caller sees others' scores after giving their own


@dataclass(frozen=True)
class ReviewPart:
    """What the actor may see and do in the steering group's review of one proposal now.

    The web page shows forms only for what is allowed here, so that it never decides a right of its own."""

    proposal_id: int
    title: str
    scoring: ScoringView
    member: MemberStatus | None  # the actor as one of the proposal's scorers, if they are
    scoring_open: bool  # the proposal is in a state it is scored in
    can_score: bool  # a scorer free of conflict, while scoring is open
    conditions: list[ConditionView]  # of the latest second reading
    can_judge: bool  # a steward, in the second reading, with conditions to judge


class ScoringService(ProposalQueries):
    def scheme(self, actor: Actor, round_id: int) -> SchemeView:
        with self.db.read() as session:
            return self._scheme_view(session, self._round(session, round_id))

    def set_scheme(self, actor: Actor, round_id: int, data: Mapping[str, Any] | ScoringScheme, *,
                   now: datetime) -> SchemeView:
        require_aware(now)
        scheme = parse_model(ScoringScheme, data)
        if scheme.fixed:
            raise InvalidInput([FieldProblem("fixed", "only a procedure fixes its scheme; a round's scheme is not")])
        with self.db.write() as session:
            round_ = self._round(session, round_id)
            require_steward(actor, round_.alliance_id, "set the round's scoring scheme")
            procedure = self.procedures.get(round_.procedure_key, round_.procedure_version)
            if procedure.scoring is not None and procedure.scoring.fixed:
                raise Conflict(f"{procedure.ref} fixes the scoring scheme for every round")
            if store.scores_in_round(session, round_id):
                raise Conflict("members have scored in this round already; its scheme can no longer change")
            store.put_round_scheme(session, round_id, scheme.model_dump(mode="json"), actor.user_id, now)
            return self._scheme_view(session, round_)

    def score(self, actor: Actor, proposal_id: int, data: Mapping[str, Any] | ScoreInput, *, now: datetime,
              request_id: str | None = None) -> ScoringView:
        """Record (or revise) the caller's scores of a proposal; a member with a conflict of interest is refused."""
        require_aware(now)
        sheet = parse_model(ScoreInput, data)
        clean_text("comment", sheet.comment)
        with self.db.write() as session:
            # A sheet sent twice at once (a double click, a retry) must revise itself, not collide with itself.
            store.lock_proposal(session, proposal_id)
            row = self._load(session, actor, proposal_id)
            procedure = self._machine(row).procedure
            scheme = scheme_for(session, procedure, row.round_id)
            if scheme is None:
                raise Conflict("the round has no scoring scheme yet; the manager sets one first")
            member = next((m for m in scorers(session, scheme, row) if m.user_id == actor.user_id), None)
            if member is None:
                who = "the steering group's voting members" if scheme.scorers == "reviewer" else "bank officers"
                raise Forbidden(f"only {who} score proposals of this round")
            if row.state not in procedure.scoring_states:
                raise Conflict(f"proposals are scored in state(s) {', '.join(procedure.scoring_states) or 'none'}; "
                               f"this one is in '{row.state}'")
            conflict = conflict_of(member, parties(row))
            if conflict is not None:
                raise Forbidden(f"conflict of interest: {conflict}; your score is not taken and you do not count "
                                "towards the quorum")
            problems = check_sheet(scheme, sheet.points, sheet.ko)
            if problems:
                raise InvalidInput([FieldProblem(f, p) for f, p in problems])
            replaced = store.save_score(session, proposal_id=proposal_id, scorer_id=member.user_id,
                                        points=sheet.points, ko=sheet.ko, comment=sheet.comment, now=now)
            store.record_act(session, actor, row, kind="scored", now=now, request_id=request_id,
                             inputs={"points": sheet.points, "ko": sheet.ko, "revised": replaced})
            return self._scoring_view(session, actor, self._load(session, actor, proposal_id))

    def scores(self, actor: Actor, proposal_id: int) -> ScoringView:
        with self.db.read() as session:
            return self._scoring_view(session, actor, self._load(session, actor, proposal_id))

    def review_part(self, actor: Actor, proposal_id: int) -> ReviewPart | None:
        """The actor's part in the proposal's review, read in one transaction; None when they have none (an
        applicant; a bank officer unless the bank scores the round)."""
        if actor.role == Role.APPLICANT:
            return None
        with self.db.read() as session:
            row = self._load(session, actor, proposal_id)
            scoring = self._scoring_view(session, actor, row)
            scheme = scoring.scheme
            if actor.role == Role.BANK and (scheme is None or scheme.scorers != "bank"):
                return None
            procedure = self._machine(row).procedure
            member = next((m for m in scoring.members if m.user_id == actor.user_id), None)
            scorer = member if member is not None and scheme is not None and actor.role.value == scheme.scorers \
                else None
            scoring_open = row.state in procedure.scoring_states
            conditions = [c for c in condition_views(store.condition_rows(session, row.id)) if c.current]
            return ReviewPart(
                proposal_id=row.id, title=row.title, scoring=scoring, member=scorer, scoring_open=scoring_open,
                can_score=scorer is not None and scoring_open and scorer.conflict is None, conditions=conditions,
                can_judge=may_judge(actor, row.alliance_id, procedure.state(row.state)) and bool(conditions))

    # --- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _round(session: Any, round_id: int) -> models.Round:
        round_ = repo.get(session, models.Round, round_id)
        if round_ is None:
            raise NotFound(f"round {round_id} not found")
        return round_

    def _scheme_view(self, session: Any, round_: models.Round) -> SchemeView:
        assert round_.id is not None
        procedure = self.procedures.get(round_.procedure_key, round_.procedure_version)
        fixed = procedure.scoring is not None and procedure.scoring.fixed
        stored = None if fixed else store.round_scheme(session, round_.id)
        scheme = scheme_for(session, procedure, round_.id)
        source = "round" if stored is not None else ("procedure" if scheme is not None else "none")
        return SchemeView(round_id=round_.id, scheme=scheme, source=source,
                          changeable=not fixed and store.scores_in_round(session, round_.id) == 0)

    def _scoring_view(self, session: Any, actor: Actor, row: ProposalRecord) -> ScoringView:
        procedure = self._machine(row).procedure
        scheme = scheme_for(session, procedure, row.round_id)
        if scheme is None:
            return ScoringView(proposal_id=row.id, scheme=None, members=[], quorum_reached=False, result=None,
                               own=None, sheets=[], hidden_until_scored=False)
        who = parties(row)
        people = scorers(session, scheme, row)
        names = {m.user_id: m.name for m in people}
        conflicts = {m.user_id: conflict_of(m, who) for m in people}
        rows = store.score_rows(session, row.id)
        by_scorer = {r.scorer_id: r for r in rows}
        counted: list[Sheet] = [s for s in store.sheets(rows) if conflicts.get(s.scorer_id, "gone") is None]
        eligible = sum(1 for c in conflicts.values() if c is None)
        quorum = len(counted) >= scheme.quorum and eligible >= scheme.quorum
        is_scorer = actor.user_id in names and actor.role.value == scheme.scorers
        sees_all = actor.role in OPERATORS or actor.role == Role.MANAGER
        if actor.role == Role.APPLICANT:
            raise Forbidden("applicants do not see the steering group's scores")
        own_row = by_scorer.get(actor.user_id) if is_scorer and actor.user_id is not None else None
        # A member sees the others' scores once they scored themselves (or at once, if the scheme is not blind);
        # a member with a conflict of interest is out of this proposal's scoring and sees none of it.
        free_of_conflict = actor.user_id is not None and conflicts.get(actor.user_id) is None
        opened = sees_all or (is_scorer and free_of_conflict and (own_row is not None or not scheme.blind))
        shows_result = opened or (actor.role == Role.BANK and scheme.scorers == "reviewer")

        def view(r: ScoreRecord) -> SheetView:
            return SheetView(scorer_id=r.scorer_id, scorer_name=names.get(r.scorer_id, "?"),
                             points=dict(r.points), ko=dict(r.ko or {}), comment=r.comment, updated_at=r.updated_at)

        return ScoringView(
            proposal_id=row.id, scheme=scheme,
            members=[MemberStatus(user_id=m.user_id, name=m.name, scored=m.user_id in by_scorer,
                                  conflict=conflicts[m.user_id]) for m in people],
            quorum_reached=quorum,
            result=result_of(scheme, counted) if shows_result else None,
            own=view(own_row) if own_row is not None else None,
            sheets=[view(r) for r in rows if r.scorer_id != actor.user_id] if opened else [],
            hidden_until_scored=is_scorer and not opened,
        )
