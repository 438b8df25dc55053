"""Salary lines reach only those who may see them, on every read path (security review, finding 2).

One proposal is built the real way: a draft edited while it was private, submitted, sent back for a revision in
which the applicant changes the plan again, resubmitted, prioritised, forwarded and approved; reminders and
escalations swept on the way. Its three plans carry distinctive staff and material costs. Then every read path is
read as every role, and the table below says which plan's figures each may find there, in any of the forms they
are written in (API strings, cents in the history, German and English grouping on pages and in files).

The rule (workflow/proposals/visibility.py): applicants of the organisation, the bank and operators see salary
lines; the steering group (reviewers, managers) sees staff shares and summed costs only. What happened while the
proposal was a private draft is the applicant's own: the steering group's and the bank's history starts at the
submission.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld, Clock
from tests.factories import AFTER_CLOSE, REASON, WHILE_OPEN, complete_plan, sample_inputs, satisfy
from tests.web.conftest import Browser
from workflow.context import Context, build_context
from workflow.notify.store import OUTBOX
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.proposals.store import USERS
from workflow.settings import Settings
from workflow.timeutil import local

APPLICANT, REVIEWER, MANAGER, BANK, ADMIN = "applicant", "reviewer", "manager", "bank", "admin"
ROLES = (APPLICANT, REVIEWER, MANAGER, BANK, ADMIN)

# The three plans, by their staff and material costs in euros; every total, grant and own share stays clear of them.
DRAFT = ("34567.89", "4321.01")  # the first draft's, changed while the draft was private
SUBMITTED = ("23456.78", "3210.92")  # as submitted, changed in the revision
CURRENT = ("12345.67", "2109.83")  # after the revision
PLANS = {"D": DRAFT, "S": SUBMITTED, "C": CURRENT}  # as the table below names them

REMINDED = local(date(2026, 6, 18), time(9, 30))  # revision "2d" and hearing "7d" reminders are due
ESCALATED = REMINDED + timedelta(weeks=8, days=1)  # the bank's decision is overdue: the manager is told


def written_forms(euros: str) -> tuple[str, ...]:
    """12345.67 as the API writes it, in cents as the history stores it, and as German and English pages group it."""
    whole, cents = euros.split(".")
    grouped = f"{int(whole):,}"
    return (euros, f"{whole},{cents}", f"{grouped.replace(',', '.')},{cents}", f"{grouped}.{cents}",
            f"{whole}{cents}")


def figures_in(text: str) -> str:
    """Which plans' salary lines (staff or material costs) the text gives away, e.g. "SC"; "" for none."""
    return "".join(name for name, costs in PLANS.items()
                   if any(form in text for amount in costs for form in written_forms(amount)))


def cents(euros: Decimal | str) -> int:
    return int(Decimal(euros) * 100)


def plan(costs: tuple[str, str]) -> list[dict[str, Any]]:
    return complete_plan(staff=costs[0], material=costs[1])


# --- the scene ------------------------------------------------------------------------------------------------

@dataclass
class Scene:
    proposal_id: int
    round_id: int
    replays: dict[str, tuple[dict[str, Any], dict[str, str]]]  # role -> its own keyed request (body, headers)
    submit: tuple[dict[str, Any], dict[str, str]]  # the applicant's keyed submission


@pytest.fixture
def ctx(database_url: str) -> Iterator[Context]:
    """With e-mail on, so that the step and reminder mails are written to the outbox too."""
    context = build_context(Settings(database_url=database_url, smtp={"host": "mail.invalid"}))
    yield context
    context.close()


