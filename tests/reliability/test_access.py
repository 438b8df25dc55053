"""Access: every operation of the API, with the token of every role of ANOTHER organisation, alliance or funding
bank, on the objects of a foreign world: nothing leaks.

The operations come from the app's own OpenAPI document, so a new endpoint is tried without anyone adding it here
(a path parameter this test has no foreign object for fails it, to be taught here). The foreign world is the
factory world's Leipzig alliance and applicant organisation, funded by the Sächsische Aufbaubank, with proposals in
nine states (a draft, submitted, in review and scored, revision requested with an answered condition, second
reading, on the waiting list by a resolution of a session, prioritised, forwarded to the bank with a request to
start early, approved), a session with an agenda, a reserve pool with a drawing and an in-app reminder.

The outsiders, each with data of their own (so that their lists are not empty by accident):
  applicant    another organisation applying in the same alliance (Netzwerk Logistik)
  reviewer     a voting member of another alliance (Region Hannover, funded by the NBank)
  manager      the managing member of that other alliance
  bank         a bank officer of the other funding bank (NBank)
  bank_no_org  a bank officer without an organisation (an account from before banks were named): sees nothing
  anonymous    a token that is not valid

What each answer must be:
  * never 5xx; the body never contains a foreign proposal's title or summary, a foreign amount, a foreign
    person's or organisation's name, or a text written in the foreign world (condition, answer, comment, ...);
  * on a foreign object: exactly the answer (status and body, ids aside) the same request gets for an id that
    does not exist. So a 403 or 422 is fine only where it is what a missing object gets too (the request was
    refused before any lookup, e.g. "only admins", or a body naming a foreign proposal is refused like one naming
    no proposal); a 409 or a 422 that tells an existing object from a missing one is a leak, and so is any 2xx;
  * the exceptions are PUBLIC below, each with its reason: alliances (with budgets and funding bank), rounds and
    their scoring scheme are public bodies' data that every signed-in user reads by design;
  * requests naming no foreign object (lists, procedures, the caller's own things) may answer 2xx, without
    foreign data; the proposal list shows each outsider exactly their own proposals;
  * afterwards the foreign world reads exactly as before (through the admin's eyes).
Each request is also sent with body ids pointing at foreign objects from the outsider's own session, round and
pool (a foreign proposal on my agenda, in my resolution, a foreign session or pool named in my body).
"""

from __future__ import annotations

import copy
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import Clock
from tests.factories import (
    AFTER_CLOSE,
    FUNDING_BANK,
    REASON,
    ROUND_CLOSES,
    ROUND_OPENS,
    WHILE_OPEN,
    World,
    complete_plan,
    full_marks,
    make_world,
    open_round,
    procedure_of,
    proposal_in,
    sample_inputs,
    satisfy,
)
from tests.reliability.conftest import figure
from workflow.context import Context
from workflow.errors import InvalidInput
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.persistence import models
from workflow.procedure.inputs import MAX_ID
from workflow.proposals import store as repo

MISSING = MAX_ID - 1_000  # an id no object has: the answer an outsider must not be able to tell apart
SECRET = "Vertraulich 4711"  # in every foreign title, summary and text
FOREIGN_PEOPLE = ("Prof. Wieland", "IHK zu Leipzig", "Agentur für Arbeit Leipzig", "SAB Sachbearbeitung",
                  "Zukunftsakademie Leipzig")
# The foreign plan: staff 40 000, material 10 000, grant 45 000 (90 %), own share 5 000 (tests.factories).
# The outsiders' plans use other figures, so that any of these in an answer came from the foreign world.
FOREIGN_AMOUNTS = ("40000.00", "10000.00", "45000.00", "5000.00", "50000.00", "123456.00", "23456.00",
                   "40.000,00", "10.000,00", "45.000,00", "5.000,00", "50.000,00", "123.456,00", "23.456,00")
AMOUNT = re.compile("|".join(rf"(?<![\d.,]){re.escape(a)}(?![\d])" for a in FOREIGN_AMOUNTS))
OWN_PLAN = complete_plan(staff="31000", material="7000")

