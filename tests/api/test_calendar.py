"""The deadline calendar (GET /me/calendar.ics) and the alliance's action concept, as a calendar client sees them:
one event per open deadline the caller may see, ending at the due moment, with an alarm a day before."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.api.conftest import ApiWorld, Clock
from tests.api.test_notifications import DUE, HEARING, REVISION, assert_problem, fields, person
from tests.factories import AFTER_CLOSE, REASON, ROUND_CLOSES, new_draft, proposal_in, satisfy
from workflow.context import Context
from workflow.people.roles import Role
from workflow.timeutil import end_of_day

SUBMISSION = "Einreichungstermin: Einreichungstermin 31. Mai"
CONCEPT = "Fortschreibung des Handlungskonzepts"
TITLE = "MINT-Netzwerk Leipzig"


def feed(client: TestClient, api: ApiWorld, who: str) -> dict[str, Any]:
    """The caller's events by summary, checked for what every event of the feed has."""
    response = client.get("/me/calendar.ics", headers=api.headers(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar.name == "VCALENDAR" and str(calendar["VERSION"]) == "2.0"
    events = calendar.walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == len(events)
    for event in events:
        end = event["DTEND"].dt
        assert event["DTSTART"].dt < end
        [alarm] = event.walk("VALARM")
        assert alarm["TRIGGER"].dt == timedelta(days=-1) and str(alarm["ACTION"]) == "DISPLAY"
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert len(by_summary) == len(events)
    return by_summary


def ends(events: dict[str, Any]) -> dict[str, datetime]:
    return {summary: event["DTEND"].dt for summary, event in events.items()}


def concept(client: TestClient, api: ApiWorld, who: str, adopted_on: str, alliance_id: int | None = None) -> Any:
    return client.put(f"/alliances/{alliance_id or api.world.alliance_id}/action-concept",
                      headers=api.headers(who), json={"adopted_on": adopted_on})


# --- what each person sees ---------------------------------------------------------------------------------

def test_applicant_sees_revision_and_hearing_of_their_proposal(ctx: Context, client: TestClient,
                                                               api: ApiWorld) -> None:
    proposal_id, _ = proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(AFTER_CLOSE)  # the round's submission deadline has passed and is done
    response = client.get("/me/calendar.ics", headers=api.headers("applicant"))
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "foerderweg.ics" in response.headers["content-disposition"]
    events = feed(client, api, "applicant")
    assert ends(events) == {f"{REVISION}: {TITLE}": DUE, f"{HEARING}: {TITLE}": DUE}
    assert all(str(e["URL"]).endswith(f"/proposals/{proposal_id}") for e in events.values())
    for who in ("other_applicant", "bank", "other_manager"):
        assert feed(client, api, who) == {}, who


def test_an_english_speaking_applicant_gets_english_summaries(ctx: Context, client: TestClient,
                                                              api: ApiWorld) -> None:
    person(ctx, api, "krause", "Dr. Krause", Role.APPLICANT, language="en")
    proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(AFTER_CLOSE)
    assert set(feed(client, api, "krause")) == {f"Deadline for the revised proposal: {TITLE}",
                                                f"Hearing before the steering group: {TITLE}"}


def test_applicant_with_a_draft_sees_the_rounds_submission_deadline(ctx: Context, client: TestClient,
                                                                    api: ApiWorld) -> None:
    new_draft(ctx, api.world)
    events = feed(client, api, "applicant")
    assert ends(events) == {SUBMISSION: ROUND_CLOSES}
    assert str(events[SUBMISSION]["URL"]).endswith(f"/rounds/{api.world.round_id}")
    assert feed(client, api, "other_applicant") == {}


def test_manager_sees_the_alliances_proposals_round_and_action_concept(ctx: Context, client: TestClient,
                                                                       api: ApiWorld) -> None:
    proposal_in(ctx, api.world, "revision_requested")
    assert concept(client, api, "manager", "2026-04-20").status_code == 200
    expected = {SUBMISSION: ROUND_CLOSES, f"{REVISION}: {TITLE}": DUE, f"{HEARING}: {TITLE}": DUE,
                f"{CONCEPT}: Fachkräfteallianz Leipzig": end_of_day(date(2028, 4, 20))}
    assert ends(feed(client, api, "manager")) == expected
    assert ends(feed(client, api, "admin")) == expected
    assert feed(client, api, "other_manager") == {}

    assert concept(client, api, "admin", "2026-02-01", api.world.other_alliance_id).status_code == 200
    assert ends(feed(client, api, "other_manager")) == {
        f"{CONCEPT}: Fachkräfteallianz Mittelsachsen": end_of_day(date(2028, 2, 1))}
    assert ends(feed(client, api, "manager")) == expected
    assert CONCEPT not in " ".join(feed(client, api, "reviewer"))
    assert CONCEPT not in " ".join(feed(client, api, "applicant"))


# --- cancelled deadlines leave the feed ----------------------------------------------------------------------

def test_a_cancelled_deadline_leaves_the_feed(ctx: Context, client: TestClient, api: ApiWorld,
                                              clock: Clock) -> None:
    proposal_id, version = proposal_in(ctx, api.world, "revision_requested")
    ctx.sweeper.sweep(AFTER_CLOSE)
    clock.now = AFTER_CLOSE + timedelta(days=1)
    assert set(feed(client, api, "applicant")) == {f"{REVISION}: {TITLE}", f"{HEARING}: {TITLE}"}

    resubmit = ctx.procedures.get("saxony-regional", 1).transitions["resubmit"]
    version = satisfy(ctx, api.world, proposal_id, resubmit, version, now=clock.now)  # the condition answered
    assert set(feed(client, api, "applicant")) == {f"{REVISION}: {TITLE}", f"{HEARING}: {TITLE}"}
    resubmitted = client.post(f"/proposals/{proposal_id}/transitions", json={"transition": "resubmit"},
                              headers=api.headers("applicant", **{"If-Match": f'"{version}"'}))
    assert resubmitted.status_code == 200, resubmitted.text
    assert set(feed(client, api, "applicant")) == {f"{HEARING}: {TITLE}"}  # the hearing is still ahead

    withdrawn = client.post(f"/proposals/{proposal_id}/transitions",
                            json={"transition": "withdraw", "reason": REASON},
                            headers=api.headers("applicant", **{"If-Match": resubmitted.headers["ETag"]}))
    assert withdrawn.status_code == 200, withdrawn.text
    assert feed(client, api, "applicant") == {}
    assert feed(client, api, "manager") == {}


# --- the action concept --------------------------------------------------------------------------------------

def test_manager_records_the_action_concept(client: TestClient, api: ApiWorld) -> None:
    response = concept(client, api, "manager", "2026-04-20")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == api.world.alliance_id and body["name"] == "Fachkräfteallianz Leipzig"
    assert body["action_concept_adopted_on"] == "2026-04-20"
    shown = client.get(f"/alliances/{api.world.alliance_id}", headers=api.headers("applicant")).json()
    assert shown["action_concept_adopted_on"] == "2026-04-20"
    event = feed(client, api, "manager")[f"{CONCEPT}: Fachkräfteallianz Leipzig"]
    assert str(event["URL"]).endswith(f"/alliances/{api.world.alliance_id}")


def test_an_earlier_action_concept_is_422_and_changes_nothing(client: TestClient, api: ApiWorld) -> None:
    assert concept(client, api, "manager", "2026-04-20").status_code == 200
    problem = assert_problem(concept(client, api, "manager", "2026-04-19"), 422)
    assert fields(problem) == ["adopted_on"] and "20.04.2026" in problem["errors"][0]["problem"]
    shown = client.get(f"/alliances/{api.world.alliance_id}", headers=api.headers("manager")).json()
    assert shown["action_concept_adopted_on"] == "2026-04-20"
    assert [e for s, e in ends(feed(client, api, "manager")).items() if s.startswith(CONCEPT)] == [
        end_of_day(date(2028, 4, 20))]


def test_a_renewed_action_concept_replaces_the_old_deadline(client: TestClient, api: ApiWorld) -> None:
    assert concept(client, api, "manager", "2026-04-20").status_code == 200
    assert concept(client, api, "admin", "2026-09-01").status_code == 200
    assert concept(client, api, "manager", "2026-09-01").status_code == 200  # the same day again is no harm
    assert [e for s, e in ends(feed(client, api, "manager")).items() if s.startswith(CONCEPT)] == [
        end_of_day(date(2028, 9, 1))]
    assert len(feed(client, api, "admin")) == 2  # the round's submission deadline and one action concept


def test_action_concept_of_another_alliance_is_403(client: TestClient, api: ApiWorld) -> None:
    for who in ("other_manager", "applicant", "reviewer", "bank"):
        assert_problem(concept(client, api, who, "2026-04-20"), 403)
    shown = client.get(f"/alliances/{api.world.alliance_id}", headers=api.headers("admin")).json()
    assert shown["action_concept_adopted_on"] is None
    assert not [s for s in feed(client, api, "admin") if s.startswith(CONCEPT)]


def test_action_concept_of_an_unknown_alliance_is_404(client: TestClient, api: ApiWorld) -> None:
    assert_problem(concept(client, api, "admin", "2026-04-20", 999999), 404)
