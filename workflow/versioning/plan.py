"""A migration plan (TOML): which state of the newer version each running proposal of the older one goes to, and
what happens to its open deadlines.

    [migration]
    id        = "fachkraefterichtlinie-2027"   # names the migration; running it again resumes it
    procedure = "saxony-regional"
    from      = 1
    to        = 2
    deadlines = "keep"                         # the default policy: keep | recreate

    [states]                                   # state of `from` = state of `to`
    proof_of_use_submitted = "proof_of_use_in_review"

    [deadlines]                                # per state of `from`, where it differs from the default
    forwarded_to_bank = "recreate"

A state the plan does not name goes to the state of the same name, or to the state that says it was `renamed_from`
it. Only running proposals move (those in a non-terminal state); finished ones keep the version they ended on.
A plan is refused, with every fault found, when a state with running proposals has nowhere to go, when it names a
state either version lacks, or when it would move running proposals into a state they cannot be in: a terminal
one (a migration must not decide a proposal), one the newer version cannot reach, or one that binds budget money
they did not bind before (only a step checks that the budget covers them).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow.errors import FieldProblem, InvalidInput, NotFound
from workflow.procedure.definition import Procedure
from workflow.procedure.inputs import MAX_ID
from workflow.procedure.registry import ProcedureRegistry
from workflow.versioning.diff import carried_names

Policy = Literal["keep", "recreate"]


class PlanRefused(InvalidInput):
    """The plan cannot be carried out; nothing was changed. `problems` lists every fault found."""

    title = "Migration plan refused"


class PlanHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)
    procedure: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=100)
    from_version: int = Field(alias="from", ge=1, le=MAX_ID)
    to_version: int = Field(alias="to", ge=1, le=MAX_ID)
    # Written into each moved proposal's history as the reason.
    description: str = Field(default="", max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")
    deadlines: Policy = "keep"


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    migration: PlanHeader
    states: dict[str, str] = Field(default_factory=dict)
    deadlines: dict[str, Policy] = Field(default_factory=dict)


@dataclass(frozen=True)
class StateMove:
    """Where the running proposals of one state of the older version go, and why there."""

    source: str
    target: str
    because: Literal["plan", "renamed", "same name"]
    deadlines: Policy


@dataclass(frozen=True)
class MigrationPlan:
    id: str
    procedure_key: str
    from_version: int
    to_version: int
    description: str
    moves: dict[str, StateMove]  # per non-terminal state of the older version that has somewhere to go
    fingerprint: str
    data: dict[str, Any]  # the plan as given (normalised): stored with the migration, shown by the API

    def move(self, state: str) -> StateMove | None:
        return self.moves.get(state)


def parse_plan(raw: bytes | str | Mapping[str, Any], source: str = "plan") -> PlanFile:
    """A plan from TOML text (a file, or a string in a request) or from already-parsed data (a JSON body)."""
    if isinstance(raw, bytes | str):
        try:
            data: Any = tomllib.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        except UnicodeDecodeError as exc:
            raise PlanRefused([FieldProblem(source, f"not UTF-8 text: {exc.reason}")]) from exc
        except tomllib.TOMLDecodeError as exc:
            raise PlanRefused([FieldProblem(source, f"not valid TOML: {exc}")]) from exc
    else:
        data = raw
    try:
        return PlanFile.model_validate(data)
    except ValidationError as exc:
        raise PlanRefused([
            FieldProblem(".".join(str(p) for p in err["loc"]) or source,
                         "missing" if err["type"] == "missing" else
                         f"unknown key '{err['loc'][-1]}'" if err["type"] == "extra_forbidden" else str(err["msg"]))
            for err in exc.errors()]) from exc


def check_plan(plan: PlanFile, procedures: ProcedureRegistry, running: Mapping[str, int]) -> MigrationPlan:
    """The plan resolved against both versions and the running proposals (`running`: state -> how many), or
    PlanRefused naming every fault."""
    head = plan.migration
    old, new = _versions(procedures, head)
    renamed = carried_names(procedures, head.procedure, head.from_version, head.to_version, "states")
    problems = [FieldProblem(f"states.{name}", f"'{name}' is not a state of {old.ref} "
                                               f"(its states: {', '.join(old.states)})")
                for name in plan.states if name not in old.states]
    problems += [FieldProblem(f"deadlines.{name}", f"'{name}' is not a state of {old.ref}")
                 for name in plan.deadlines if name not in old.states]
    reachable = new.reachable()
    moves: dict[str, StateMove] = {}
    for name, state in old.states.items():
        if state.terminal:
            if name in plan.states:
                problems.append(FieldProblem(f"states.{name}", f"'{name}' is terminal in {old.ref}: finished "
                                                               "proposals keep the version they ended on"))
            continue
        target, because = _target(name, plan.states, renamed, new)
        count = running.get(name, 0)
        if target is None:
            if count:
                problems.append(FieldProblem(
                    f"states.{name}", f"{count} running proposal(s) are in '{name}', which {new.ref} does not have: "
                                      f"map it in [states] to a state of {new.ref}"))
            continue
        problem = _target_problem(name, target, new, reachable)
        if problem is None and count and new.states[target].binds_budget and not state.binds_budget:
            problem = (f"maps {count} running proposal(s) of '{name}' to '{target}', where their grants would count "
                       f"against the alliance's budget without the check the step there makes (budget_covers): "
                       "fire the step instead, or map them to a state that binds no money")
        if problem is not None:
            problems.append(FieldProblem(f"states.{name}", problem))
            continue
        moves[name] = StateMove(name, target, because, plan.deadlines.get(name, head.deadlines))
    if problems:
        raise PlanRefused(problems)
    data = plan.model_dump(mode="json", by_alias=True)
    return MigrationPlan(
        id=head.id, procedure_key=head.procedure, from_version=head.from_version, to_version=head.to_version,
        description=head.description, moves=moves, data=data,
        fingerprint=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())


def _versions(procedures: ProcedureRegistry, head: PlanHeader) -> tuple[Procedure, Procedure]:
    problems = []
    found: dict[int, Procedure] = {}
    for field, version in (("migration.from", head.from_version), ("migration.to", head.to_version)):
        try:
            found[version] = procedures.get(head.procedure, version)
        except NotFound as exc:
            problems.append(FieldProblem(field, exc.detail))
    if not problems and head.to_version <= head.from_version:
        problems.append(FieldProblem("migration.to", f"a migration moves proposals to a later version "
                                                     f"(from {head.from_version} to {head.to_version})"))
    if problems:
        raise PlanRefused(problems)
    return found[head.from_version], found[head.to_version]


def _target(name: str, explicit: Mapping[str, str], renamed: Mapping[str, str],
            new: Procedure) -> tuple[str | None, Literal["plan", "renamed", "same name"]]:
    if name in explicit:
        return explicit[name], "plan"
    if name in renamed:
        return renamed[name], "same name" if renamed[name] == name else "renamed"
    return None, "plan"


def _target_problem(name: str, target: str, new: Procedure, reachable: set[str]) -> str | None:
    if target not in new.states:
        return f"maps '{name}' to '{target}', which is not a state of {new.ref} (its states: {', '.join(new.states)})"
    if new.states[target].terminal:
        return (f"maps running proposals of '{name}' to '{target}', a terminal state of {new.ref}: a migration "
                "moves proposals, it does not decide them (fire the transition instead)")
    if target not in reachable:
        return f"maps '{name}' to '{target}', which no path of {new.ref} reaches from '{new.initial}'"
    return None