OUTSIDERS = ("applicant", "reviewer", "manager", "bank", "bank_no_org", "anonymous")
ROLE_OF = {"applicant": Role.APPLICANT, "reviewer": Role.REVIEWER, "manager": Role.MANAGER, "bank": Role.BANK,
           "bank_no_org": Role.BANK, "anonymous": Role.APPLICANT}

# Public by design, with the reason. These may answer 2xx on the foreign object, or refuse it otherwise than a
# missing one (a 403 where a missing one gets 404): the object's existence and content are public anyway.
PUBLIC: dict[str, str] = {
    "GET /alliances/{alliance_id}": "alliances with their budgets and funding bank are public bodies' data",
    "GET /rounds/{round_id}": "a round is a public call for proposals",
    "GET /rounds/{round_id}/scoring-scheme": "the scoring matrix is published with the call",
    # The round is looked up before the steward check: 403 where a missing round gets 404. Rounds are public.
    "PUT /rounds/{round_id}/scoring-scheme": "refused; tells only that a public round exists",
    # An open call is open to every organisation: the draft is the applicant's own (201), or the answer names the
    # round's public closing date (422, the clock here is after the close). Others: 403, before any lookup.
    "POST /proposals": "an applicant may apply in any alliance's round",
}
REFUSED = {401, 403, 404, 422}
MIGRATION_PLAN = (Path(__file__).parents[2] / "docs" / "migrations" / "saxony-regional-1-to-2.toml").read_text(
    encoding="utf-8")


# --- the worlds ------------------------------------------------------------------------------------------

@dataclass
class Foreign:
    alliance_id: int
    round_id: int
    session_id: int
    pool_id: int
    notification_id: int
    proposals: dict[str, tuple[int, int]]  # state -> (id, version)
    conditions: list[tuple[int, int]]  # (proposal id, condition id)
    early_start: tuple[int, int]  # (proposal id, request id)
    migration_id: int  # installation-wide: only administrators see migrations
    user_id: int  # the foreign applicant's account: only administrators see or change accounts
    texts: list[str] = field(default_factory=list)  # what was written in the foreign world, besides SECRET

    def proposal_ids(self) -> list[int]:
        return [pid for pid, _ in self.proposals.values()]


@dataclass
class Home:
    """The outsiders' own objects: containers for requests whose body points into the foreign world."""

    alliance_id: int
    round_id: int
    session_id: int
    pool_id: int
    own: dict[str, set[int]]  # outsider -> ids of proposals they must see in their list


