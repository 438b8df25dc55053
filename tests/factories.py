"""Plain keyword factories, and a driver that walks a proposal to any state through the real service.

The driver reads the procedure definition (shortest path, who may fire each step, what inputs it takes), so it
works for any shipped procedure without knowing its states.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from workflow.context import Context
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.procedure.definition import InputDef, Procedure, TransitionDef
from workflow.timeutil import end_of_day, local

ROUND_OPENS = local(date(2026, 4, 12))
ROUND_CLOSES = end_of_day(date(2026, 5, 31))
WHILE_OPEN = ROUND_OPENS + timedelta(days=10)
AFTER_CLOSE = ROUND_CLOSES + timedelta(days=10)
REASON = "Begründung laut Beschluss der Lenkungsgruppe"
FUNDING_BANK = "Sächsische Aufbaubank"


def complete_plan(year: int = 2026, *, staff: str = "40000", material: str = "10000") -> list[dict[str, Any]]:
    """One year, grant exactly 90 % of the cost, own share from the city: passes funding_plan_complete."""
    total = Decimal(staff) + Decimal(material)
    grant = (total * Decimal("0.9")).quantize(Decimal("0.01"))
    return [{
        "year": year, "staff_fte": "1.0", "staff_costs": staff, "material_costs": material,
        "grant_requested": str(grant), "own_share": str(total - grant),
        "own_share_source": "Kofinanzierung Stadt Leipzig",
    }]


@dataclass
class World:
    alliance_id: int
    other_alliance_id: int
    organisation_id: int
    other_organisation_id: int
    round_id: int
    actors: dict[Role, Actor]
    other_applicant: Actor
    other_manager: Actor
    bank_organisation_id: int  # the Sächsische Aufbaubank: funding bank of both alliances, the bank officer's

    def actor(self, role: Role) -> Actor:
        return self.actors[role]


def open_round(ctx: Context, alliance_id: int, name: str, *, opens_at: datetime = ROUND_OPENS,
               closes_at: datetime = ROUND_CLOSES, procedure_key: str | None = None,
               procedure_version: int | None = None) -> int:
    """A round of the alliance on the procedure (the default one unless named); returns its id.

    The factory world's steering group has one voting member: a round whose scheme the manager may set asks for a
    quorum of one (a scheme the procedure fixes, like Lower Saxony's bank criteria, stays as it is)."""
    round_ = ctx.admin.create_round(SYSTEM, alliance_id, name, opens_at=opens_at, closes_at=closes_at,
                                    procedure_key=procedure_key, procedure_version=procedure_version, now=opens_at)
    assert round_.id
    procedure = ctx.procedures.get(round_.procedure_key, round_.procedure_version)
    if procedure.scoring is not None and not procedure.scoring.fixed:
        ctx.scoring.set_scheme(SYSTEM, round_.id, procedure.scoring.model_copy(update={"quorum": 1}), now=opens_at)
    return round_.id


def make_world(ctx: Context, *, budget_eur: int = 10_000_000, procedure_key: str | None = None,
               procedure_version: int | None = None) -> World:
    admin = ctx.admin
    org = admin.create_organisation(SYSTEM, "Zukunftsakademie Leipzig e.V.")
    other_org = admin.create_organisation(SYSTEM, "Netzwerk Logistik Leipzig-Halle e.V.")
    alliance = admin.create_alliance(SYSTEM, "Fachkräfteallianz Leipzig", region="Stadt Leipzig", now=ROUND_OPENS,
                                     funding_bank=FUNDING_BANK)
    other = admin.create_alliance(SYSTEM, "Fachkräfteallianz Mittelsachsen", region="Landkreis Mittelsachsen",
                                  now=ROUND_OPENS, funding_bank=FUNDING_BANK)
    bank = alliance.funding_bank_id
    assert org.id and other_org.id and alliance.id and other.id and bank
    for year in (2026, 2027):
        admin.set_budget(SYSTEM, alliance.id, year, budget_eur * 100)
    round_id = open_round(ctx, alliance.id, "Einreichungstermin 31. Mai", procedure_key=procedure_key,
                          procedure_version=procedure_version)

    def person(name: str, role: Role, *, organisation_id: int | None = None, alliance_id: int | None = None) -> Actor:
        user = admin.create_user(SYSTEM, name, role, organisation_id=organisation_id, alliance_id=alliance_id)
        assert user.id
        return admin.actor_for(user.id)

    actors = {
        Role.APPLICANT: person("Prof. Wieland", Role.APPLICANT, organisation_id=org.id),
        Role.REVIEWER: person("IHK zu Leipzig", Role.REVIEWER, alliance_id=alliance.id),
        Role.MANAGER: person("Agentur für Arbeit Leipzig", Role.MANAGER, alliance_id=alliance.id),
        Role.BANK: person("SAB Sachbearbeitung", Role.BANK, organisation_id=bank),
        Role.ADMIN: person("Betrieb", Role.ADMIN),
        Role.SYSTEM: SYSTEM,
    }
    return World(
        alliance_id=alliance.id, other_alliance_id=other.id, organisation_id=org.id,
        other_organisation_id=other_org.id, round_id=round_id, actors=actors,
        other_applicant=person("Netzwerk Logistik", Role.APPLICANT, organisation_id=other_org.id),
        other_manager=person("Landratsamt Mittelsachsen", Role.MANAGER, alliance_id=other.id),
        bank_organisation_id=bank,
    )


def sample_value(spec: InputDef) -> Any:
    return {
        "text": "SAB-2026-0815",
        "text_list": ["Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"],
        "date": "2026-06-15",
        "integer": 1,
        "money": "1000.00",
        "conditions": ["Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"],
        "amounts_by_year": {"2026": "45000.00"},
    }[spec.type]


def sample_inputs(transition: TransitionDef) -> dict[str, Any]:
    return {i.name: sample_value(i) for i in transition.inputs}


def moment_for(transition: TransitionDef) -> datetime:
    """A time at which the transition's time-bound rules hold in the factory world."""
    return WHILE_OPEN if "round_open" in transition.guards else AFTER_CLOSE


def path_to(procedure: Procedure, state: str) -> list[TransitionDef]:
    """Shortest sequence of transitions from the initial state to `state`."""
    previous: dict[str, tuple[str, TransitionDef] | None] = {procedure.initial: None}
    queue = deque([procedure.initial])
    while queue:
        current = queue.popleft()
        for t in procedure.transitions_from(current):
            if t.to not in previous:
                previous[t.to] = (current, t)
                queue.append(t.to)
    if state not in previous:
        raise ValueError(f"{state} is unreachable in {procedure.ref}")
    steps: list[TransitionDef] = []
    while (link := previous[state]) is not None:
        state, t = link
        steps.append(t)
    return list(reversed(steps))


def new_draft(ctx: Context, world: World, *, title: str = "MINT-Netzwerk Leipzig", now: datetime = WHILE_OPEN,
              plan: list[dict[str, Any]] | None = None) -> int:
    view = ctx.proposals.create_draft(
        world.actor(Role.APPLICANT),
        {"round_id": world.round_id, "title": title,
         "summary": "Vernetzung schulischer und außerschulischer MINT-Bildung",
         "partners": ["HTWK Leipzig"], "funding_plan": complete_plan() if plan is None else plan},
        now=now)
    return view.id


def fire_as_allowed(ctx: Context, world: World, proposal_id: int, transition: TransitionDef, version: int) -> int:
    """Fire the step as the first role allowed to, after doing what its rules wait for (scores, answers)."""
    version = satisfy(ctx, world, proposal_id, transition, version)
    actor = world.actor(Role(transition.roles[0]))
    result = ctx.proposals.fire(actor, proposal_id, transition.name, expected_version=version,
                                now=moment_for(transition), reason=REASON, inputs=sample_inputs(transition))
    return result.version


def full_marks(ctx: Context, proposal_id: int) -> dict[str, Any]:
    """A score sheet with every criterion at its maximum and every k.o. criterion met."""
    scheme = ctx.scoring.scores(SYSTEM, proposal_id).scheme
    assert scheme is not None
    return {"points": {c.key: c.max_points for c in scheme.criteria}, "ko": {k.key: True for k in scheme.ko}}


def satisfy(ctx: Context, world: World, proposal_id: int, transition: TransitionDef, version: int, *,
            now: datetime | None = None) -> int:
    """Do what the step's rules wait for: the scorers score, the applicant answers, the manager judges.

    Returns the proposal's version afterwards (each score, answer and judgement is a write of its own)."""
    now = moment_for(transition) if now is None else now
    guards = set(transition.guards)
    if guards & {"quorum_scored", "score_threshold_met"}:
        view = ctx.scoring.scores(SYSTEM, proposal_id)
        for member in view.members:
            if not member.scored and member.conflict is None:
                ctx.scoring.score(ctx.admin.actor_for(member.user_id), proposal_id, full_marks(ctx, proposal_id),
                                  now=now)
    if guards & {"conditions_answered", "conditions_met"}:
        for condition in ctx.conditions.conditions(SYSTEM, proposal_id):
            if condition.current and condition.status == "open" and "conditions_answered" in guards:
                ctx.conditions.answer(world.actor(Role.APPLICANT), proposal_id, condition.id,
                                      {"text": "Kooperationsvereinbarung geschlossen"}, now=now)
            if condition.current and condition.status in ("open", "answered") and "conditions_met" in guards:
                ctx.conditions.judge(world.actor(Role.MANAGER), proposal_id, condition.id, {"met": True}, now=now)
    return ctx.proposals.get(SYSTEM, proposal_id, now=now).version


def procedure_of(ctx: Context, proposal_id: int) -> Procedure:
    """The procedure version the proposal is pinned to (its round's)."""
    view = ctx.proposals.get(SYSTEM, proposal_id, now=WHILE_OPEN)
    return ctx.procedures.get(view.procedure_key, view.procedure_version)


def proposal_in(ctx: Context, world: World, state: str, *, title: str = "MINT-Netzwerk Leipzig",
                plan: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """A new proposal driven to `state`; returns (id, version)."""
    proposal_id = new_draft(ctx, world, title=title, plan=plan)
    procedure = procedure_of(ctx, proposal_id)
    version = 1
    for t in path_to(procedure, state):
        version = fire_as_allowed(ctx, world, proposal_id, t, version)
    return proposal_id, version

