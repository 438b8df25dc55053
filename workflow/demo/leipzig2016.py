"""The Leipzig 2016 scenario (shared/seeds, domain.md), played through the service at its historic dates.

What the sources say is kept: the MINT network's proposal of 4 May, the hearing of 12 May, the second reading
of 24 May with its conditions, the second deadline of 31 May, the priorisation of end of June (RobertaRegioZentrum,
Inspirata, Robotik), the bank's rejection of Inspirata reported on 1 September, the workshops of familienfreund KG.
What the sources do not say is invented and marked as such: the first deadline (6 May), budgets, funding plans,
scores, bank references, the withdrawn Bildungs-Mall proposal, the Zukunftsdiplom draft, the Roberta proof of
use, and the symposium's place on the waiting list, from which it moves up when the bank's rejection frees money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from workflow.alliances import store as alliance_store
from workflow.context import Context
from workflow.errors import Conflict
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.timeutil import DEFAULT_ZONE, end_of_day, local

ALLIANCE = "Fachkräfteallianz Leipzig (FKA-L)"
# Saxony's funding bank decides on the alliance's proposals; its officers see them once forwarded.
FUNDING_BANK = "Sächsische Aufbaubank - Förderbank - (SAB)"
# The 2016 rounds ran on the guideline of their time. Version 2 (the 2027 amendment) stands beside it, so that
# `foerderweg procedure migrate --plan docs/migrations/saxony-regional-1-to-2.toml --dry-run` has something to show.
PROCEDURE = ("saxony-regional", 1)
COFINANCING = "Kofinanzierung Stadt Leipzig (Ratsbeschluss VI-DS-02473)"

ORGANISATIONS = {
    "zak": "Zukunftsakademie Leipzig e.V. (MINT-Netzwerk)",
    "htwk": "HTWK Leipzig",
    "inspirata": "Inspirata e.V.",
    "akschule": "Arbeitskreis Schule und Wirtschaft Leipzig",
    "zls": "Universität Leipzig, Zentrum für Lehrerbildung und Schulforschung",
    "familienfreund": "familienfreund KG",
    "logistik": "Netzwerk Logistik Leipzig-Halle e.V.",
}

# key: (name, role, organisation key or None); reviewers and the manager belong to the alliance, the bank officer
# to the funding bank ("sab").
PEOPLE: dict[str, tuple[str, Role, str | None]] = {
    "wieland": ("Profn. Wieland", Role.APPLICANT, "zak"),
    "schwarz": ("Profn. Schwarz", Role.APPLICANT, "htwk"),
    "meissner": ("Herr Meißner", Role.APPLICANT, "inspirata"),
    "akschule": ("AK Schule und Wirtschaft", Role.APPLICANT, "akschule"),
    "zls": ("ZLS Universität Leipzig", Role.APPLICANT, "zls"),
    "familienfreund": ("familienfreund KG", Role.APPLICANT, "familienfreund"),
    "logistik": ("Netzwerk Logistik", Role.APPLICANT, "logistik"),
    "manager": ("Agentur für Arbeit Leipzig (geschäftsführend 2016)", Role.MANAGER, None),
    "stadt": ("Stadt Leipzig, Referat Beschäftigungspolitik", Role.REVIEWER, None),
    "ihk": ("IHK zu Leipzig", Role.REVIEWER, None),
    "hwk": ("Handwerkskammer zu Leipzig", Role.REVIEWER, None),
    # The HTWK is a member of the alliance (seed 002) and leads or partners two proposals: it may not score those.
    "htwk": ("HTWK Leipzig (Lenkungsgruppe)", Role.REVIEWER, "htwk"),
    "sab": ("SAB Sächsische Aufbaubank", Role.BANK, "sab"),
    "admin": ("Betrieb foerderweg", Role.ADMIN, None),
}

# One person per role gets a token printed by `foerderweg demo`, to try the API as each of them.
DEMO_LOGINS = ("wieland", "ihk", "manager", "sab", "admin")


def _year(year: int, fte: str, staff: int, material: int, grant: int) -> dict[str, Any]:
    total = staff + material
    return {"year": year, "staff_fte": fte, "staff_costs": str(staff), "material_costs": str(material),
            "grant_requested": str(grant), "own_share": str(total - grant), "own_share_source": COFINANCING}


@dataclass(frozen=True)
class DraftSpec:
    owner: str
    round: int
    title: str
    summary: str
    target_group: str
    partners: list[str]
    plan: list[dict[str, Any]]


PROPOSALS: dict[str, DraftSpec] = {
    "mint": DraftSpec("wieland", 1, "MINT-Netzwerk Leipzig: Vernetzung schulischer und außerschulischer MINT-Angebote",
                      "Konkrete Maßnahmen zur Vorbereitung einer institutionellen Verstetigung des MINT-Netzwerks.",
                      "Schulen, außerschulische Lernorte, MINT-Akteure", [],
                      [_year(2016, "0.5", 18_000, 4_000, 19_800), _year(2017, "0.5", 36_000, 6_000, 37_800)]),
    "roberta": DraftSpec("schwarz", 1, "RobertaRegioZentrum Leipzig",
                         "Regionales Roberta-Zentrum für Robotik-Kurse mit Schulen.", "Schülerinnen und Lehrkräfte",
                         ["Arbeitskreis Schule und Wirtschaft Leipzig"],
                         [_year(2016, "1.0", 30_000, 20_000, 45_000), _year(2017, "1.0", 60_000, 15_000, 67_500)]),
    "inspirata": DraftSpec("meissner", 1, "Inspirata: MINT-Mitmachangebote für Schulklassen",
                           "Ausbau der Mitmach-Ausstellung um Angebote zur Berufsorientierung.", "Schulklassen 5-10",
                           [], [_year(2016, "0.75", 27_000, 13_000, 36_000)]),
    "robotik": DraftSpec("akschule", 1, "Offener stadtweiter Wettbewerb Robotik",
                         "Jährlicher Robotik-Wettbewerb für Leipziger Schulen.", "Schülerinnen und Schüler",
                         ["HTWK Leipzig"], [_year(2016, "0.5", 16_000, 14_000, 27_000)]),
    "symposium": DraftSpec("zls", 2,
                           "Symposium MINT-Nachwuchsgewinnung heute - Wo stehen wir in Leipzig und Umgebung?",
                           "Fachtagung zur MINT-Nachwuchsgewinnung in der Region.", "MINT-Akteure, Lehrkräfte", [],
                           [_year(2016, "0.25", 8_000, 7_000, 13_500)]),
    "familienfreund": DraftSpec("familienfreund", 2,
                                "Workshops zur Sensibilisierung von Arbeitgebern für Fachkräftesicherung",
                                "Workshops in den beiden Landkreisen zu familienfreundlicher Personalpolitik.",
                                "kleine und mittlere Unternehmen", [], [_year(2016, "0.5", 20_000, 10_000, 27_000)]),
    "bildungsmall": DraftSpec("logistik", 2, "Virtuelle Bildungs-Mall in der Leipzig-Cloud",
                              "Informations- und Kommunikationsplattform für das Matching zwischen Schule, "
                              "Hochschule und Wirtschaft.",
                              "Schulen, Hochschulen, Wirtschaft", [], [_year(2016, "0.5", 25_000, 15_000, 36_000)]),
    "zukunftsdiplom": DraftSpec("wieland", 2, "Zukunftsdiplom Leipzig nach Trierer Vorbild",
                                "Anbieterübergreifendes Zukunftsdiplom (Entwurf, nicht eingereicht).", "Kinder 6-12",
                                [], []),
}

REVISION_CONDITION = (
    "Zum Themenbereich Robotik und zu den möglichen Synergien bezüglich der Koordination von MINT-Aktivitäten und "
    "Akteuren einen kooperativen Ansatz mit dem Förderverein Freunde und Förderer des BSZ 7 Leipzig e.V., der HTWK "
    "und dem Inspirata e.V. erarbeiten und in der Anhörung am 15.06.2016 darstellen."
)
SENT_TO_BANK = ["Projektantrag", "Beschluss der Lenkungsgruppe vom 29.06.2016"]
# Steering-group sessions: key -> (date and time, Europe/Berlin; title).
SESSIONS = {
    "s0512": ("2016-05-12 14:00", "Lenkungsgruppe FKA-L: Anhörung erster Einreichungstermin"),
    "s0524": ("2016-05-24 14:00", "Lenkungsgruppe FKA-L: Beratung erster Einreichungstermin"),
    "s0615": ("2016-06-15 14:00", "Lenkungsgruppe FKA-L: zweite Lesung und Anhörung zweiter Einreichungstermin"),
    "s0629": ("2016-06-29 14:00", "Lenkungsgruppe FKA-L: Priorisierung 2016"),
    "s0905": ("2016-09-05 14:00", "Lenkungsgruppe FKA-L: Nachrücken von der Warteliste"),
}
# Invented scores (regional need, concept, cooperation, sustainability; 0-5 each) per proposal and member.
SCORES: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "roberta": {"stadt": (5, 4, 4, 4), "ihk": (5, 5, 4, 3), "hwk": (4, 4, 4, 4)},
    "robotik": {"stadt": (4, 4, 5, 3), "ihk": (4, 4, 4, 3), "hwk": (5, 4, 4, 3)},
    "inspirata": {"stadt": (4, 4, 3, 4), "ihk": (4, 3, 4, 3), "hwk": (4, 4, 3, 3), "htwk": (4, 4, 4, 3)},
    "mint": {"stadt": (3, 3, 4, 2), "ihk": (3, 3, 3, 2), "hwk": (2, 3, 4, 2), "htwk": (3, 3, 3, 3)},
    "familienfreund": {"stadt": (4, 3, 3, 3), "ihk": (4, 4, 3, 3), "hwk": (4, 3, 3, 4), "htwk": (3, 3, 3, 3)},
    "symposium": {"stadt": (3, 3, 3, 2), "ihk": (3, 3, 2, 2), "hwk": (3, 2, 3, 2), "htwk": (3, 3, 3, 2)},
}
CRITERIA = ("regional_need", "concept", "cooperation", "sustainability")


def _sheet(points: tuple[int, int, int, int]) -> dict[str, Any]:
    return {"points": dict(zip(CRITERIA, points, strict=True)),
            "ko": {"documents_complete": True, "guideline_fit": True}}


def _scores(when: str, *proposals: str) -> list[Step]:
    return [Step(when, member, key, "score", inputs=_sheet(points))
            for key in proposals for member, points in SCORES[key].items()]
MINT_DECISION = ("Die Lenkungsgruppe priorisiert im MINT-Spektrum nur die Projekte RobertaRegioZentrum, Inspirata "
                 "und Robotik.")


@dataclass(frozen=True)
class Step:
    when: str  # "YYYY-MM-DD HH:MM", Europe/Berlin
    who: str  # a PEOPLE key, or "system"
    proposal: str
    action: str  # "create", "edit", or a transition name
    reason: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    session: str | None = None  # a SESSIONS key: the session the step was decided in


TIMELINE: list[Step] = [
    Step("2016-04-25 18:00", "wieland", "mint", "create"),
    Step("2016-04-29 09:30", "schwarz", "roberta", "create"),
    Step("2016-05-02 11:00", "meissner", "inspirata", "create"),
    Step("2016-05-02 15:00", "akschule", "robotik", "create"),
    Step("2016-05-03 16:00", "wieland", "mint", "edit",
         changes={"summary": "Vom Vorstand der Zukunftsakademie am 03.05.2016 bestätigter \"kleiner\" Antrag: "
                             "konkrete Maßnahmen zur Vorbereitung der institutionellen Verstetigung."}),
    Step("2016-05-03 17:00", "schwarz", "roberta", "submit"),
    Step("2016-05-04 10:00", "wieland", "mint", "submit"),
    Step("2016-05-05 12:00", "meissner", "inspirata", "submit"),
    Step("2016-05-06 14:00", "akschule", "robotik", "submit"),
    # Invented: the first deadline ended on 6 May; the system opens the review when it passes.
    Step("2016-05-07 00:05", "system", "mint", "open_review"),
    Step("2016-05-07 00:05", "system", "roberta", "open_review"),
    Step("2016-05-07 00:05", "system", "inspirata", "open_review"),
    Step("2016-05-07 00:05", "system", "robotik", "open_review"),
    Step("2016-05-09 09:00", "manager", "mint", "agenda", inputs={"purpose": "hearing"}, session="s0512"),
    Step("2016-05-09 09:00", "manager", "roberta", "agenda", inputs={"purpose": "hearing"}, session="s0512"),
    Step("2016-05-09 09:00", "manager", "inspirata", "agenda", inputs={"purpose": "hearing"}, session="s0512"),
    Step("2016-05-10 10:00", "logistik", "bildungsmall", "create"),
    Step("2016-05-20 20:00", "wieland", "zukunftsdiplom", "create"),
    *_scores("2016-05-20 12:00", "mint", "roberta", "inspirata", "robotik"),
    Step("2016-05-24 17:00", "manager", "mint", "request_revision", session="s0524",
         reason="Zweite Lesung beschlossen in der Sitzung der Lenkungsgruppe am 24.05.2016",
         inputs={"conditions": [{"text": REVISION_CONDITION, "responsible": "Zukunftsakademie Leipzig e.V."}],
                 "revision_deadline": "2016-06-13", "next_session": "2016-06-15"}),
    Step("2016-05-27 09:00", "logistik", "bildungsmall", "submit"),
    Step("2016-05-30 13:00", "familienfreund", "familienfreund", "create"),
    Step("2016-05-30 14:00", "familienfreund", "familienfreund", "submit"),
    Step("2016-05-31 11:00", "zls", "symposium", "create"),
    Step("2016-05-31 15:00", "zls", "symposium", "submit"),
    Step("2016-06-01 00:05", "system", "symposium", "open_review"),
    Step("2016-06-01 00:05", "system", "familienfreund", "open_review"),
    Step("2016-06-01 00:05", "system", "bildungsmall", "open_review"),
    Step("2016-06-10 12:00", "wieland", "mint", "edit",
         changes={"partners": ["Förderverein Freunde und Förderer des BSZ 7 Leipzig e.V.", "HTWK Leipzig",
                               "Inspirata e.V."]}),
    Step("2016-06-12 18:00", "wieland", "mint", "answer",
         inputs={"text": "Kooperativer Ansatz mit Förderverein BSZ 7, HTWK und Inspirata e.V. erarbeitet; "
                         "Vorstellung am 15.06.2016.",
                 "evidence": ["Absichtserklärung Förderverein BSZ 7 vom 08.06.2016",
                              "Kooperationszusage HTWK Leipzig vom 09.06.2016"]}),
    Step("2016-06-13 09:00", "wieland", "mint", "resubmit"),
    Step("2016-06-13 10:00", "manager", "symposium", "agenda", inputs={"purpose": "hearing"}, session="s0615"),
    Step("2016-06-13 10:00", "manager", "familienfreund", "agenda", inputs={"purpose": "hearing"},
         session="s0615"),
    Step("2016-06-15 17:00", "manager", "mint", "judge", session="s0615",
         inputs={"met": True, "note": "Kooperativer Ansatz in der zweiten Lesung dargestellt."}),
    *_scores("2016-06-20 12:00", "familienfreund", "symposium"),
    Step("2016-06-20 10:00", "logistik", "bildungsmall", "withdraw",
         reason="Das Vorhaben wird in der Bildungs- und Fachkräfteallianz Leipzig-Halle weiterverfolgt."),
    Step("2016-06-29 18:00", "manager", "round1", "resolve", session="s0629", reason=MINT_DECISION,
         inputs={"prioritised": ["roberta", "inspirata", "robotik"], "declined": ["mint"]}),
    # Invented: the symposium does not fit under the budget line any more and waits.
    Step("2016-06-29 18:30", "manager", "round2", "resolve", session="s0629",
         inputs={"prioritised": ["familienfreund"], "waiting_list": ["symposium"]}),
    Step("2016-07-04 10:00", "manager", "roberta", "forward", inputs={"documents": SENT_TO_BANK}),
    Step("2016-07-04 10:00", "manager", "inspirata", "forward", inputs={"documents": SENT_TO_BANK}),
    Step("2016-07-04 10:00", "manager", "robotik", "forward", inputs={"documents": SENT_TO_BANK}),
    Step("2016-07-04 10:00", "manager", "familienfreund", "forward"),
    # Invented: the bank approves less than requested for 2016; the budget frees the difference.
    Step("2016-08-10 11:00", "sab", "roberta", "approve",
         inputs={"bank_reference": "SAB-FKR-2016-0412", "decision_date": "2016-08-10",
                 "approved_amounts": {"2016": "42000.00"}}),
    Step("2016-08-15 11:00", "sab", "robotik", "approve", inputs={"bank_reference": "SAB-FKR-2016-0418"}),
    Step("2016-08-22 11:00", "sab", "familienfreund", "approve", inputs={"bank_reference": "SAB-FKR-2016-0431"}),
    Step("2016-09-01 11:00", "sab", "inspirata", "reject",
         reason="Nach Prüfung nicht förderfähig im Sinne der Fachkräfterichtlinie",
         inputs={"bank_reference": "SAB-FKR-2016-0415", "decision_date": "2016-09-01"}),
    # Invented: the freed money is offered to the manager; the group moves the symposium up.
    Step("2016-09-05 18:00", "manager", "round2", "resolve", session="s0905",
         inputs={"prioritised": ["familienfreund", "symposium"]}),
    Step("2016-09-06 10:00", "manager", "symposium", "forward", inputs={"documents": SENT_TO_BANK}),
    Step("2016-09-01 09:00", "schwarz", "roberta", "start_implementation", inputs={"start_date": "2016-09-01"}),
    Step("2016-09-15 09:00", "akschule", "robotik", "start_implementation", inputs={"start_date": "2016-09-15"}),
    Step("2018-03-28 10:00", "schwarz", "roberta", "submit_proof_of_use",
         inputs={"document": "Verwendungsnachweis RobertaRegioZentrum 2016-2017"}),
    Step("2018-05-15 10:00", "sab", "roberta", "accept_proof_of_use"),
]


@dataclass
class DemoResult:
    alliance_id: int
    proposals: dict[str, int]
    users: dict[str, int]
    states_reached: set[str]
    rounds: dict[int, int] = field(default_factory=dict)


def play(ctx: Context) -> DemoResult:
    admin = ctx.admin
    with ctx.db.read() as session:
        existing = alliance_store.alliances(session)
    if existing:
        # Demo users include an admin and a bank officer: never mix them into a database with real data.
        loaded = any(a.name == ALLIANCE for a in existing)
        raise Conflict("the Leipzig 2016 demo is already loaded in this database" if loaded else
                       f"the demo needs an empty database, this one has {len(existing)} alliance(s); "
                       "point FOERDERWEG_DATABASE_URL at a new file")

    alliance = admin.create_alliance(SYSTEM, ALLIANCE, region="Kreisfreie Stadt Leipzig",
                                     action_concept_adopted_on=date(2016, 5, 12), funding_bank=FUNDING_BANK,
                                     now=local(date(2016, 4, 12)))
    assert alliance.id is not None
    # Invented figures: the sources name no amounts.
    # Small enough that the budget line falls inside the second round: the symposium has to wait.
    admin.set_budget(SYSTEM, alliance.id, 2016, 140_000_00)
    admin.set_budget(SYSTEM, alliance.id, 2017, 600_000_00)
    rounds = {
        1: admin.create_round(SYSTEM, alliance.id, "1. Einreichungstermin 2016", opens_at=local(date(2016, 4, 12)),
                              closes_at=end_of_day(date(2016, 5, 6)), now=local(date(2016, 4, 12)),
                              procedure_key=PROCEDURE[0], procedure_version=PROCEDURE[1]),
        2: admin.create_round(SYSTEM, alliance.id, "2. Einreichungstermin 2016", opens_at=local(date(2016, 5, 7)),
                              closes_at=end_of_day(date(2016, 5, 31)), now=local(date(2016, 5, 7)),
                              procedure_key=PROCEDURE[0], procedure_version=PROCEDURE[1]),
    }
    orgs = {key: admin.create_organisation(SYSTEM, name).id for key, name in ORGANISATIONS.items()}
    orgs["sab"] = alliance.funding_bank_id
    actors: dict[str, Actor] = {"system": SYSTEM}
    users: dict[str, int] = {}
    for key, (name, role, org) in PEOPLE.items():
        scope_alliance = alliance.id if role in (Role.MANAGER, Role.REVIEWER) else None
        user = admin.create_user(SYSTEM, name, role, organisation_id=orgs[org] if org else None,
                                 alliance_id=scope_alliance)
        assert user.id is not None
        users[key] = user.id
        actors[key] = admin.actor_for(user.id)

    sessions = {key: ctx.meetings.create(actors["manager"], alliance.id, {"title": title, "held_at": moment(when)},
                                         now=moment("2016-05-02 09:00")).id
                for key, (when, title) in SESSIONS.items()}
    ids: dict[str, int] = {}
    reached: set[str] = set()
    for step in TIMELINE:
        now = moment(step.when)
        actor = actors[step.who]
        session_id = sessions[step.session] if step.session else None
        if step.action in REVIEW_ACTIONS:
            REVIEW_ACTIONS[step.action](ctx, step, actor, now, ids=ids, rounds=rounds, session_id=session_id)
            continue
        if step.action == "create":
            spec = PROPOSALS[step.proposal]
            round_ = rounds[spec.round]
            assert round_.id is not None
            view = ctx.proposals.create_draft(actor, {
                "round_id": round_.id, "title": spec.title, "summary": spec.summary,
                "target_group": spec.target_group, "partners": spec.partners, "funding_plan": spec.plan,
            }, now=now, request_id=f"demo-{step.proposal}-create")
            ids[step.proposal] = view.id
            reached.add(view.state)
        elif step.action == "edit":
            version = ctx.proposals.get(SYSTEM, ids[step.proposal], now=now).version
            ctx.proposals.edit_draft(actor, ids[step.proposal], step.changes, expected_version=version, now=now)
        else:
            version = ctx.proposals.get(SYSTEM, ids[step.proposal], now=now).version
            result = ctx.proposals.fire(actor, ids[step.proposal], step.action, expected_version=version, now=now,
                                        reason=step.reason, inputs=step.inputs, meeting_id=session_id,
                                        request_id=f"demo-{step.proposal}-{step.action}")
            reached.add(result.to_state)
    for proposal_id in ids.values():
        reached.update(h.to_state for h in ctx.proposals.history(SYSTEM, proposal_id))
    return DemoResult(alliance_id=alliance.id, proposals=ids, users=users, states_reached=reached,
                      rounds={key: r.id for key, r in rounds.items() if r.id is not None})


def _score(ctx: Context, step: Step, actor: Actor, now: datetime, **ids: Any) -> None:
    ctx.scoring.score(actor, ids["ids"][step.proposal], step.inputs, now=now)


def _agenda(ctx: Context, step: Step, actor: Actor, now: datetime, **ids: Any) -> None:
    ctx.meetings.add_to_agenda(actor, ids["session_id"], {"proposal_id": ids["ids"][step.proposal],
                                                          "purpose": step.inputs["purpose"]}, now=now)


def _current_condition(ctx: Context, proposal_id: int) -> int:
    return next(c.id for c in ctx.conditions.conditions(SYSTEM, proposal_id) if c.current)


def _answer(ctx: Context, step: Step, actor: Actor, now: datetime, **ids: Any) -> None:
    proposal_id = ids["ids"][step.proposal]
    ctx.conditions.answer(actor, proposal_id, _current_condition(ctx, proposal_id), step.inputs, now=now)


def _judge(ctx: Context, step: Step, actor: Actor, now: datetime, **ids: Any) -> None:
    proposal_id = ids["ids"][step.proposal]
    ctx.conditions.judge(actor, proposal_id, _current_condition(ctx, proposal_id),
                         {**step.inputs, "session_id": ids["session_id"]}, now=now)


def _resolve(ctx: Context, step: Step, actor: Actor, now: datetime, **ids: Any) -> None:
    keys: dict[str, int] = ids["ids"]
    round_ = ids["rounds"][int(step.proposal.removeprefix("round"))]
    ctx.priorisation.resolve(actor, round_.id, {
        "decided_on": now.astimezone(DEFAULT_ZONE).date(), "session_id": ids["session_id"],
        "note": step.reason or "",
        "prioritised": [keys[k] for k in step.inputs.get("prioritised", [])],
        "waiting_list": [keys[k] for k in step.inputs.get("waiting_list", [])],
        "declined": [{"proposal_id": keys[k], "reason": step.reason or "nicht priorisiert"}
                     for k in step.inputs.get("declined", [])],
    }, now=now)


# Steps of the steering group's work that are not transitions of the proposal itself.
REVIEW_ACTIONS = {"score": _score, "agenda": _agenda, "answer": _answer, "judge": _judge, "resolve": _resolve}


def moment(text: str) -> datetime:
    """'YYYY-MM-DD HH:MM' on the Berlin wall clock, as UTC."""
    return local(date.fromisoformat(text[:10]), time.fromisoformat(text[11:]))
