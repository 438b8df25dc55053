"""`GET /proposals/{id}` on a big database, under wrk, against a real `foerderweg serve` on loopback.

    python -m bench.read_large [--proposals N] [--audit-rows N] [--seconds S] [--connections C] [--json OUT]

A fresh SQLite file gets the factory world, then N proposals of the Saxon procedure written in bulk with
SQLAlchemy Core (the service would take an hour for 100,000): their funding plan, an audit trail that walks a real
path through the procedure (AUDIT_ROWS in all, about ten per proposal) and the deadlines their state keeps open.
The proposals are spread over ALLIANCES alliances (a Fachkräfteallianz sees some dozens of proposals a year, so
100,000 in the database means many alliances and years; rules such as "the budget covers it" sum one alliance's
commitments). Then wrk asks for a random proposal on every request, as the manager of that proposal's alliance,
and the server's memory is read before and after.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

from bench._common import Load, rss_mib_of, settle_the_clock, table
from bench.wrk import run_wrk
from tests.factories import AFTER_CLOSE, FUNDING_BANK, ROUND_OPENS, WHILE_OPEN, World, make_world, open_round
from tests.serving import serve
from workflow.context import Context, build_context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import migrate
from workflow.proposals import store as repo
from workflow.settings import Settings

LUA = Path(__file__).with_name("lua") / "get_random.lua"
CHUNK = 20_000
PROCEDURE_KEY = "saxony-regional"
PROCEDURE_VERSION = 1
SEED = 8
# 100,000 proposals over 250 alliances: 400 each, some years' worth of a large alliance.
ALLIANCES = 250

# Where the proposals stand, in per cent: mostly in the steering group's review or past the bank's approval.
STATE_SHARES: dict[str, int] = {
    "in_review": 30, "approved": 15, "in_implementation": 25, "closed": 20,
    "forwarded_to_bank": 4, "revision_requested": 3, "not_prioritised": 3,
}
ALLIANCE_STAGE_STATES = frozenset(STATE_SHARES)
BANK_STAGE_STATES = frozenset({"forwarded_to_bank", "approved", "in_implementation", "closed"})
BINDING_STATES = BANK_STAGE_STATES
APPROVED_STATES = frozenset({"approved", "in_implementation", "closed"})

# A step of the history: (transition or None for a kind of its own, kind, role, from, to, inputs, reason).
Step = tuple[str | None, str, Role, str | None, str, dict[str, Any], str | None]
CREATED: Step = (None, "created", Role.APPLICANT, None, "draft", {}, None)
SUBMIT: Step = ("submit", "transition", Role.APPLICANT, "draft", "submitted", {}, None)
OPEN_REVIEW: Step = ("open_review", "transition", Role.MANAGER, "submitted", "in_review", {}, None)
SCORED: Step = (None, "scored", Role.REVIEWER, "in_review", "in_review",
                {"points": {"regional_need": 4, "concept": 5, "cooperation": 3, "sustainability": 4},
                 "ko": {"documents_complete": True, "guideline_fit": True}, "revised": False}, None)
HEARING_DATE = "2027-02-10"
SCHEDULE_HEARING: Step = ("schedule_hearing", "transition", Role.MANAGER, "in_review", "in_review",
                          {"next_session": HEARING_DATE}, None)
# The steps from in_review to each final state (the shortest real path of the procedure).
TO_STATE: dict[str, tuple[Step, ...]] = {
    "in_review": (),
    "revision_requested": (
        ("request_revision", "transition", Role.MANAGER, "in_review", "revision_requested",
         {"conditions": [{"text": "Kooperationsvereinbarung mit der HTWK vorlegen", "responsible": "applicant",
                          "due": None}], "revision_deadline": "2027-01-29", "next_session": HEARING_DATE}, None),),
    "not_prioritised": (
        ("decline", "transition", Role.MANAGER, "in_review", "not_prioritised", {},
         "Regionaler Bedarf in der Sitzung nicht belegt"),),
    "forwarded_to_bank": (
        ("prioritise", "transition", Role.MANAGER, "in_review", "prioritised", {}, None),
        ("forward", "transition", Role.MANAGER, "prioritised", "forwarded_to_bank",
         {"documents": ["Antrag", "Finanzierungsplan", "Beschluss der Lenkungsgruppe"]}, None)),
}
TO_STATE["approved"] = TO_STATE["forwarded_to_bank"] + (
    ("approve", "transition", Role.BANK, "forwarded_to_bank", "approved",
     {"bank_reference": "SAB-2026-0815", "decision_date": "2026-07-15"}, None),)
TO_STATE["in_implementation"] = TO_STATE["approved"] + (
    ("start_implementation", "transition", Role.APPLICANT, "approved", "in_implementation",
     {"start_date": "2026-08-01"}, None),)
TO_STATE["closed"] = TO_STATE["in_implementation"] + (
    ("submit_proof_of_use", "transition", Role.APPLICANT, "in_implementation", "proof_of_use_submitted",
     {"document": "Verwendungsnachweis 2026.pdf"}, None),
    ("accept_proof_of_use", "transition", Role.BANK, "proof_of_use_submitted", "closed", {}, None))
PREFIX = (CREATED, SUBMIT, OPEN_REVIEW)


@dataclass(frozen=True)
class ReadFigures:
    proposals: int
    audit_rows: int
    generation_seconds: float
    load: Load
    rss_before_mib: float
    rss_after_mib: float
    p99_ms: float
    # The same requests from one connection at a time: the latency of a read itself, without the queue that 16
    # connections build in front of one server process (shown beside the goal, not as it).
    one_at_a_time: Load
    # Uniform random ids: about proposals * (1 - (1 - 1/proposals) ** requests) of them were asked for.
    distinct_ids_expected: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Generated:
    url: str
    first_id: int
    last_id: int
    seconds: float
    counts: dict[str, int]
    states: dict[int, str]  # a few generated proposals and their state, to check through the API
    tokens: list[str]  # the manager of alliance i (proposal first_id + n belongs to alliance n % len(tokens))


def history(state: str, length: int) -> list[Step]:
    """A path from the draft to `state` with `length` audit rows: review rows (a score, then hearings scheduled
    again) fill up what the shortest path leaves."""
    shortest = len(PREFIX) + len(TO_STATE[state])
    if length < shortest:
        raise ValueError(f"{state} needs at least {shortest} audit rows, not {length}")
    padding = length - shortest
    review = [SCORED] * min(padding, 1) + [SCHEDULE_HEARING] * max(padding - 1, 0)
    return [*PREFIX, *review, *TO_STATE[state]]


def plan_states(proposals: int, rng: random.Random) -> list[str]:
    names, weights = zip(*STATE_SHARES.items(), strict=True)
    return rng.choices(names, weights=weights, k=proposals)


def plan_lengths(states: Sequence[str], audit_rows: int) -> list[int]:
    """Audit rows per proposal: as even as the shortest paths allow, `audit_rows` in all."""
    shortest = [len(PREFIX) + len(TO_STATE[s]) for s in states]
    if audit_rows < sum(shortest):
        raise ValueError(f"{len(states)} proposals in these states need at least {sum(shortest)} audit rows")
    base = audit_rows // len(states)
    lengths = [max(m, base) for m in shortest]
    excess = sum(lengths) - audit_rows
    index = 0
    while excess != 0:  # hand out (or take back, down to each one's shortest path) one row at a time
        i = index % len(lengths)
        if excess < 0:
            lengths[i] += 1
            excess += 1
        elif lengths[i] > shortest[i]:
            lengths[i] -= 1
            excess -= 1
        index += 1
    return lengths


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class BulkWriter:
    """The rows of one generated proposal, as the service would have written them."""

    def __init__(self, world: World, now: datetime, alliances: Sequence[tuple[int, int]], first_id: int) -> None:
        self.world = world
        self.now = now
        self.alliances = alliances  # (alliance id, round id)
        self.first_id = first_id
        self.actors = {role: world.actor(role) for role in (Role.APPLICANT, Role.MANAGER, Role.REVIEWER, Role.BANK)}

    def proposal(self, proposal_id: int, state: str, version: int, updated_at: datetime) -> dict[str, Any]:
        alliance_id, round_id = self.alliances[(proposal_id - self.first_id) % len(self.alliances)]
        return {
            "id": proposal_id, "round_id": round_id, "alliance_id": alliance_id,
            "organisation_id": self.world.organisation_id, "title": f"Fachkräfteprojekt Leipzig {proposal_id}",
            "summary": "Vernetzung schulischer und außerschulischer MINT-Bildung", "target_group": "Schülerinnen",
            "goals": "", "partners": ["HTWK Leipzig"], "state": state, "version": version,
            "procedure_key": PROCEDURE_KEY, "procedure_version": PROCEDURE_VERSION,
            "created_by": self.actors[Role.APPLICANT].user_id, "created_at": WHILE_OPEN, "updated_at": updated_at,
            "reached_alliance_at": WHILE_OPEN if state in ALLIANCE_STAGE_STATES else None,
            "reached_bank_at": AFTER_CLOSE if state in BANK_STAGE_STATES else None,
            "binds_budget": state in BINDING_STATES,
        }

    def plan_year(self, proposal_id: int, state: str) -> dict[str, Any]:
        # complete_plan(): 40,000 staff + 10,000 material, 90 % grant, in cents.
        return {"proposal_id": proposal_id, "year": 2026, "staff_fte": 1.0, "staff_costs": 4_000_000,
                "material_costs": 1_000_000, "total_cost": 5_000_000, "grant_requested": 4_500_000,
                "own_share": 500_000, "own_share_source": "Kofinanzierung Stadt Leipzig",
                "grant_approved": 4_500_000 if state in APPROVED_STATES else None}

    def audit(self, proposal_id: int, steps: Sequence[Step]) -> Iterator[dict[str, Any]]:
        for seq, (transition, kind, role, source, target, inputs, reason) in enumerate(steps, start=1):
            actor = self.actors[role]
            yield {"proposal_id": proposal_id, "seq": seq, "at": self.moment(seq), "kind": kind,
                   "actor_id": actor.user_id, "actor_name": actor.name, "actor_role": role.value,
                   "transition": transition, "from_state": source, "to_state": target, "reason": reason,
                   "inputs": inputs, "request_id": None, "procedure_key": PROCEDURE_KEY,
                   "procedure_version": PROCEDURE_VERSION, "session_id": None}

    def moment(self, seq: int) -> datetime:
        # Drafted and submitted while the round was open, then a step every few days after it closed.
        return WHILE_OPEN if seq <= 2 else AFTER_CLOSE + timedelta(days=3 * (seq - 2))

    def deadlines(self, proposal_id: int, state: str, steps: Sequence[Step]) -> Iterator[dict[str, Any]]:
        """The open deadlines the state keeps (due after the run, so the server's clock has nothing to do),
        and the bank decision the approval closed."""
        open_kinds: list[str] = []
        if state == "revision_requested" or (state == "in_review" and SCHEDULE_HEARING in steps):
            open_kinds.append("hearing")
        if state == "revision_requested":
            open_kinds.append("revision")
        if state == "forwarded_to_bank":
            open_kinds.append("bank_decision")
        if state in ("approved", "in_implementation"):
            open_kinds.append("proof_of_use")
        for n, kind in enumerate(open_kinds):
            due = self.now + timedelta(days=60 + n * 30 + proposal_id % 90)
            yield self.deadline(proposal_id, kind, state, due, status="open", next_fire_at=due - timedelta(days=7))
        if state in APPROVED_STATES:
            yield self.deadline(proposal_id, "bank_decision", "forwarded_to_bank", AFTER_CLOSE + timedelta(weeks=6),
                                status="cancelled", next_fire_at=None)

    def deadline(self, proposal_id: int, kind: str, state: str, due: datetime, *, status: str,
                 next_fire_at: datetime | None) -> dict[str, Any]:
        return {"proposal_id": proposal_id, "round_id": None, "alliance_id": None, "kind": kind,
                "procedure_key": PROCEDURE_KEY, "procedure_version": PROCEDURE_VERSION, "state": state,
                "due_at": due, "status": status, "stage": 0, "next_fire_at": next_fire_at, "claim": None,
                "lease_until": None, "created_at": AFTER_CLOSE,
                "closed_at": None if status == "open" else AFTER_CLOSE + timedelta(days=20)}


def alliances_with_managers(ctx: Context, world: World, count: int, budget_eur: int) -> tuple[
        list[tuple[int, int]], list[str]]:
    """The world's alliance and count - 1 more, each with a budget, a round and a manager with a token."""
    manager = world.actor(Role.MANAGER).user_id
    assert manager is not None
    alliances, tokens = [(world.alliance_id, world.round_id)], [ctx.admin.issue_token(SYSTEM, manager)]
    for n in range(1, count):
        alliance = ctx.admin.create_alliance(SYSTEM, f"Fachkräfteallianz {n}", region=f"Region {n}",
                                             now=ROUND_OPENS, funding_bank=FUNDING_BANK)
        assert alliance.id is not None
        ctx.admin.set_budget(SYSTEM, alliance.id, 2026, budget_eur * 100)
        user = ctx.admin.create_user(SYSTEM, f"Geschäftsstelle {n}", Role.MANAGER, alliance_id=alliance.id)
        assert user.id is not None
        alliances.append((alliance.id, open_round(ctx, alliance.id, "Einreichungstermin 31. Mai")))
        tokens.append(ctx.admin.issue_token(SYSTEM, user.id))
    return alliances, tokens


def generate(ctx: Context, world: World, alliances: Sequence[tuple[int, int]], *, proposals: int,
             audit_rows: int) -> tuple[int, dict[int, str]]:
    """Write the proposals in bulk; returns the first id and a sample of (id, state) to check afterwards."""
    rng = random.Random(SEED)
    states = plan_states(proposals, rng)
    lengths = plan_lengths(states, audit_rows)
    with ctx.db.write() as session:
        highest = session.execute(sa.select(sa.func.coalesce(sa.func.max(repo.PROPOSALS.c.id), 0))).scalar_one()
        first_id = int(highest) + 1
        writer = BulkWriter(world, datetime.now().astimezone(), alliances, first_id)
        ids = range(first_id, first_id + proposals)
        paths = [history(state, length) for state, length in zip(states, lengths, strict=True)]

        def proposal_rows() -> Iterator[dict[str, Any]]:
            for pid, state, steps in zip(ids, states, paths, strict=True):
                yield writer.proposal(pid, state, len(steps), writer.moment(len(steps)))

        def rows_of(table: sa.Table) -> Iterator[dict[str, Any]]:
            for pid, state, steps in zip(ids, states, paths, strict=True):
                if table is repo.PLAN:
                    yield writer.plan_year(pid, state)
                elif table is repo.AUDIT:
                    yield from writer.audit(pid, steps)
                else:
                    yield from writer.deadlines(pid, state, steps)

        for chunk in _chunks(proposal_rows()):
            session.execute(sa.insert(repo.PROPOSALS), chunk)
        for table in (repo.PLAN, repo.AUDIT, repo.DEADLINES):
            for chunk in _chunks(rows_of(table)):
                session.execute(sa.insert(table), chunk)
    with ctx.db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    sample_positions = sorted({0, proposals - 1, *rng.sample(range(proposals), min(proposals, 5))})
    return first_id, {first_id + i: states[i] for i in sample_positions}


def count_rows(ctx: Context) -> dict[str, int]:
    with ctx.db.read() as session:
        return {table.name: int(session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for table in (repo.PROPOSALS, repo.PLAN, repo.AUDIT, repo.DEADLINES)}


def prepare(folder: Path, *, proposals: int, audit_rows: int) -> Generated:
    url = f"sqlite:///{folder / 'large.db'}"
    ctx = build_context(Settings(database_url=url))
    try:
        migrate.upgrade(ctx.db)
        budget = 50_000 * max(1, proposals // ALLIANCES)
        world = make_world(ctx, budget_eur=budget, procedure_version=PROCEDURE_VERSION)
        alliances, tokens = alliances_with_managers(ctx, world, min(ALLIANCES, proposals), budget)
        started = time.perf_counter()
        first_id, sample = generate(ctx, world, alliances, proposals=proposals, audit_rows=audit_rows)
        seconds = time.perf_counter() - started
        counts = count_rows(ctx)
        settle_the_clock(ctx)
    finally:
        ctx.close()
    expected = {"proposals": proposals, "funding_years": proposals, "audit_events": audit_rows}
    wrong = {name: (counts[name], n) for name, n in expected.items() if counts[name] != n}
    if wrong:
        raise AssertionError(f"generated row counts (found, wanted) are off: {wrong}")
    return Generated(url=url, first_id=first_id, last_id=first_id + proposals - 1, seconds=seconds, counts=counts,
                     states=sample, tokens=tokens)


def check_through_api(base_url: str, generated: Generated) -> None:
    """Before the load: generated proposals answer 200 with the state they were written in."""
    for proposal_id, state in generated.states.items():
        token = generated.tokens[(proposal_id - generated.first_id) % len(generated.tokens)]
        answer = httpx.get(f"{base_url}/proposals/{proposal_id}", headers={"Authorization": f"Bearer {token}"},
                           timeout=30)
        if answer.status_code != 200 or answer.json().get("state") != state:
            raise AssertionError(f"GET /proposals/{proposal_id}: {answer.status_code} {answer.text[:300]} "
                                 f"(wanted 200 and state {state})")


def lua_script(generated: Generated) -> str:
    return (LUA.read_text("utf-8").replace("{{FIRST_ID}}", str(generated.first_id))
            .replace("{{LAST_ID}}", str(generated.last_id))
            .replace("{{TOKENS}}", "{" + ", ".join(f'"{t}"' for t in generated.tokens) + "}"))


def distinct_expected(requests: int, proposals: int) -> int:
    return round(proposals * (1 - (1 - 1 / proposals) ** requests))


def measure(folder: Path, *, proposals: int = 100_000, audit_rows: int = 1_000_000, seconds: float = 15,
            connections: int = 16) -> ReadFigures:
    generated = prepare(folder, proposals=proposals, audit_rows=audit_rows)
    script = folder / "get_random.lua"
    script.write_text(lua_script(generated), "utf-8")
    with serve(generated.url, folder, log_level="warning") as (server,):
        assert server.process is not None
        check_through_api(server.url, generated)
        before = rss_mib_of(server.process.pid)
        load = run_wrk(server.url, script=script, duration_s=seconds, connections=connections)
        after = rss_mib_of(server.process.pid)
        alone = run_wrk(server.url, script=script, duration_s=seconds, connections=1, threads=1)
    return ReadFigures(proposals=proposals, audit_rows=generated.counts["audit_events"],
                       generation_seconds=generated.seconds, load=load, rss_before_mib=before, rss_after_mib=after,
                       p99_ms=load.p99_ms, distinct_ids_expected=distinct_expected(load.requests, proposals),
                       one_at_a_time=alone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="foerderweg-bench-") as folder:
        figures = measure(Path(folder), proposals=args.proposals, audit_rows=args.audit_rows, seconds=args.seconds,
                          connections=args.connections)
    load, alone = figures.load, figures.one_at_a_time
    print(table([
        ("database", f"{figures.proposals:,} proposals, {figures.audit_rows:,} audit rows"),
        ("generated in", f"{figures.generation_seconds:.1f} s"),
        ("GET /proposals/{id}", f"{load.requests:,} in {load.seconds:.1f} s -> {load.per_second:,.0f}/s"),
        ("latency", f"p50 {load.p50_ms:.1f} ms, p90 {load.p90_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"),
        ("one connection at a time", f"{alone.per_second:,.0f}/s, p50 {alone.p50_ms:.1f} ms, "
                                     f"p99 {alone.p99_ms:.1f} ms"),
        ("distinct ids (expected)", f"~{figures.distinct_ids_expected:,} of {figures.proposals:,}"),
        ("errors", str(load.errors)),
        ("server RSS", f"{figures.rss_before_mib:.1f} -> {figures.rss_after_mib:.1f} MiB"),
    ]))
    if args.json is not None:
        args.json.write_text(json.dumps(figures.to_dict(), indent=2) + "\n", "utf-8")
    return 0 if load.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
