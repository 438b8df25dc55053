"""Use cases on a real database: what applicants, the steering group and the bank notice."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from tests.concurrently import at_once
from tests.conftest import make_context
from tests.factories import (
    AFTER_CLOSE,
    REASON,
    ROUND_CLOSES,
    ROUND_OPENS,
    WHILE_OPEN,
    World,
    complete_plan,
    make_world,
    new_draft,
    proposal_in,
    satisfy,
)
from workflow.context import Context
from workflow.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.procedure.definition import TransitionDef
from workflow.proposals import store as repo
from workflow.proposals.visibility import can_see, visible_clause


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


def transition(ctx: Context, name: str) -> TransitionDef:
    return ctx.procedures.latest(ctx.settings.default_procedure).transitions[name]


def test_draft_starts_in_initial_state_pinned_to_its_version(ctx: Context, world: World) -> None:
    view = ctx.proposals.create_draft(world.actor(Role.APPLICANT), {
        "round_id": world.round_id, "title": "RobertaRegioZentrum", "funding_plan": complete_plan(),
    }, now=WHILE_OPEN, request_id="req-1")
    assert (view.state, view.version, view.procedure_key, view.procedure_version) == ("draft", 1, "saxony-regional", 2)
    assert view.state_label == {"de": "Entwurf", "en": "Draft"}
    assert view.organisation_id == world.organisation_id and view.alliance_id == world.alliance_id
    assert view.funding_plan[0].total_cost == 50_000_00 and view.funding_plan[0].grant_requested == 45_000_00
    [created] = ctx.proposals.history(world.actor(Role.APPLICANT), view.id)
    assert (created.kind, created.from_state, created.to_state) == ("created", None, "draft")
    assert created.request_id == "req-1"


def test_only_applicants_create_drafts_in_open_rounds(ctx: Context, world: World) -> None:
    with pytest.raises(Forbidden):
        ctx.proposals.create_draft(world.actor(Role.MANAGER), {"round_id": world.round_id, "title": "X y z"},
                                   now=WHILE_OPEN)
    with pytest.raises(InvalidInput, match="closed"):
        ctx.proposals.create_draft(world.actor(Role.APPLICANT), {"round_id": world.round_id, "title": "Zu spät"},
                                   now=ROUND_CLOSES)
    with pytest.raises(InvalidInput, match="round_id"):
        ctx.proposals.create_draft(world.actor(Role.APPLICANT), {"round_id": 999, "title": "Keine Runde"},
                                   now=WHILE_OPEN)


def test_submit_refused_by_90_percent_rule_then_fixed(ctx: Context, world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    too_much = [{**complete_plan()[0], "grant_requested": "45000.01", "own_share": "4999.99"}]
    proposal_id = new_draft(ctx, world, plan=too_much)
    with pytest.raises(GuardFailed) as refused:
        ctx.proposals.fire(applicant, proposal_id, "submit", expected_version=1, now=WHILE_OPEN)
    [failure] = refused.value.failures
    assert failure.rule == "funding_plan_complete"
    assert "exceeds 90 %" in failure.why and "45.000,00 EUR" in failure.why
    assert ctx.proposals.get(applicant, proposal_id, now=WHILE_OPEN).version == 1  # nothing written

    view = ctx.proposals.edit_draft(applicant, proposal_id, {"funding_plan": complete_plan()}, expected_version=1,
                                    now=WHILE_OPEN)
    result = ctx.proposals.fire(applicant, proposal_id, "submit", expected_version=view.version, now=WHILE_OPEN)
    assert (result.to_state, result.version) == ("submitted", 3)


def test_submit_outside_the_round_names_the_rule(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world, now=ROUND_OPENS)
    with pytest.raises(GuardFailed, match=r"round_open: round .* closed"):
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=1, now=ROUND_CLOSES)
    with pytest.raises(GuardFailed, match="opens only at"):
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=1,
                           now=ROUND_OPENS - timedelta(seconds=1))


def test_all_failing_rules_are_reported_together(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world, plan=[])
    with pytest.raises(GuardFailed) as refused:
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=1, now=AFTER_CLOSE)
    assert [f.rule for f in refused.value.failures] == ["funding_plan_complete", "round_open"]


def test_review_opens_only_after_the_round_closed(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "submitted")
    with pytest.raises(GuardFailed, match="still open"):
        ctx.proposals.fire(world.actor(Role.SYSTEM), proposal_id, "open_review", expected_version=version,
                           now=WHILE_OPEN)
    ctx.proposals.fire(world.actor(Role.SYSTEM), proposal_id, "open_review", expected_version=version,
                       now=ROUND_CLOSES)


def test_decline_needs_a_reason_and_records_it(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "in_review")
    manager = world.actor(Role.MANAGER)
    with pytest.raises(GuardFailed, match="reason_given"):
        ctx.proposals.fire(manager, proposal_id, "decline", expected_version=version, now=AFTER_CLOSE, reason="  ")
    ctx.proposals.fire(manager, proposal_id, "decline", expected_version=version, now=AFTER_CLOSE, reason=REASON)
    last = ctx.proposals.history(manager, proposal_id)[-1]
    assert (last.to_state, last.reason, last.actor_name) == ("not_prioritised", REASON, manager.name)


def test_second_reading_needs_its_inputs_and_audits_them(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "in_review")
    manager = world.actor(Role.MANAGER)
    with pytest.raises(InvalidInput) as missing:
        ctx.proposals.fire(manager, proposal_id, "request_revision", expected_version=version, now=AFTER_CLOSE,
                           inputs={"conditions": ["Kooperation mit HTWK"]})
    assert {p.field for p in missing.value.problems} == {"inputs.revision_deadline", "inputs.next_session"}
    inputs = {"conditions": ["Kooperation mit HTWK"], "revision_deadline": "2026-06-13", "next_session": "2026-06-15"}
    ctx.proposals.fire(manager, proposal_id, "request_revision", expected_version=version, now=AFTER_CLOSE,
                       inputs=inputs)
    # The audit row keeps the inputs as checked: each condition with who answers it (the applicant unless named).
    assert ctx.proposals.history(manager, proposal_id)[-1].inputs == {
        **inputs, "conditions": [{"text": "Kooperation mit HTWK", "responsible": "applicant", "due": None}]}
    # The condition is tracked on its own, due with the revision deadline.
    [condition] = ctx.conditions.conditions(manager, proposal_id)
    assert (condition.text, condition.responsible, condition.status, condition.current) == (
        "Kooperation mit HTWK", "applicant", "open", True)
    assert condition.due_on == date(2026, 6, 13)


def test_forward_is_refused_when_the_yearly_budget_no_longer_covers_the_grant(ctx: Context) -> None:
    world = make_world(ctx, budget_eur=150_000)  # three grants of 45,000 fit when they are prioritised
    manager = world.actor(Role.MANAGER)
    forwarded = []
    for title in ("Erstes Projekt", "Zweites Projekt", "Drittes Projekt"):
        forwarded.append(proposal_in(ctx, world, "prioritised", title=title))
    for proposal_id, version in forwarded[:2]:
        ctx.proposals.fire(manager, proposal_id, "forward", expected_version=version, now=AFTER_CLOSE)
    # The year's budget is cut after the priorisation: two grants of 45,000 still fit, the third does not.
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 100_000_00)
    third_id, third_version = forwarded[2]
    refusal = r"budget_covers: 2026: grant 45\.000,00 EUR exceeds the free budget 10\.000,00"
    with pytest.raises(GuardFailed, match=refusal):
        ctx.proposals.fire(manager, third_id, "forward", expected_version=third_version, now=AFTER_CLOSE)

    # A bank rejection frees the money it bound: now the third fits.
    first_id, _ = forwarded[0]
    ctx.proposals.fire(world.actor(Role.BANK), first_id, "reject", expected_version=forwarded[0][1] + 1,
                       now=AFTER_CLOSE, reason="nicht förderfähig", inputs={"bank_reference": "SAB-1"})
    ctx.proposals.fire(manager, third_id, "forward", expected_version=third_version, now=AFTER_CLOSE)


def test_edit_only_in_editable_states_by_the_applicant(ctx: Context, world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    proposal_id, version = proposal_in(ctx, world, "submitted")
    with pytest.raises(InvalidTransition, match="cannot be edited"):
        ctx.proposals.edit_draft(applicant, proposal_id, {"title": "Neuer Titel"}, expected_version=version,
                                 now=AFTER_CLOSE)
    revising_id, revising_version = proposal_in(ctx, world, "revision_requested", title="In Überarbeitung")
    with pytest.raises(Forbidden):
        ctx.proposals.edit_draft(world.actor(Role.MANAGER), revising_id, {"title": "Neuer Titel"},
                                 expected_version=revising_version, now=AFTER_CLOSE)
    draft_id = new_draft(ctx, world)
    with pytest.raises(InvalidInput, match="no changes"):
        ctx.proposals.edit_draft(applicant, draft_id, {}, expected_version=1, now=WHILE_OPEN)
    view = ctx.proposals.edit_draft(applicant, draft_id, {"title": "Neuer Titel", "partners": ["Inspirata e.V."]},
                                    expected_version=1, now=WHILE_OPEN)
    assert (view.title, view.partners, view.version) == ("Neuer Titel", ["Inspirata e.V."], 2)
    edited = ctx.proposals.history(applicant, draft_id)[-1]
    assert (edited.kind, edited.inputs["fields"]) == ("edited", ["partners", "title"])
    assert edited.inputs["changes"] == {"title": {"from": "MINT-Netzwerk Leipzig", "to": "Neuer Titel"},
                                        "partners": {"from": ["HTWK Leipzig"], "to": ["Inspirata e.V."]}}


def test_an_edited_funding_plan_stays_reconstructable_from_the_history(ctx: Context, world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    draft_id = new_draft(ctx, world)
    ctx.proposals.edit_draft(applicant, draft_id, {"funding_plan": complete_plan(staff="30000", material="5000")},
                             expected_version=1, now=WHILE_OPEN)
    change = ctx.proposals.history(applicant, draft_id)[-1].inputs["changes"]["funding_plan"]
    def brief(plan: list[dict[str, int]]) -> list[tuple[int, int, int]]:
        return [(y["year"], y["total_cost"], y["grant_requested"]) for y in plan]

    assert brief(change["from"]) == [(2026, 50_000_00, 45_000_00)]
    assert brief(change["to"]) == [(2026, 35_000_00, 31_500_00)]


def test_revision_requested_is_editable_again(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "revision_requested")
    view = ctx.proposals.edit_draft(world.actor(Role.APPLICANT), proposal_id, {"goals": "Kooperativer Ansatz"},
                                    expected_version=version, now=AFTER_CLOSE)
    assert view.goals == "Kooperativer Ansatz"


def test_visibility_by_organisation_and_alliance(ctx: Context, world: World) -> None:
    draft_id = new_draft(ctx, world, title="Noch privat")
    for insider in (Role.APPLICANT, Role.ADMIN, Role.SYSTEM):
        assert ctx.proposals.get(world.actor(insider), draft_id, now=WHILE_OPEN).id == draft_id
    for outsider in (world.actor(Role.REVIEWER), world.actor(Role.MANAGER)):  # a draft is the applicant's own
        with pytest.raises(NotFound):
            ctx.proposals.get(outsider, draft_id, now=WHILE_OPEN)
    proposal_id, _ = proposal_in(ctx, world, "submitted")
    for outsider in (world.other_applicant, world.other_manager, world.actor(Role.BANK)):
        with pytest.raises(NotFound):
            ctx.proposals.get(outsider, proposal_id, now=WHILE_OPEN)
        with pytest.raises(NotFound):
            ctx.proposals.history(outsider, proposal_id)
        with pytest.raises(NotFound):
            ctx.proposals.fire(outsider, proposal_id, "withdraw", expected_version=2, now=WHILE_OPEN, reason=REASON)
    for insider in (Role.APPLICANT, Role.REVIEWER, Role.MANAGER, Role.ADMIN, Role.SYSTEM):
        assert ctx.proposals.get(world.actor(insider), proposal_id, now=WHILE_OPEN).id == proposal_id


def test_bank_sees_a_proposal_once_forwarded(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "forwarded_to_bank")
    bank = world.actor(Role.BANK)
    assert ctx.proposals.get(bank, proposal_id, now=AFTER_CLOSE).state == "forwarded_to_bank"
    ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "withdraw", expected_version=version,
                       now=AFTER_CLOSE, reason=REASON)
    assert ctx.proposals.get(bank, proposal_id, now=AFTER_CLOSE).state == "withdrawn"


def test_members_do_not_see_salary_lines(ctx: Context, world: World) -> None:
    proposal_id, _ = proposal_in(ctx, world, "submitted")
    [member_view] = ctx.proposals.get(world.actor(Role.REVIEWER), proposal_id, now=WHILE_OPEN).funding_plan
    assert (member_view.staff_costs, member_view.material_costs) == (None, None)
    assert (member_view.staff_fte, member_view.total_cost) == (1.0, 50_000_00)
    [own_view] = ctx.proposals.get(world.actor(Role.APPLICANT), proposal_id, now=WHILE_OPEN).funding_plan
    assert (own_view.staff_costs, own_view.material_costs) == (40_000_00, 10_000_00)


def test_allowed_transitions_with_what_blocks_them(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world, plan=[])
    allowed = ctx.proposals.allowed_transitions(world.actor(Role.APPLICANT), proposal_id, now=WHILE_OPEN)
    by_name = {a.transition.name: a for a in allowed}
    assert set(by_name) == {"submit", "withdraw"}
    assert [f.rule for f in by_name["submit"].blocked_by] == ["funding_plan_complete"]
    assert by_name["withdraw"].blocked_by == ()  # the reason comes with the request, it does not block in advance
    submitted_id, _ = proposal_in(ctx, world, "submitted", title="Eingereicht")
    assert ctx.proposals.allowed_transitions(world.actor(Role.REVIEWER), submitted_id, now=WHILE_OPEN) == []
    every = ctx.proposals.next_steps(world.actor(Role.ADMIN), proposal_id, now=WHILE_OPEN)
    assert {a.transition.name for a in every} == {"submit", "withdraw"}


def test_leaving_a_state_cancels_its_deadlines(ctx: Context, world: World) -> None:
    proposal_id, version = proposal_in(ctx, world, "revision_requested")
    assert {d.kind for d in ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=AFTER_CLOSE).deadlines} == {
        "revision", "hearing"}
    version = satisfy(ctx, world, proposal_id, transition(ctx, "resubmit"), version)  # the conditions answered
    ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "resubmit", expected_version=version, now=AFTER_CLOSE)
    view = ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=AFTER_CLOSE)
    # The hearing of the second reading is still ahead; the revision deadline was met by resubmitting.
    assert [d.kind for d in view.deadlines] == ["hearing"]
    with ctx.db.read() as session:
        status = session.execute(sa.select(repo.DEADLINES.c.status, repo.DEADLINES.c.closed_at)
                                 .where(repo.DEADLINES.c.kind == "revision")).one()
    assert status == ("cancelled", AFTER_CLOSE)


def test_a_failed_step_writes_nothing_at_all(ctx: Context, world: World) -> None:
    """The audit row is written last; if it fails, the state change must roll back with it."""
    proposal_id, version = proposal_in(ctx, world, "in_review")
    version = satisfy(ctx, world, proposal_id, transition(ctx, "prioritise"), version)  # scored, so it may move
    with ctx.db.write() as session:  # occupy the audit position the next step would take
        session.execute(sa.insert(repo.AUDIT).values(
            proposal_id=proposal_id, seq=version + 1, at=AFTER_CLOSE, kind="transition", actor_name="x",
            actor_role="system", to_state="in_review", inputs={}, procedure_key="saxony-regional",
            procedure_version=1))
    with pytest.raises(sa.exc.IntegrityError):
        ctx.proposals.fire(world.actor(Role.MANAGER), proposal_id, "prioritise", expected_version=version,
                           now=AFTER_CLOSE)
    view = ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=AFTER_CLOSE)
    assert (view.state, view.version) == ("in_review", version)


def test_the_audit_trail_cannot_be_changed_or_deleted(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world)
    for statement in (sa.update(repo.AUDIT).values(reason="rewritten"), sa.delete(repo.AUDIT)):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), ctx.db.write() as session:
            session.execute(statement.where(repo.AUDIT.c.proposal_id == proposal_id))
    assert len(ctx.proposals.history(world.actor(Role.ADMIN), proposal_id)) == 1


def test_stale_version_is_refused_before_anything_else(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world)
    with pytest.raises(StaleVersion) as stale:
        ctx.proposals.fire(world.actor(Role.APPLICANT), proposal_id, "submit", expected_version=7, now=WHILE_OPEN)
    assert (stale.value.expected, stale.value.current) == (7, 1)


def test_unknown_transition_and_unknown_inputs_are_named(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world)
    applicant = world.actor(Role.APPLICANT)
    with pytest.raises(InvalidTransition, match="'teleport' is not a transition"):
        ctx.proposals.fire(applicant, proposal_id, "teleport", expected_version=1, now=WHILE_OPEN)
    with pytest.raises(InvalidInput, match=r"inputs\.colour: unknown input"):
        ctx.proposals.fire(applicant, proposal_id, "submit", expected_version=1, now=WHILE_OPEN,
                           inputs={"colour": "blue"})


def test_naive_times_are_refused(ctx: Context, world: World) -> None:
    proposal_id = new_draft(ctx, world)
    with pytest.raises(ValueError, match="naive"):
        ctx.proposals.get(world.actor(Role.ADMIN), proposal_id, now=WHILE_OPEN.replace(tzinfo=None))


def test_the_list_filter_agrees_with_the_single_proposal_rule(ctx: Context, world: World) -> None:
    """Lists filter in SQL, single reads in Python: both must say the same for every role and proposal."""
    proposal_in(ctx, world, "draft")
    proposal_in(ctx, world, "forwarded_to_bank", title="Bei der Bank")
    proposal_in(ctx, world, "withdrawn", title="Zurückgezogen")
    actors = [*world.actors.values(), world.other_applicant, world.other_manager]
    seen_by: dict[str, int] = {}
    with ctx.db.read() as session:
        rows = session.execute(sa.select(repo.PROPOSALS)).all()
        for actor in actors:
            listed = set(repo.proposal_ids(session, visible_clause(actor, repo.PROPOSALS)))
            assert listed == {r.id for r in rows if can_see(actor, r)}, actor.role
            seen_by[actor.name] = len(listed)
    # The rule is not trivially true or false: outsiders see nothing, the bank one, admins all three.
    assert seen_by[world.other_applicant.name] == seen_by[world.other_manager.name] == 0
    assert seen_by[world.actor(Role.BANK).name] == 1 and seen_by[world.actor(Role.ADMIN).name] == 3


def test_null_in_an_edit_is_refused_and_erases_nothing(ctx: Context, world: World) -> None:
    applicant = world.actor(Role.APPLICANT)
    draft_id = new_draft(ctx, world)
    for field in ("title", "funding_plan", "partners"):
        with pytest.raises(InvalidInput, match=f"{field}: null is not a value here"):
            ctx.proposals.edit_draft(applicant, draft_id, {field: None}, expected_version=1, now=WHILE_OPEN)
    view = ctx.proposals.get(applicant, draft_id, now=WHILE_OPEN)
    assert view.version == 1 and len(view.funding_plan) == 1 and view.partners == ["HTWK Leipzig"]


def test_two_creations_of_the_same_name_at_once_give_a_conflict_not_a_crash(database_url: str) -> None:
    """The unique key decides between simultaneous creations; the loser hears Conflict (409), never a 500."""
    contexts = [make_context(database_url) for _ in range(8)]

    def create(ctx: Context) -> str:
        try:
            ctx.admin.create_organisation(SYSTEM, "Inspirata e.V.")
            return "created"
        except Conflict:
            return "conflict"

    outcomes = at_once([partial(create, c) for c in contexts])
    for c in contexts:
        c.close()
    assert sorted(outcomes) == ["conflict"] * 7 + ["created"]
