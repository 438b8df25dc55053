"""The steering group's forms on a proposal: a member scores (bad points and conflicts of interest refused next
to the field), the managing member judges second-reading conditions; every form needs its CSRF token."""

from __future__ import annotations

from typing import Any

from api.web.pages.review_section import review_section
from tests.factories import AFTER_CLOSE, World, full_marks, proposal_in
from tests.web.conftest import Clock, field_error, page
from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role


def sheet(ctx: Context, proposal_id: int, **points: str) -> dict[str, str]:
    """The scoring form filled with full marks, every k.o. criterion met, with `points` typed over it."""
    marks = full_marks(ctx, proposal_id)
    form = {f"points.{k}": str(v) for k, v in marks["points"].items()}
    form.update({f"ko.{k}": "yes" for k in marks["ko"]})
    form.update({f"points.{k}": v for k, v in points.items()})
    form["comment"] = "Überzeugendes Konzept"
    return form


def conflicted_member(ctx: Context, world: World) -> Actor:
    """A voting member who works for the applicant's organisation."""
    user = ctx.admin.create_user(SYSTEM, "Zukunftsakademie (Mitglied)", Role.REVIEWER,
                                 organisation_id=world.organisation_id, alliance_id=world.alliance_id)
    assert user.id is not None
    return ctx.admin.actor_for(user.id)


def test_a_member_scores_and_bad_points_show_next_to_the_criterion(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    reviewer = browser_for(world.actor(Role.REVIEWER))
    reviewer.get(f"/app/rounds/{world.round_id}")
    bad = reviewer.post(f"/app/proposals/{proposal_id}/scores", sheet(ctx, proposal_id, regional_need="7",
                                                                        concept="viel"))
    assert bad.status_code == 422
    assert field_error(bad, "points.concept") == "Bitte eine ganze Zahl von 0 bis 5 eingeben."
    assert page(bad).find(id="f-points.concept")["value"] == "viel"  # what was typed stays
    assert page(bad).find(id="f-points.concept")["aria-invalid"] == "true"
    no_number_checked = reviewer.post(f"/app/proposals/{proposal_id}/scores",
                                      sheet(ctx, proposal_id, regional_need="7"))
    assert no_number_checked.status_code == 422
    assert field_error(no_number_checked, "points.regional_need") == "Bitte 0 bis 5 Punkte vergeben."
    assert ctx.scoring.scores(SYSTEM, proposal_id).members[0].scored is False

    missing_ko = sheet(ctx, proposal_id)
    del missing_ko["ko.guideline_fit"]
    refused = reviewer.post(f"/app/proposals/{proposal_id}/scores", missing_ko)
    assert field_error(refused, "ko.guideline_fit") == "Bitte angeben, ob dieses Kriterium erfüllt ist."

    good = reviewer.post(f"/app/proposals/{proposal_id}/scores", sheet(ctx, proposal_id, concept="4"))
    assert good.status_code == 303 and good.headers["location"] == f"/app/proposals/{proposal_id}"
    own = ctx.scoring.scores(world.actor(Role.REVIEWER), proposal_id).own
    assert own is not None and own.points["concept"] == 4 and own.comment == "Überzeugendes Konzept"


def test_a_member_with_a_conflict_of_interest_is_refused(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    member = conflicted_member(ctx, world)
    section = review_section(ctx, member, proposal_id)
    assert section["conflict"] and section["can_score"] is False
    browser = browser_for(member)
    browser.get(f"/app/rounds/{world.round_id}")
    response = browser.post(f"/app/proposals/{proposal_id}/scores", sheet(ctx, proposal_id))
    assert response.status_code == 403
    refusal = page(response).find(id="scoring-refused")
    assert refusal is not None and "Interessenkonflikt" in refusal.get_text()
    assert page(response).find("form", action=f"/app/proposals/{proposal_id}/scores") is None
    assert not any(m.scored for m in ctx.scoring.scores(SYSTEM, proposal_id).members)


def test_a_score_without_the_forms_token_changes_nothing(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    clock.now = AFTER_CLOSE
    reviewer = browser_for(world.actor(Role.REVIEWER))
    response = reviewer.post(f"/app/proposals/{proposal_id}/scores", sheet(ctx, proposal_id), csrf="")
    assert response.status_code == 403 and "Das Formular ist abgelaufen" in response.text
    assert not any(m.scored for m in ctx.scoring.scores(SYSTEM, proposal_id).members)


def test_the_review_section_is_the_steering_groups_only(ctx: Context, world: World) -> None:
    proposal_id, _ = proposal_in(ctx, world, "in_review")
    assert review_section(ctx, world.actor(Role.APPLICANT), proposal_id) == {}
    reviewer = review_section(ctx, world.actor(Role.REVIEWER), proposal_id)
    assert reviewer["can_score"] is True and reviewer["scheme"] is not None
    manager = review_section(ctx, world.actor(Role.MANAGER), proposal_id)
    assert manager["can_score"] is False and manager["member"] is None


def test_the_managing_member_judges_a_condition(ctx: Context, world: World, browser_for: Any,
                                                clock: Clock) -> None:
    proposal_id, _ = proposal_in(ctx, world, "second_reading")
    clock.now = AFTER_CLOSE
    [condition] = [c for c in ctx.conditions.conditions(SYSTEM, proposal_id) if c.current]
    section = review_section(ctx, world.actor(Role.MANAGER), proposal_id)
    assert section["can_judge"] is True and [c.id for c in section["conditions"]] == [condition.id]
    manager = browser_for(world.actor(Role.MANAGER))
    manager.get("/app/rounds")
    path = f"/app/proposals/{proposal_id}/conditions/{condition.id}/judgement"
    unchosen = manager.post(path, {f"c{condition.id}.note": "In der Sitzung beraten"})
    assert unchosen.status_code == 422
    assert field_error(unchosen, f"c{condition.id}.met") == "Bitte wählen Sie, ob die Auflage erfüllt ist."
    assert page(unchosen).find(id=f"f-c{condition.id}.note").get_text() == "In der Sitzung beraten"
    done = manager.post(path, {f"c{condition.id}.met": "yes", f"c{condition.id}.note": "Vereinbarung liegt vor"})
    assert done.status_code == 303 and done.headers["location"].startswith(f"/app/proposals/{proposal_id}")
    judged = next(c for c in ctx.conditions.conditions(SYSTEM, proposal_id) if c.id == condition.id)
    assert (judged.status, judged.judgement_note) == ("met", "Vereinbarung liegt vor")

    reviewer = browser_for(world.actor(Role.REVIEWER))
    reviewer.get("/app/rounds")
    refused = reviewer.post(path, {f"c{condition.id}.met": "no"})
    assert refused.status_code == 403
    assert next(c for c in ctx.conditions.conditions(SYSTEM, proposal_id) if c.id == condition.id).status == "met"