def foreign_world(ctx: Context, world: World) -> Foreign:
    manager, applicant = world.actor(Role.MANAGER), world.actor(Role.APPLICANT)
    texts = [f"Bedingung {SECRET}", f"Antwort {SECRET}", f"Kommentar {SECRET}", f"Sitzung {SECRET}",
             f"Reserve {SECRET}", f"Ziehung {SECRET}", f"Beschluss {SECRET}", f"Frühstart {SECRET}"]
    proposals: dict[str, tuple[int, int]] = {}

    def make(state: str) -> tuple[int, int]:
        proposals[state] = proposal_in(ctx, world, state, title=f"{state} {SECRET}")
        return proposals[state]

    for state in ("draft", "submitted", "second_reading", "prioritised", "approved"):
        make(state)
    scored, _ = make("in_review")
    ctx.scoring.score(world.actor(Role.REVIEWER), scored, {**full_marks(ctx, scored), "comment": texts[2]},
                      now=AFTER_CLOSE)
    revised, version = proposal_in(ctx, world, "in_review", title=f"revision_requested {SECRET}")
    step = procedure_of(ctx, revised).transitions["request_revision"]
    version = ctx.proposals.fire(manager, revised, "request_revision", expected_version=version, now=AFTER_CLOSE,
                                 reason=REASON, inputs={**sample_inputs(step), "conditions": [texts[0]]}).version
    [condition] = [c for c in ctx.conditions.conditions(SYSTEM, revised) if c.current]
    ctx.conditions.answer(applicant, revised, condition.id, {"text": texts[1]}, now=AFTER_CLOSE)
    proposals["revision_requested"] = (revised, ctx.proposals.get(SYSTEM, revised, now=AFTER_CLOSE).version)
    forwarded, _ = make("forwarded_to_bank")
    request = ctx.bank.request_early_start(applicant, forwarded, {"wanted_from": "2026-08-01", "reason": texts[7]},
                                           now=AFTER_CLOSE)
    session = ctx.meetings.create(manager, world.alliance_id, {"title": texts[3], "held_at": AFTER_CLOSE},
                                  now=AFTER_CLOSE)
    ctx.meetings.add_to_agenda(manager, session.id, {"proposal_id": scored, "purpose": "decision"},
                               now=AFTER_CLOSE)
    waiting, version = proposal_in(ctx, world, "in_review", title=f"waiting_list {SECRET}")
    satisfy(ctx, world, waiting, procedure_of(ctx, waiting).transitions["put_on_waiting_list"], version)
    ctx.priorisation.resolve(manager, world.round_id, {"decided_on": "2026-06-12", "session_id": session.id,
                                                       "waiting_list": [waiting], "note": texts[6]},
                             now=AFTER_CLOSE)
    proposals["waiting_list"] = (waiting, ctx.proposals.get(SYSTEM, waiting, now=AFTER_CLOSE).version)
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": texts[4], "year": 2026, "amount": "123456.00",
                                                 "alliance_ids": [world.alliance_id]})
    ctx.priorisation.draw(manager, pool.id, {"alliance_id": world.alliance_id, "year": 2026, "amount": "23456.00",
                                             "reason": texts[5]}, now=AFTER_CLOSE)
    # The draft's owner is reminded a day before the round closes: an in-app notification naming the draft.
    ctx.sweeper.sweep(ROUND_CLOSES - timedelta(hours=12))
    [notification, *_] = ctx.outbox.inbox(applicant)
    assert SECRET in notification.subject + notification.body
    conditions = [(pid, c.id) for pid, _ in proposals.values() for c in ctx.conditions.conditions(SYSTEM, pid)]
    assert {pid for pid, _ in conditions} == {revised, proposals["second_reading"][0]}
    migration = ctx.migrations.start(SYSTEM, ctx.migrations.check(SYSTEM, MIGRATION_PLAN), AFTER_CLOSE)
    return Foreign(alliance_id=world.alliance_id, round_id=world.round_id, session_id=session.id, pool_id=pool.id,
                   notification_id=notification.id, proposals=proposals, conditions=conditions,
                   early_start=(forwarded, request.id), migration_id=migration.id,
                   user_id=applicant.user_id or 0, texts=texts)


def person(ctx: Context, name: str, role: Role, *, organisation_id: int | None = None,
           alliance_id: int | None = None) -> Actor:
    user = ctx.admin.create_user(SYSTEM, name, role, organisation_id=organisation_id, alliance_id=alliance_id)
    assert user.id is not None
    return ctx.admin.actor_for(user.id)


def token(ctx: Context, actor: Actor) -> str:
    assert actor.user_id is not None
    return ctx.admin.issue_token(SYSTEM, actor.user_id)


