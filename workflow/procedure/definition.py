"""Load and validate a procedure definition (TOML) into an immutable Procedure.

A broken definition is refused as a whole, with every fault found, each naming the file, the key and the fault,
so that whoever edits a procedure fixes it in one pass instead of one error at a time.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow.deadlines.checks import check_deadlines
from workflow.deadlines.definition import DeadlineDef, DeadlineOverride
from workflow.people.roles import ROLE_NAMES
from workflow.procedure.faults import Fault, ProcedureError
from workflow.procedure.labels import Labels
from workflow.review.scheme import ScoringScheme

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class StateDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Labels
    terminal: bool = False
    # The applicant may change the proposal's content while it is in this state.
    editable: bool = False
    # Reaching this state hands the proposal to the alliance: from then on its steering group sees it.
    alliance_stage: bool = False
    # Reaching this state hands the proposal to the bank: from then on bank officers see it.
    bank_stage: bool = False
    # In this state the requested grant counts against the alliance's yearly budget.
    binds_budget: bool = False
    # The state's name in the previous version: a diff shows a rename, and a migration maps it by itself.
    renamed_from: str | None = Field(default=None, pattern=IDENTIFIER)


class InputDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=IDENTIFIER)
    type: Literal["text", "text_list", "date", "integer", "money", "conditions", "amounts_by_year"]
    required: bool = True
    label: Labels
    # For `conditions`: the date input of the same step that a condition without its own due date is due on.
    due_with: str | None = None


class TransitionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: str = Field(pattern=IDENTIFIER)
    label: Labels
    sources: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    roles: tuple[str, ...] = Field(min_length=1)
    guards: tuple[str, ...] = ()
    inputs: tuple[InputDef, ...] = ()
    # The transition's name in the previous version (a diff shows a rename instead of a removal and an addition).
    renamed_from: str | None = Field(default=None, pattern=IDENTIFIER)


class Header(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: int = Field(ge=1)
    initial: str
    title: Labels
    # States in which proposals are scored; scores are refused in any other.
    scoring_states: tuple[str, ...] = ()


class DefinitionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    procedure: Header
    states: dict[str, StateDef] = Field(min_length=1)
    transitions: tuple[TransitionDef, ...] = Field(min_length=1)
    deadlines: dict[str, DeadlineDef] = Field(default_factory=dict)
    # The scoring scheme of every round of this procedure (fixed), or the one a round starts with.
    scoring: ScoringScheme | None = None


@dataclass(frozen=True)
class Procedure:
    """A validated, immutable procedure version. Build it only through `load_procedure`/`parse_procedure`."""

    key: str
    version: int
    title: Labels
    initial: str
    states: dict[str, StateDef]
    transitions: dict[str, TransitionDef]
    source: str
    # What the definition says, not how it is written: comments and layout do not change it (see `fingerprint`).
    digest: str
    deadlines: dict[str, DeadlineDef] = field(default_factory=dict)
    scoring: ScoringScheme | None = None
    scoring_states: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    def state(self, name: str) -> StateDef:
        return self.states[name]

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions.values() if state in t.sources]

    def reachable(self) -> set[str]:
        """The states some path leads to from the initial one."""
        outgoing: dict[str, list[str]] = {name: [] for name in self.states}
        for transition in self.transitions.values():
            for source in transition.sources:
                outgoing.setdefault(source, []).append(transition.to)
        return _reachable(self.initial, outgoing)

    def with_deadline_overrides(self, overrides: dict[str, DeadlineOverride], source: str) -> Procedure:
        """This procedure with config.toml's changes to its deadlines, checked like the definition itself."""
        changed = {name: overrides[name].apply(d) if name in overrides else d for name, d in self.deadlines.items()}
        if changed == self.deadlines:
            return self
        faults = [Fault(f"{source}: deadlines.{f.key.removeprefix('deadlines.')}", f.message)
                  for f in check_deadlines(changed, self.states, tuple(self.transitions.values()))]
        if faults:
            raise ProcedureError(self.source, faults)
        return replace(self, deadlines=changed)


