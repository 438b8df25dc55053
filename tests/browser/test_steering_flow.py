"""The steering group in a real browser: a member finds a proposal on the round board and scores it; the managing
member looks at the ranking with its budget chart and records the resolution."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Screenshots
from tests.browser.test_applicant_flow import sign_in
from tests.factories import AFTER_CLOSE, World, full_marks, proposal_in
from tests.web.conftest import Clock
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role

MIDDLE = {"regional_need": 3, "concept": 3, "cooperation": 3, "sustainability": 3}


def test_a_member_scores_and_the_managing_member_records_the_resolution(
        open_page: Any, shots: Screenshots, ctx: Context, world: World, clock: Clock) -> None:
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 6_000_000)  # 60,000 EUR: one of two 45,000 grants fits
    top, _ = proposal_in(ctx, world, "in_review", title="MINT-Netzwerk Leipzig")
    other, _ = proposal_in(ctx, world, "in_review", title="Logistik-Lotsen")
    ctx.scoring.score(world.actor(Role.REVIEWER), other, {**full_marks(ctx, other), "points": MIDDLE},
                      now=AFTER_CLOSE)
    clock.now = AFTER_CLOSE

    member = open_page()
    sign_in(member, ctx, world.actor(Role.REVIEWER).user_id)
    assert member.url.endswith("/app/rounds")
    shots(member, "rounds")
    member.get_by_role("link", name="Einreichungstermin 31. Mai").first.click()
    member.wait_for_load_state()
    shots(member, "round-board")
    member.get_by_role("link", name="MINT-Netzwerk Leipzig").first.click()
    member.wait_for_url(f"**/app/proposals/{top}")
    sheet = full_marks(ctx, top)
    member.locator("#f-points\\.regional_need").fill("99")  # beyond the scale: refused next to the criterion
    for key, points in sheet["points"].items():
        if key != "regional_need":
            member.locator(f"#f-points\\.{key}").fill(str(points))
    for key in sheet["ko"]:
        member.locator(f"input[name='ko.{key}'][value=yes]").check()
    member.get_by_role("button", name="Bewertung speichern").click()
    member.wait_for_load_state()
    refusal = member.locator("#e-points\\.regional_need")
    assert refusal.is_visible() and refusal.inner_text()
    shots(member, "scoring-refused")
    member.locator("#f-points\\.regional_need").fill(str(sheet["points"]["regional_need"]))
    member.get_by_role("button", name="Bewertung speichern").click()
    member.wait_for_url(f"**/app/proposals/{top}")
    assert "IHK zu Leipzig" in member.locator("#review-heading").locator("..").inner_text()
    shots(member, "proposal-scored")
    assert [s.scorer_name for s in ctx.scoring.scores(SYSTEM, top).sheets] == ["IHK zu Leipzig"]

    manager = open_page()
    sign_in(manager, ctx, world.actor(Role.MANAGER).user_id)
    manager.goto(f"/app/rounds/{world.round_id}/ranking")
    chart = manager.locator("svg[role=img]")
    assert chart.locator("g.bar").count() == 2
    assert "Budget: 60.000,00 €" in (chart.locator("g.budget-line").text_content() or "")
    shots(manager, "priorisation-view")
    manager.locator(f"#f-decision\\.{top}").select_option("prioritise")
    manager.locator(f"#f-decision\\.{other}").select_option("waiting_list")
    manager.locator("#f-decided_on").fill("2026-06-29")
    manager.get_by_role("button", name="Beschluss erfassen").click()
    manager.wait_for_load_state()
    assert "Beschluss Version 1" in manager.locator("ol.resolutions").inner_text()
    shots(manager, "resolution-recorded")
    states = {pid: ctx.proposals.get(SYSTEM, pid, now=AFTER_CLOSE).state for pid in (top, other)}
    assert states == {top: "prioritised", other: "waiting_list"}