def home_world(ctx: Context, world: World) -> tuple[Home, dict[str, str]]:
    """The outsiders, each with something of their own, and their tokens."""
    admin = ctx.admin
    # Another organisation applying in the same alliance, with a submitted proposal of its own.
    own_draft = ctx.proposals.create_draft(world.other_applicant, {
        "round_id": world.round_id, "title": "Logistik-Talente 2026", "summary": "Eigenes Vorhaben",
        "funding_plan": OWN_PLAN}, now=WHILE_OPEN)
    ctx.proposals.fire(world.other_applicant, own_draft.id, "submit", expected_version=1, now=WHILE_OPEN)
    # Another alliance in another state, funded by another bank.
    hannover = admin.create_alliance(SYSTEM, "Fachkräftebündnis Region Hannover", region="Region Hannover",
                                     now=ROUND_OPENS, funding_bank="NBank")
    organisation = admin.create_organisation(SYSTEM, "Bildungswerk Hannover e.V.")
    assert hannover.id and organisation.id and hannover.funding_bank_id
    admin.set_budget(SYSTEM, hannover.id, 2026, 2_000_000_00)
    round_id = open_round(ctx, hannover.id, "Stichtag Hannover 2026", procedure_key="lower-saxony-regional")
    actors = {
        Role.APPLICANT: person(ctx, "Bildungswerk Antragstellung", Role.APPLICANT, organisation_id=organisation.id),
        Role.REVIEWER: person(ctx, "IHK Hannover", Role.REVIEWER, alliance_id=hannover.id),
        Role.MANAGER: person(ctx, "Region Hannover, Wirtschaftsförderung", Role.MANAGER, alliance_id=hannover.id),
        Role.BANK: person(ctx, "NBank Sachbearbeitung", Role.BANK, organisation_id=hannover.funding_bank_id),
        Role.ADMIN: world.actor(Role.ADMIN), Role.SYSTEM: SYSTEM,
    }
    home = replace(world, alliance_id=hannover.id, round_id=round_id, organisation_id=organisation.id, actors=actors)
    at_bank, _ = proposal_in(ctx, home, "forwarded_to_bank", title="Pflegekräfte Region Hannover", plan=OWN_PLAN)
    session = ctx.meetings.create(actors[Role.MANAGER], hannover.id, {
        "title": "Bündnissitzung Hannover", "held_at": AFTER_CLOSE}, now=AFTER_CLOSE)
    pool = ctx.priorisation.create_pool(SYSTEM, {"name": "Leistungsreserve Niedersachsen", "year": 2026,
                                                 "amount": "250000.00", "alliance_ids": [hannover.id]})
    # A bank account from before banks were named: no organisation. The service refuses to create one now.
    with ctx.db.write() as session_:
        legacy = repo.add(session_, models.User(name="Bankzugang ohne Bank", role=Role.BANK.value))
        assert legacy.id is not None
    tokens = {
        "applicant": token(ctx, world.other_applicant),
        "reviewer": token(ctx, actors[Role.REVIEWER]),
        "manager": token(ctx, actors[Role.MANAGER]),
        "bank": token(ctx, actors[Role.BANK]),
        "bank_no_org": token(ctx, ctx.admin.actor_for(legacy.id)),
        "anonymous": "kein-gueltiges-token",
        "admin": token(ctx, world.actor(Role.ADMIN)),
    }
    own = {"applicant": {own_draft.id}, "reviewer": {at_bank}, "manager": {at_bank}, "bank": {at_bank},
           "bank_no_org": set(), "anonymous": set()}
    return Home(alliance_id=hannover.id, round_id=round_id, session_id=session.id, pool_id=pool.id, own=own), tokens


# --- requests from the OpenAPI document ----------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    headers: tuple[str, ...]
    body: dict[str, Any] | None  # the documented example (or a minimal body from the schema); None: no body

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def operations(doc: dict[str, Any]) -> list[Operation]:
    found = []
    for path, items in doc["paths"].items():
        for method, op in items.items():
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(Operation(
                method=method.upper(), path=path,
                path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                headers=tuple(p["name"].lower() for p in params if p["in"] == "header"),
                body=None if content is None else example_body(doc, content)))
    return found