def keyed(client: TestClient, api: ApiWorld, who: str, proposal_id: int, *, version: int, key: str,
          body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Fire a transition over the API with an Idempotency-Key; returns what a replay sends."""
    headers = api.headers(who, **{"If-Match": f'"{version}"', "Idempotency-Key": key})
    response = client.post(f"/proposals/{proposal_id}/transitions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return body, headers


def fire(ctx: Context, api: ApiWorld, proposal_id: int, name: str, *, role: Role, now: datetime) -> int:
    """Fire a step through the service as `role`, after doing what its rules wait for (scores, answers)."""
    procedure = ctx.procedures.get(*_pinned(ctx, proposal_id))
    step = procedure.transitions[name]
    version = satisfy(ctx, api.world, proposal_id, step, version_of(ctx, proposal_id), now=now)
    return ctx.proposals.fire(api.world.actor(role), proposal_id, name, expected_version=version, now=now,
                              reason=REASON, inputs=sample_inputs(step)).version


def _pinned(ctx: Context, proposal_id: int) -> tuple[str, int]:
    view = ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN)
    return view.procedure_key, view.procedure_version


def version_of(ctx: Context, proposal_id: int) -> int:
    return ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN).version


@pytest.fixture
def scene(ctx: Context, api: ApiWorld, client: TestClient, clock: Clock) -> Scene:
    world = api.world
    applicant = world.actor(Role.APPLICANT)
    # A colleague in the organisation hears of the applicant's steps (in-app and by mail), the alliance's
    # systems of every step (webhook).
    ctx.admin.create_user(SYSTEM, "Dr. Kollegin", Role.APPLICANT, organisation_id=world.organisation_id,
                          email="kollegin@example.org")
    ctx.admin.set_webhook(SYSTEM, world.alliance_id, "http://hooks.example.org/foerderweg")
    for user in (applicant, world.actor(Role.REVIEWER), world.actor(Role.MANAGER)):
        _give_email(ctx, user.user_id)

    clock.now = WHILE_OPEN
    pid = ctx.proposals.create_draft(applicant, {"round_id": world.round_id, "title": "MINT-Netzwerk Leipzig",
                                                 "funding_plan": plan(DRAFT)}, now=WHILE_OPEN).id
    ctx.proposals.edit_draft(applicant, pid, {"funding_plan": plan(SUBMITTED)}, expected_version=1, now=WHILE_OPEN)
    submit = keyed(client, api, APPLICANT, pid, version=2, key="submit-1", body={"transition": "submit"})

    clock.now = AFTER_CLOSE
    fire(ctx, api, pid, "open_review", role=Role.MANAGER, now=AFTER_CLOSE)
    revise = keyed(client, api, MANAGER, pid, version=version_of(ctx, pid), key="revise-1", body={
        "transition": "request_revision", "inputs": {
            "conditions": ["Kooperationsvereinbarung mit der HTWK vorlegen"], "revision_deadline": "2026-06-20",
            "next_session": "2026-06-25"}})
    ctx.sweeper.sweep(REMINDED)

    clock.now = REMINDED
    ctx.proposals.edit_draft(applicant, pid, {"funding_plan": plan(CURRENT)}, expected_version=version_of(ctx, pid),
                             now=REMINDED)
    version = satisfy(ctx, world, pid, ctx.procedures.get(*_pinned(ctx, pid)).transitions["resubmit"],
                      version_of(ctx, pid), now=REMINDED)
    resubmit = keyed(client, api, APPLICANT, pid, version=version, key="resubmit-1", body={"transition": "resubmit"})
    fire(ctx, api, pid, "prioritise", role=Role.MANAGER, now=REMINDED)
    fire(ctx, api, pid, "forward", role=Role.MANAGER, now=REMINDED)
    ctx.sweeper.sweep(ESCALATED)

    clock.now = ESCALATED
    approve = keyed(client, api, BANK, pid, version=version_of(ctx, pid), key="approve-1",
                    body={"transition": "approve", "inputs": {"bank_reference": "SAB-2026-0815"}})
    return Scene(proposal_id=pid, round_id=world.round_id, submit=submit,
                 replays={APPLICANT: resubmit, MANAGER: revise, BANK: approve})


def _give_email(ctx: Context, user_id: int | None) -> None:
    with ctx.db.write() as session:
        session.execute(sa.update(USERS).where(USERS.c.id == user_id).values(email=f"user{user_id}@example.org"))


# --- the read paths -------------------------------------------------------------------------------------------

@dataclass
class Reader:
    """What one role reads on one path: the status and the text."""

    client: TestClient
    api: ApiWorld
    scene: Scene
    open_browser: Callable[[str], Browser]  # a browser signed in as that role
    browsers: dict[str, Browser] = field(default_factory=dict)

    def api_get(self, who: str, path: str) -> tuple[int, str]:
        response = self.client.get(path.format(p=self.scene.proposal_id, r=self.scene.round_id),
                                   headers=self.api.headers(who))
        return response.status_code, response.text

    def page(self, who: str, path: str) -> tuple[int, str]:
        if who not in self.browsers:
            self.browsers[who] = self.open_browser(who)
        response = self.browsers[who].get(path.format(p=self.scene.proposal_id, r=self.scene.round_id))
        return response.status_code, response.text

    def replay(self, who: str, request: tuple[dict[str, Any], dict[str, str]]) -> tuple[int, str]:
        body, headers = request
        sent = {**headers, "Authorization": self.api.headers(who)["Authorization"]}
        response = self.client.post(f"/proposals/{self.scene.proposal_id}/transitions", json=body, headers=sent)
        return response.status_code, response.text

    def own_replay(self, who: str) -> tuple[int, str] | None:
        request = self.scene.replays.get(who)
        return None if request is None else self.replay(who, request)


Read = Callable[[Reader, str], tuple[int, str] | None]
Cell = tuple[int, str] | None


def api_path(path: str) -> Read:
    return lambda reader, who: reader.api_get(who, path)


def page_path(path: str) -> Read:
    return lambda reader, who: reader.page(who, path)


# Each cell: the status, and the plans (D, S, C) whose salary lines that role finds on that path; None: the role
# has no such request (it fired no keyed step). Columns: applicant, reviewer, manager, bank officer, admin.
TABLE: list[tuple[str, Read, tuple[Cell, Cell, Cell, Cell, Cell]]] = [
    ("GET /proposals/{id}", api_path("/proposals/{p}"),
     ((200, "C"), (200, ""), (200, ""), (200, "C"), (200, "C"))),
    ("GET /proposals/{id}/history", api_path("/proposals/{p}/history"),
     ((200, "DSC"), (200, ""), (200, ""), (200, "SC"), (200, "DSC"))),
    ("GET /app/proposals/{id} (plan and timeline)", page_path("/app/proposals/{p}"),
     ((200, "C"), (200, ""), (200, ""), (200, "C"), (200, "C"))),
    ("GET /app/proposals/{id}/history.csv", page_path("/app/proposals/{p}/history.csv"),
     ((200, ""), (200, ""), (200, ""), (200, ""), (200, ""))),
    ("replay of one's own keyed transition", lambda reader, who: reader.own_replay(who),
     ((200, "C"), None, (200, ""), (200, "C"), None)),
    ("replay of the applicant's key by each caller", lambda reader, who: reader.replay(who, reader.scene.submit),
     ((200, "S"), (409, ""), (409, ""), (409, ""), (409, ""))),
    ("GET /me/notifications", api_path("/me/notifications"),
     ((200, ""), (200, ""), (200, ""), (200, ""), (200, ""))),
    ("GET /proposals/{id}/bank-record", api_path("/proposals/{p}/bank-record"),
     ((200, ""), (200, ""), (200, ""), (200, ""), (200, ""))),
    ("GET /rounds/{id}/ranking", api_path("/rounds/{r}/ranking"),
     ((404, ""), (200, ""), (200, ""), (404, ""), (200, ""))),
    ("GET /app/rounds/{id}/ranking", page_path("/app/rounds/{r}/ranking"),
     ((404, ""), (200, ""), (200, ""), (404, ""), (200, ""))),
    ("GET /app/rounds/{id}/priority-list.csv", page_path("/app/rounds/{r}/priority-list.csv"),
     ((404, ""), (200, ""), (200, ""), (404, ""), (200, ""))),
    ("GET /app/bank", page_path("/app/bank"),
     ((403, ""), (403, ""), (200, ""), (200, ""), (200, ""))),
]


@pytest.fixture
def reader(ctx: Context, api: ApiWorld, client: TestClient, clock: Clock, scene: Scene) -> Iterator[Reader]:
    with ExitStack() as opened:
        def open_browser(who: str) -> Browser:
            web = opened.enter_context(TestClient(create_app(ctx, clock=clock), base_url="http://127.0.0.1:8000"))
            browser = Browser(web)
            signed_in = browser.sign_in_with_token(api.tokens[who])
            assert signed_in.status_code == 303, signed_in.text
            return browser

        yield Reader(client=client, api=api, scene=scene, open_browser=open_browser)


def test_the_figures_are_distinctive() -> None:
    """No total, grant or own share of the three plans is written like a salary line: a find means a leak."""
    for costs in PLANS.values():
        year = plan(costs)[0]
        total = Decimal(costs[0]) + Decimal(costs[1])
        for shown in (str(total), year["grant_requested"], year["own_share"]):
            assert figures_in(str(shown)) == figures_in(str(Decimal(shown) * 100)) == "", shown
    assert written_forms("12345.67") == ("12345.67", "12345,67", "12.345,67", "12,345.67", "1234567")


def test_every_read_path_shows_salary_lines_only_to_whom_the_rule_allows(reader: Reader) -> None:
    wrong = []
    for name, read, expected in TABLE:
        for who, cell in zip(ROLES, expected, strict=True):
            answer = read(reader, who)
            got = None if answer is None else (answer[0], figures_in(answer[1]))
            if got != cell:
                wrong.append(f"{name} as {who}: expected {cell}, got {got}")
    assert wrong == [], "\n".join(wrong)


def test_notifications_carry_no_salary_lines_on_any_channel(ctx: Context, api: ApiWorld, scene: Scene) -> None:
    """Every outbox row the steps and the sweeps wrote (in-app, mail, webhook): subject, body and payload."""
    with ctx.db.read() as session:
        rows = session.execute(sa.select(OUTBOX).where(OUTBOX.c.proposal_id == scene.proposal_id)).all()
    assert {r.channel for r in rows} == {"inapp", "email", "webhook"}
    assert {r.kind for r in rows} >= {"step", "reminder", "escalation"}
    told = {r.user_id for r in rows if r.channel == "inapp"}
    assert told >= {api.world.actor(role).user_id for role in (Role.APPLICANT, Role.REVIEWER, Role.MANAGER)}
    leaks = [(r.channel, r.key) for r in rows
             if figures_in(f"{r.subject}\n{r.body}\n{json.dumps(r.payload)}")]
    assert leaks == []


def history_kinds(reader: Reader, who: str) -> list[str]:
    response = reader.client.get(f"/proposals/{reader.scene.proposal_id}/history", headers=reader.api.headers(who))
    assert response.status_code == 200, response.text
    return [e["transition"] or e["kind"] for e in response.json()]


def test_the_steering_group_and_the_bank_meet_the_proposal_at_its_submission(reader: Reader) -> None:
    """The draft's creation and the edit made while it was private are the applicant's own; the edit in the
    revision is part of everyone's history. The timeline on the page and the CSV show the same events."""
    everything = history_kinds(reader, APPLICANT)
    assert everything[:3] == ["created", "edited", "submit"] and everything.count("edited") == 2
    assert history_kinds(reader, ADMIN) == everything
    for who in (REVIEWER, MANAGER, BANK):
        seen = history_kinds(reader, who)
        assert seen == everything[2:], who
        status, csv_text = reader.page(who, "/app/proposals/{p}/history.csv")
        assert status == 200 and len(csv_text.strip().splitlines()) == 1 + len(seen), who
        status, html = reader.page(who, "/app/proposals/{p}")
        timeline = BeautifulSoup(html, "html.parser").select("ol.timeline > li")
        assert status == 200 and len(timeline) == len(seen), who


def test_the_edit_in_the_revision_shows_the_steering_group_the_plan_without_salary_lines(reader: Reader) -> None:
    """Staff shares, totals, grant and own share before and after stay readable; the salary lines are null, as in
    the proposal's own view."""
    response = reader.client.get(f"/proposals/{reader.scene.proposal_id}/history", headers=reader.api.headers(MANAGER))
    [edit] = [e for e in response.json() if e["kind"] == "edited"]
    changed = edit["inputs"]["changes"]["funding_plan"]
    for years, costs in ((changed["from"], SUBMITTED), (changed["to"], CURRENT)):
        sent = plan(costs)[0]
        assert years == [{
            "year": 2026, "staff_fte": 1.0, "staff_costs": None, "material_costs": None,
            "total_cost": cents(Decimal(costs[0]) + Decimal(costs[1])),
            "grant_requested": cents(sent["grant_requested"]), "own_share": cents(sent["own_share"]),
            "own_share_source": sent["own_share_source"]}]


def test_a_stored_answer_is_not_replayed_to_the_same_person_in_another_role(
        ctx: Context, api: ApiWorld, reader: Reader) -> None:
    """Idempotency keys are per caller; were a person's role changed, their answers stored as an applicant (with
    salary lines) are not handed to them as a steering-group member."""
    applicant = api.world.actor(Role.APPLICANT)
    with ctx.db.write() as session:
        session.execute(sa.update(USERS).where(USERS.c.id == applicant.user_id).values(
            role=Role.REVIEWER.value, organisation_id=None, alliance_id=api.world.alliance_id))
    status, text = reader.replay(APPLICANT, reader.scene.submit)
    assert (status, figures_in(text)) == (409, ""), text