def load_procedure(path: Path, known_guards: frozenset[str]) -> Procedure:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProcedureError(str(path), [Fault("", f"cannot read file: {exc.strerror}")]) from exc
    return parse_procedure(raw, str(path), known_guards)


def parse_procedure(raw: bytes, source: str, known_guards: frozenset[str]) -> Procedure:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProcedureError(source, [Fault("", f"not UTF-8 text: {exc.reason}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib names line and column, and refuses duplicate keys such as a state defined twice.
        raise ProcedureError(source, [Fault("", f"not valid TOML: {exc}")]) from exc

    try:
        definition = DefinitionFile.model_validate(data)
    except ValidationError as exc:
        raise ProcedureError(source, [_fault_from_pydantic(err) for err in exc.errors()]) from exc

    faults = check_semantics(definition, known_guards)
    if faults:
        raise ProcedureError(source, faults)

    return Procedure(
        key=definition.procedure.key,
        version=definition.procedure.version,
        title=definition.procedure.title,
        initial=definition.procedure.initial,
        states=dict(definition.states),
        transitions={t.name: t for t in definition.transitions},
        source=source,
        digest=fingerprint(data),
        deadlines=dict(definition.deadlines),
        scoring=definition.scoring,
        scoring_states=definition.procedure.scoring_states,
    )


def fingerprint(data: dict[str, Any]) -> str:
    """The digest of a definition's content. A published version must keep it (workflow/versioning/published.py):
    a fixed comment or re-indented table is the same procedure, a changed label, rule or role is not."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fault_from_pydantic(err: Any) -> Fault:
    loc = tuple(err["loc"])
    key = _key_path(loc)
    if err["type"] == "missing":
        what = "label (needs de and en)" if "label" in loc or "title" in loc else f"'{loc[-1]}'"
        return Fault(key, f"missing {what}")
    if err["type"] == "extra_forbidden":
        return Fault(key, f"unknown key '{loc[-1]}'")
    return Fault(key, str(err["msg"]))


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def check_semantics(definition: DefinitionFile, known_guards: frozenset[str]) -> list[Fault]:
    """Faults a schema cannot see: names that point nowhere, states nobody reaches or nobody leaves."""
    faults = _check_initial(definition)
    seen: dict[str, int] = {}
    for index, transition in enumerate(definition.transitions):
        key = f"transitions[{index}] '{transition.name}'"
        if transition.name in seen:
            faults.append(Fault(key, f"duplicate transition name '{transition.name}' "
                                     f"(first defined at transitions[{seen[transition.name]}])"))
        seen.setdefault(transition.name, index)
        faults += _check_transition(key, transition, definition.states, known_guards)
    faults += _check_graph(definition)
    faults += _check_renames("states", {n: s.renamed_from for n, s in definition.states.items()})
    faults += _check_renames("transitions", {t.name: t.renamed_from for t in definition.transitions})
    faults += check_deadlines(definition.deadlines, definition.states, definition.transitions)
    faults += [_unknown_state("procedure.scoring_states", name, definition.states)
               for name in definition.procedure.scoring_states if name not in definition.states]
    return faults


def _check_renames(section: str, renamed_from: dict[str, str | None]) -> list[Fault]:
    """A rename names something this version no longer has, and each old name goes to one new name only."""
    faults = []
    seen: dict[str, str] = {}
    for name, old in renamed_from.items():
        if old is None:
            continue
        key = f"{section}.{name}.renamed_from"
        if old in renamed_from:
            faults.append(Fault(key, f"'{old}' is still defined in this version; a renamed "
                                     f"{section[:-1]} no longer exists under its old name"))
        elif old in seen:
            faults.append(Fault(key, f"'{old}' is already renamed to '{seen[old]}'"))
        seen.setdefault(old, name)
    return faults


def _unknown_state(key: str, name: str, states: dict[str, StateDef]) -> Fault:
    return Fault(key, f"unknown state '{name}' (known states: {', '.join(sorted(states))})")


def _check_initial(definition: DefinitionFile) -> list[Fault]:
    initial = definition.procedure.initial
    if initial not in definition.states:
        return [_unknown_state("procedure.initial", initial, definition.states)]
    if definition.states[initial].terminal:
        return [Fault("procedure.initial", f"initial state '{initial}' is terminal")]
    return []


def _check_transition(key: str, transition: TransitionDef, states: dict[str, StateDef],
                      known_guards: frozenset[str]) -> list[Fault]:
    faults = []
    for source in transition.sources:
        if source not in states:
            faults.append(_unknown_state(f"{key}.from", source, states))
        elif states[source].terminal:
            faults.append(Fault(f"{key}.from", f"terminal state '{source}' cannot have outgoing transitions"))
    if transition.to not in states:
        faults.append(_unknown_state(f"{key}.to", transition.to, states))
    faults += [Fault(f"{key}.roles", f"unknown role '{role}' (known roles: {', '.join(sorted(ROLE_NAMES))})")
               for role in transition.roles if role not in ROLE_NAMES]
    faults += [Fault(f"{key}.guards", f"unknown guard '{guard}' (known guards: {', '.join(sorted(known_guards))})")
               for guard in transition.guards if guard not in known_guards]
    faults += [Fault(f"{key}.guards", f"guard '{guard}' is listed twice")
               for guard in sorted({g for g in transition.guards if transition.guards.count(g) > 1})]
    names = [i.name for i in transition.inputs]
    faults += [Fault(f"{key}.inputs", f"duplicate input name '{name}'")
               for name in sorted({n for n in names if names.count(n) > 1})]
    dates = {i.name for i in transition.inputs if i.type == "date"}
    for spec in transition.inputs:
        if spec.due_with is not None and (spec.type != "conditions" or spec.due_with not in dates):
            named = ", ".join(sorted(dates)) or "none"
            faults.append(Fault(f"{key}.inputs.{spec.name}.due_with",
                                "names the date input of the same step that conditions are due on; "
                                f"only a 'conditions' input has one (date inputs here: {named})"))
    return faults


def _check_graph(definition: DefinitionFile) -> list[Fault]:
    states, initial = definition.states, definition.procedure.initial
    outgoing: dict[str, list[str]] = {name: [] for name in states}
    for transition in definition.transitions:
        for source in transition.sources:
            if source in outgoing:
                outgoing[source].append(transition.to)
    faults = []
    if not any(s.terminal for s in states.values()):
        faults.append(Fault("states", "no terminal state: every proposal must be able to end"))
    if initial in states:
        faults += [Fault(f"states.{name}", f"unreachable state '{name}': no path leads to it from '{initial}'")
                   for name in sorted(set(states) - _reachable(initial, outgoing))]
    dead_ends = {name for name in states if not states[name].terminal and not outgoing[name]}
    faults += [Fault(f"states.{name}", f"dead end: non-terminal state '{name}' has no outgoing transition "
                                       "(add one, or mark it terminal = true)")
               for name in sorted(dead_ends)]
    # A loop of states that never leads to an end traps proposals as surely as a dead end does.
    can_end = _reaching({name for name, s in states.items() if s.terminal}, outgoing)
    faults += [Fault(f"states.{name}", f"no way out: from '{name}' no path leads to a terminal state")
               for name in sorted(set(states) - can_end - dead_ends)]
    return faults


def _reaching(targets: set[str], outgoing: dict[str, list[str]]) -> set[str]:
    """The states from which some path leads into `targets` (the targets included)."""
    incoming: dict[str, list[str]] = {name: [] for name in outgoing}
    for source, destinations in outgoing.items():
        for destination in destinations:
            if destination in incoming:
                incoming[destination].append(source)
    seen = set(targets)
    queue = deque(targets)
    while queue:
        for source in incoming.get(queue.popleft(), []):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen


def _reachable(initial: str, outgoing: dict[str, list[str]]) -> set[str]:
    seen = {initial}
    queue = deque([initial])
    while queue:
        for target in outgoing.get(queue.popleft(), []):
            if target in outgoing and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