def example_body(doc: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """The first documented example; without one, the required fields of the schema with plausible values."""
    schema = resolve(doc, content["schema"])
    if content.get("examples"):
        return dict(next(iter(content["examples"].values()))["value"])
    if schema.get("examples"):
        return dict(schema["examples"][0])
    return {name: minimal(doc, resolve(doc, schema["properties"][name])) for name in schema.get("required", [])}


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def minimal(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    if "anyOf" in schema:
        return minimal(doc, resolve(doc, next(s for s in schema["anyOf"] if s.get("type") != "null")))
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {n: minimal(doc, resolve(doc, schema["properties"][n])) for n in schema.get("required", [])}
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "string": "Beispiel"}.get(str(kind), "1")


# Path parameters that name an object, and how to fill them; anything else is a new kind of object: teach it here.
ID_PARAMS = ("proposal_id", "condition_id", "request_id", "alliance_id", "round_id", "session_id", "pool_id",
             "notification_id", "message_id", "migration_id", "user_id")
FIXED_PARAMS = {"key": "saxony-regional", "year": 2026}


@dataclass(frozen=True)
class Target:
    """One foreign object (or combination) in the path, and the proposal's version where a write needs it."""

    params: dict[str, Any]
    version: int | None = None
    state: str | None = None


def targets(op: Operation, foreign: Foreign, home: Home, *, own_path: bool) -> list[Target]:
    """Path parameters for the foreign objects (or, with `own_path`, the outsider's own containers)."""
    unknown = [p for p in op.path_params if p not in ID_PARAMS and p not in FIXED_PARAMS]
    assert not unknown, f"{op.name}: the access test has no foreign object for {unknown}; add one to it"
    fixed = {p: FIXED_PARAMS[p] for p in op.path_params if p in FIXED_PARAMS}
    names = set(op.path_params) - set(FIXED_PARAMS)
    if own_path:
        own = {"alliance_id": home.alliance_id, "round_id": home.round_id, "session_id": home.session_id,
               "pool_id": home.pool_id}
        return [Target({**fixed, **own})] if names and names <= set(own) else []
    versions = {pid: (state, version) for state, (pid, version) in foreign.proposals.items()}
    if names == {"proposal_id", "condition_id"}:
        return [Target({**fixed, "proposal_id": p, "condition_id": c}, versions[p][1], versions[p][0])
                for p, c in foreign.conditions]
    if names == {"proposal_id", "request_id"}:
        p, r = foreign.early_start
        return [Target({**fixed, "proposal_id": p, "request_id": r}, versions[p][1], versions[p][0])]
    if names == {"proposal_id"}:
        return [Target({**fixed, "proposal_id": p}, v, s) for p, (s, v) in versions.items()]
    single = {"alliance_id": foreign.alliance_id, "round_id": foreign.round_id, "session_id": foreign.session_id,
              "pool_id": foreign.pool_id, "notification_id": foreign.notification_id,
              "message_id": foreign.notification_id, "migration_id": foreign.migration_id,
              "user_id": foreign.user_id}
    assert names <= set(single), f"{op.name}: no foreign combination for {sorted(names)}; add one to the test"
    return [Target({**fixed, **{n: single[n] for n in names}})]


def missing(target: Target) -> Target:
    return replace(target, params={k: (MISSING if k in ID_PARAMS else v) for k, v in target.params.items()})


def point_at(body: Any, ids: Callable[[str], int]) -> Any:
    """The body with every reference to an object replaced by `ids(kind)` (foreign ids, or missing ones)."""
    if isinstance(body, dict):
        result: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("alliance_id", "round_id", "proposal_id", "session_id", "pool_id") and value is not None:
                result[key] = ids(key)
            elif key == "alliance_ids":
                result[key] = [ids("alliance_id")]
            elif key in ("prioritised", "waiting_list"):
                result[key] = [ids("proposal_id") for _ in value]
            else:
                result[key] = point_at(value, ids)
        return result
    if isinstance(body, list):
        return [point_at(v, ids) for v in body]
    return body


def refers(body: Any) -> bool:
    return point_at(body, lambda kind: -1) != body


def body_for(op: Operation, target: Target, foreign: Foreign, who: str, *, missing_ids: bool,
             ctx: Context) -> Any:
    if op.body is None:
        return None
    if op.name == "POST /proposals/{proposal_id}/transitions":
        return transition_body(ctx, target, who)
    counter = iter(range(10_000))
    pids = foreign.proposal_ids()

    def ids(kind: str) -> int:
        n = next(counter)
        if missing_ids:
            return MISSING - n
        if kind == "proposal_id":
            return target.params.get("proposal_id") or pids[n % len(pids)]
        return {"alliance_id": foreign.alliance_id, "round_id": foreign.round_id,
                "session_id": foreign.session_id, "pool_id": foreign.pool_id}[kind]
    return point_at(copy.deepcopy(op.body), ids)


def transition_body(ctx: Context, target: Target, who: str) -> dict[str, Any]:
    """A step out of the proposal's state that the outsider's role could fire there (the strongest try)."""
    if target.state is None:
        return {"transition": "submit"}
    procedure = ctx.procedures.get("saxony-regional", 1)
    steps = procedure.transitions_from(target.state)
    step = next((t for t in steps if ROLE_OF[who].value in t.roles), steps[0] if steps else None)
    if step is None:
        return {"transition": "withdraw", "reason": REASON}
    return {"transition": step.name, "reason": REASON, "inputs": sample_inputs(step)}


def url(op: Operation, target: Target, foreign: Foreign) -> str:
    path = op.path
    for name, value in target.params.items():
        path = path.replace("{" + name + "}", str(value))
    query = {"alliance": foreign.alliance_id, "round": foreign.round_id}
    pairs = [f"{q}={query[q]}" for q in op.query_params if q in query]
    return path + ("?" + "&".join(pairs) if pairs else "")


# --- what an answer may be --------------------------------------------------------------------------------

def leaks(text: str, foreign: Foreign) -> list[str]:
    found = [s for s in (SECRET, *FOREIGN_PEOPLE, *foreign.texts) if s in text]
    found += AMOUNT.findall(text)
    return found


NUMBER = re.compile(r"\d+")


def normalised(response: Any) -> tuple[int, str]:
    """Status and body with numbers blotted out: ids of a foreign and of a missing object read the same."""
    return response.status_code, NUMBER.sub("#", response.text)


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    foreign_2xx: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    told_apart: list[str] = field(default_factory=list)
    public_2xx: int = 0
    same_422: int = 0


def check(tally: Tally, label: str, op: Operation, who: str, response: Any, *, baseline: Any | None,
          foreign: Foreign) -> None:
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    status = response.status_code
    if status >= 500:
        tally.server_errors.append(f"{label}: {status} {response.text[:200]}")
    found = leaks(response.text, foreign)
    if found:
        tally.leaks.append(f"{label}: {status} shows {found[:3]}")
    if baseline is None:  # no foreign object in the request: a list or the caller's own things
        return
    if who == "anonymous":
        if status != 401:
            tally.told_apart.append(f"{label}: {status} without a valid token")
        return
    if op.name in PUBLIC:
        if 200 <= status < 300:
            tally.public_2xx += 1
            if op.method != "GET" and not (op.name == "POST /proposals" and who == "applicant"):
                tally.foreign_2xx.append(f"{label}: {status} {response.text[:200]}")
        elif status not in REFUSED:
            tally.told_apart.append(f"{label}: {status} {response.text[:200]}")
        return
    if 200 <= status < 300:
        tally.foreign_2xx.append(f"{label}: {status} {response.text[:200]}")
    elif status not in REFUSED or normalised(response) != normalised(baseline):
        tally.told_apart.append(f"{label}: {status} {response.text[:160]} | missing: {baseline.status_code} "
                                f"{baseline.text[:160]}")
    elif status == 422:
        tally.same_422 += 1


# --- the foreign world, before and after ------------------------------------------------------------------

def snapshot(client: TestClient, headers: dict[str, str], foreign: Foreign) -> list[Any]:
    reads = [f"/alliances/{foreign.alliance_id}", f"/rounds/{foreign.round_id}",
             f"/rounds/{foreign.round_id}/scoring-scheme", f"/rounds/{foreign.round_id}/resolutions",
             f"/sessions/{foreign.session_id}", "/reserve-pools", f"/alliances/{foreign.alliance_id}/sessions",
             f"/proposals?round={foreign.round_id}&limit=100"]
    for pid in foreign.proposal_ids():
        reads += [f"/proposals/{pid}", f"/proposals/{pid}/history", f"/proposals/{pid}/conditions",
                  f"/proposals/{pid}/scores", f"/proposals/{pid}/bank-record"]
    answers = []
    for path in reads:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        answers.append(response.json())
    return answers


@pytest.fixture
def access_client(ctx: Context) -> Iterator[tuple[TestClient, Clock]]:
    clock = Clock(now=AFTER_CLOSE)
    with TestClient(create_app(ctx, clock=clock)) as client:
        yield client, clock


def test_no_role_of_another_organisation_alliance_or_bank_gets_at_foreign_data(
        ctx: Context, access_client: tuple[TestClient, Clock], record_property: Callable[[str, object], None]
) -> None:
    started = time.perf_counter()
    client, _ = access_client
    world = make_world(ctx)
    assert world.bank_organisation_id is not None
    foreign = foreign_world(ctx, world)
    home, tokens = home_world(ctx, world)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    ops = operations(client.app.openapi())  # type: ignore[attr-defined]

    # The markers are real: the admin reads each foreign proposal with its title, and the check would see them.
    for state, (pid, _) in foreign.proposals.items():
        seen = client.get(f"/proposals/{pid}", headers=admin)
        assert seen.status_code == 200 and f"{state} {SECRET}" in seen.text
        assert leaks(seen.text, foreign)
    before = snapshot(client, admin, foreign)
    built = time.perf_counter()

    tally = Tally()
    sent = Counter[str]()
    tried: set[tuple[str, str]] = set()
    for op in ops:
        for who in OUTSIDERS:
            headers = {"Authorization": f"Bearer {tokens[who]}"}

            def send(target: Target, *, missing_ids: bool, op: Operation = op, who: str = who,
                     headers: dict[str, str] = headers) -> Any:
                extra = dict(headers)
                if "if-match" in op.headers:
                    extra["If-Match"] = f'"{target.version or 1}"'
                body = body_for(op, target, foreign, who, missing_ids=missing_ids, ctx=ctx)
                sent["missing" if missing_ids else "foreign"] += 1
                return client.request(op.method, url(op, target, foreign), json=body, headers=extra)

            tried.add((op.name, who))
            foreign_targets = targets(op, foreign, home, own_path=False)
            if not op.path_params or set(op.path_params) <= set(FIXED_PARAMS):
                # No foreign object in the path: a list, the caller's own things, or a creation whose body names one.
                only = Target(dict(FIXED_PARAMS))
                response = send(only, missing_ids=False)
                names_one = op.body is not None and refers(op.body)
                baseline = send(only, missing_ids=True) if names_one else None
                check(tally, f"{op.name} as {who}", op, who, response, baseline=baseline, foreign=foreign)
                continue
            baseline = send(missing(foreign_targets[0]), missing_ids=True)
            for target in foreign_targets:
                response = send(target, missing_ids=False)
                check(tally, f"{op.name} {target.params} ({target.state or ''}) as {who}", op, who, response,
                      baseline=baseline, foreign=foreign)
            for target in targets(op, foreign, home, own_path=True):
                if op.body is None or not refers(op.body):
                    continue
                # My own session, round or pool; the body names a foreign proposal, session or pool.
                response = send(target, missing_ids=False)
                check(tally, f"{op.name} own {target.params} naming foreign objects as {who}", op, who, response,
                      baseline=send(target, missing_ids=True), foreign=foreign)

    # What outsiders read of their own proposals shows nothing of the foreign world either (shared rosters).
    for op in ops:
        if op.method != "GET" or set(op.path_params) != {"proposal_id"}:
            continue
        for who in OUTSIDERS:
            for pid in sorted(home.own[who]):
                response = client.get(op.path.replace("{proposal_id}", str(pid)),
                                      headers={"Authorization": f"Bearer {tokens[who]}"})
                check(tally, f"{op.name} own proposal {pid} as {who}", op, who, response, baseline=None,
                      foreign=foreign)
    # The list shows each outsider exactly what is theirs (so an empty list is not why nothing leaked).
    for who in OUTSIDERS:
        response = client.get("/proposals?limit=100", headers={"Authorization": f"Bearer {tokens[who]}"})
        listed = {item["id"] for item in response.json().get("items", [])} if response.status_code == 200 else None
        if listed != (None if who == "anonymous" else home.own[who]):
            tally.foreign_2xx.append(f"GET /proposals as {who}: {response.status_code}, lists {listed}, "
                                     f"own {home.own[who]}")
    after = snapshot(client, admin, foreign)
    elapsed = time.perf_counter() - started

    line = figure("access", (
        f"{len(ops)} operations x {len(OUTSIDERS)} roles = {len(tried)} pairs, {tally.requests} requests checked "
        f"(+{sent['missing']} the same for a missing object) on {len(foreign.proposals)} foreign proposals in "
        f"{len(foreign.proposals)} states; "
        f"{len(tally.foreign_2xx)} x 2xx on foreign data, {len(tally.server_errors)} x 5xx, {len(tally.leaks)} leaks, "
        f"{len(tally.told_apart)} told apart from a missing object; {tally.public_2xx} x 2xx on public data, "
        f"{tally.same_422} x 422 as for a missing object; statuses {dict(sorted(tally.statuses.items()))}; "
        f"world {built - started:.1f} s, requests {elapsed - (built - started):.1f} s"))
    record_property("access", line)
    assert len(tried) == len(ops) * len(OUTSIDERS)
    problems = tally.foreign_2xx + tally.server_errors + tally.leaks + tally.told_apart
    assert not problems, "\n".join(problems[:40])
    assert after == before, "an outsider's request changed the foreign world"


# --- bank officers: their funding bank's proposals, and no others ------------------------------------------

def test_a_bank_officer_sees_the_proposals_of_the_alliances_naming_their_bank(
        ctx: Context, access_client: tuple[TestClient, Clock]) -> None:
    client, _ = access_client
    world = make_world(ctx)
    admin = {"Authorization": f"Bearer {token(ctx, world.actor(Role.ADMIN))}"}
    sab = {"Authorization": f"Bearer {token(ctx, world.actor(Role.BANK))}"}
    # An alliance without a funding bank: forwarding works, no bank officer sees the proposal.
    unnamed = ctx.admin.create_alliance(SYSTEM, "Fachkräfteallianz Nordsachsen", now=ROUND_OPENS)
    assert unnamed.id is not None and unnamed.funding_bank_id is None
    ctx.admin.set_budget(SYSTEM, unnamed.id, 2026, 1_000_000_00)
    steering = {Role.MANAGER: person(ctx, "Landratsamt Nordsachsen", Role.MANAGER, alliance_id=unnamed.id),
                Role.REVIEWER: person(ctx, "IHK Nordsachsen", Role.REVIEWER, alliance_id=unnamed.id)}
    nordsachsen = replace(world, alliance_id=unnamed.id, round_id=open_round(ctx, unnamed.id, "Nordsachsen 2026"),
                          actors={**world.actors, **steering})
    orphan, _ = proposal_in(ctx, nordsachsen, "forwarded_to_bank", title="Ohne Förderbank")
    ours, _ = proposal_in(ctx, world, "forwarded_to_bank", title="Bei der SAB")

    def seen(headers: dict[str, str]) -> set[int]:
        response = client.get("/proposals?limit=100", headers=headers)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert seen(sab) == {ours}
    assert client.get(f"/proposals/{orphan}", headers=sab).status_code == 404
    # Only an admin names a funding bank; its officers see the alliance's proposals from the next request on.
    manager = {"Authorization": f"Bearer {token(ctx, steering[Role.MANAGER])}"}
    for headers in (manager, sab):
        refused = client.put(f"/alliances/{unnamed.id}/funding-bank", json={"funding_bank": FUNDING_BANK},
                             headers=headers)
        assert refused.status_code == 403
    named = client.put(f"/alliances/{unnamed.id}/funding-bank", json={"funding_bank": FUNDING_BANK}, headers=admin)
    assert named.status_code == 200, named.text
    assert named.json()["funding_bank"] == FUNDING_BANK
    assert named.json()["funding_bank_id"] == world.bank_organisation_id
    assert seen(sab) == {ours, orphan}
    assert client.get(f"/proposals/{orphan}", headers=sab).status_code == 200
    # Another bank named instead: the SAB officer no longer sees it, the NBank officer does.
    moved = client.put(f"/alliances/{unnamed.id}/funding-bank", json={"funding_bank": "NBank"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["funding_bank"] == "NBank"
    officer = person(ctx, "NBank Sachbearbeitung", Role.BANK, organisation_id=moved.json()["funding_bank_id"])
    nbank = {"Authorization": f"Bearer {token(ctx, officer)}"}
    assert seen(sab) == {ours} and seen(nbank) == {orphan}
    cleared = client.put(f"/alliances/{unnamed.id}/funding-bank", json={"funding_bank": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["funding_bank"] is None
    assert seen(nbank) == set()
    # A bank officer without a bank is refused, by the service and so by every way of adding people.
    with pytest.raises(InvalidInput) as refusal:
        ctx.admin.create_user(SYSTEM, "Bankzugang", Role.BANK)
    assert [p.field for p in refusal.value.problems] == ["organisation"]
    assert client.get("/alliances", headers=sab).json()[0]["funding_bank"] == FUNDING_BANK
