"""The Leipzig 2016 demo: every state reached, and an audit trail that explains every proposal's state."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from workflow.context import Context
from workflow.demo.leipzig2016 import (
    MINT_DECISION,
    PROCEDURE,
    REVISION_CONDITION,
    TIMELINE,
    DemoResult,
    Step,
    moment,
    play,
)
from workflow.errors import Conflict
from workflow.people.actors import SYSTEM
from workflow.proposals import store as repo
from workflow.proposals.views import HistoryEntry
from workflow.timeutil import DEFAULT_ZONE


@pytest.fixture
def played(ctx: Context) -> DemoResult:
    return play(ctx)


def test_every_state_of_the_procedure_is_reached(ctx: Context, played: DemoResult) -> None:
    assert played.states_reached == set(ctx.procedures.get(*PROCEDURE).states)
    with ctx.db.read() as session:
        in_audit = set(session.execute(sa.select(repo.AUDIT.c.to_state).distinct()).scalars())
    assert in_audit == played.states_reached


def test_each_state_equals_the_target_of_its_last_audit_event(ctx: Context, played: DemoResult) -> None:
    last_seq = (sa.select(repo.AUDIT.c.proposal_id, sa.func.max(repo.AUDIT.c.seq).label("seq"))
                .group_by(repo.AUDIT.c.proposal_id).subquery())
    query = (sa.select(repo.PROPOSALS.c.id, repo.PROPOSALS.c.state, repo.PROPOSALS.c.version, repo.AUDIT.c.to_state,
                       repo.AUDIT.c.seq)
             .join(last_seq, last_seq.c.proposal_id == repo.PROPOSALS.c.id)
             .join(repo.AUDIT, sa.and_(repo.AUDIT.c.proposal_id == last_seq.c.proposal_id,
                                       repo.AUDIT.c.seq == last_seq.c.seq)))
    with ctx.db.read() as session:
        rows = session.execute(query).all()
    assert len(rows) == len(played.proposals) == 8
    for proposal_id, state, version, last_target, last_seq_value in rows:
        assert state == last_target, proposal_id
        assert version == last_seq_value, proposal_id  # one audit event per write, none missing


RESOLVED = {"prioritised": "prioritise", "waiting_list": "put_on_waiting_list", "declined": "decline"}
KINDS = {"created": "create", "edited": "edit", "scored": "score"}


def expected_events(timeline: list[Step]) -> Counter[tuple[str, datetime, str]]:
    """(proposal, moment, step) of every event the timeline must leave in the proposals' audit trails.

    A proposal step leaves one; a hearing put on a session's agenda sets the proposal's hearing date (one
    schedule_hearing); a resolution leaves one step per proposal it names, except a proposal that an earlier
    resolution prioritised already (the later version leaves it as it is).
    """
    expected: Counter[tuple[str, datetime, str]] = Counter()
    prioritised: set[str] = set()
    for step in timeline:
        at = moment(step.when)
        if step.action == "agenda":
            assert step.inputs["purpose"] == "hearing"
            expected[step.proposal, at, "schedule_hearing"] += 1
        elif step.action == "resolve":
            for listed, transition in RESOLVED.items():
                for key in step.inputs.get(listed, []):
                    if transition == "prioritise" and key in prioritised:
                        continue
                    expected[key, at, transition] += 1
            prioritised.update(step.inputs.get("prioritised", []))
        else:
            expected[step.proposal, at, step.action] += 1
    return expected


def step_of(event: HistoryEntry) -> str:
    if event.kind == "condition":
        return {"answered": "answer", "judged": "judge"}[event.inputs["action"]]
    return event.transition or KINDS[event.kind]


def test_the_audit_trail_holds_every_step_with_actor_time_from_to_and_reason(ctx: Context, played: DemoResult) -> None:
    trails = {key: ctx.proposals.history(SYSTEM, pid) for key, pid in played.proposals.items()}
    found = Counter((key, e.at, step_of(e)) for key, trail in trails.items() for e in trail)
    assert found == expected_events(TIMELINE)
    events = [e for trail in trails.values() for e in trail]
    for event in events:
        assert event.actor_name and event.actor_role and event.at.tzinfo is not None and event.to_state
        if event.kind == "transition":
            assert event.from_state and event.transition
        if event.transition in ("decline", "reject", "withdraw"):
            assert event.reason and len(event.reason) > 10
    by_step = {(e.transition, e.to_state) for e in events}
    assert ("decline", "not_prioritised") in by_step and ("reject", "rejected") in by_step


def test_the_mint_proposal_follows_the_2016_timeline(ctx: Context, played: DemoResult) -> None:
    history = ctx.proposals.history(SYSTEM, played.proposals["mint"])
    steps = [(e.at.astimezone(DEFAULT_ZONE).date(), e.transition or e.kind, e.to_state) for e in history]
    assert (date(2016, 5, 4), "submit", "submitted") in steps
    assert (date(2016, 5, 24), "request_revision", "revision_requested") in steps
    assert (date(2016, 6, 13), "resubmit", "second_reading") in steps
    assert steps[-1][1:] == ("decline", "not_prioritised")
    revision = next(e for e in history if e.transition == "request_revision")
    assert revision.inputs == {
        "conditions": [{"text": REVISION_CONDITION, "responsible": "Zukunftsakademie Leipzig e.V.", "due": None}],
        "revision_deadline": "2016-06-13", "next_session": "2016-06-15"}
    # The condition was answered before the resubmission and judged met in the second reading.
    [condition] = ctx.conditions.conditions(SYSTEM, played.proposals["mint"])
    assert (condition.status, condition.due_on) == ("met", date(2016, 6, 13))
    answered, judged = [e for e in history if e.kind == "condition"]
    assert answered.at < next(e.at for e in history if e.transition == "resubmit") < judged.at
    assert history[-1].reason == MINT_DECISION


def test_inspirata_was_prioritised_then_rejected_by_the_bank(ctx: Context, played: DemoResult) -> None:
    history = ctx.proposals.history(SYSTEM, played.proposals["inspirata"])
    assert [e.to_state for e in history][-3:] == ["prioritised", "forwarded_to_bank", "rejected"]
    assert history[-1].actor_role == "bank" and history[-1].inputs["bank_reference"] == "SAB-FKR-2016-0415"


def test_the_demo_refuses_to_load_twice(ctx: Context, played: DemoResult) -> None:
    with pytest.raises(Conflict, match="already loaded"):
        play(ctx)


def test_the_june_resolutions_put_the_symposium_below_the_budget_line_and_the_rejection_moves_it_up(
        ctx: Context, played: DemoResult) -> None:
    ids = played.proposals
    first, second = (ctx.priorisation.resolutions(SYSTEM, played.rounds[n]) for n in (1, 2))
    assert [r.version for r in first] == [1] and [r.version for r in second] == [1, 2]
    assert first[0].decided_on == date(2016, 6, 29) and first[0].declined[0]["proposal_id"] == ids["mint"]
    assert sorted(first[0].prioritised) == sorted(ids[k] for k in ("roberta", "inspirata", "robotik"))
    assert second[0].waiting_list == [ids["symposium"]] and second[1].decided_on == date(2016, 9, 5)
    # The June document kept the line as it stood: 140,000 EUR less 108,000 bound by the first round.
    line = second[0].ranking["line"]
    assert (line["available"], line["bound_here"]) == (32_000_00, 27_000_00)
    symposium = next(e for e in second[0].ranking["entries"] if e["candidate"]["proposal_id"] == ids["symposium"])
    assert symposium["counts"] and not symposium["within_budget"] and symposium["running_sum"] == 40_500_00
    # The bank rejected Inspirata on 1 September; the manager was offered the symposium.
    rejection = ctx.proposals.history(SYSTEM, ids["inspirata"])[-1]
    assert (rejection.transition, rejection.at.astimezone(DEFAULT_ZONE).date()) == ("reject", date(2016, 9, 1))
    manager = ctx.admin.actor_for(played.users["manager"])
    offers = [n for n in ctx.outbox.inbox(manager) if n.topic == "waiting_list"]
    assert [n.proposal_id for n in offers] == [ids["symposium"]]
    assert ctx.proposals.get(SYSTEM, ids["symposium"], now=moment("2016-09-07 12:00")).state == "forwarded_to_bank"


def test_the_htwk_member_did_not_score_what_the_htwk_leads_or_partners(ctx: Context, played: DemoResult) -> None:
    htwk = played.users["htwk"]
    for key in ("roberta", "robotik"):
        members = {m.user_id: m for m in ctx.scoring.scores(SYSTEM, played.proposals[key]).members}
        assert members[htwk].conflict is not None and not members[htwk].scored
    assert any(m.user_id == htwk and m.scored for m in ctx.scoring.scores(SYSTEM, played.proposals["mint"]).members)
