"""What changed between two versions of a procedure: states, transitions and deadlines added, removed, renamed
(by an explicit `renamed_from`) or changed, field by field.

Names are followed through every version in between, so a state renamed in version 2 and again in version 3 is
one rename in the diff from 1 to 3. A transition's states are compared under their new names: a transition whose
source state was only renamed has not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from workflow.deadlines.definition import DeadlineDef
from workflow.procedure.definition import Procedure, StateDef, TransitionDef
from workflow.procedure.registry import ProcedureRegistry

Kind = Literal["added", "removed", "renamed", "changed"]
STATE_FLAGS = ("terminal", "editable", "alliance_stage", "bank_stage", "binds_budget")


@dataclass(frozen=True)
class FieldChange:
    """One field of one item: a value that changed (`before`/`after`), or members of a set (`added`/`removed`)."""

    field: str
    before: Any = None
    after: Any = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemChange:
    kind: Kind
    name: str  # the name in the newer version (in the older one for a removal)
    label: dict[str, str]
    old_name: str | None = None  # for a rename
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ProcedureDiff:
    key: str
    from_version: int
    to_version: int
    procedure: tuple[FieldChange, ...] = ()
    states: tuple[ItemChange, ...] = ()
    transitions: tuple[ItemChange, ...] = ()
    deadlines: tuple[ItemChange, ...] = ()
    # Every state of the older version that still exists in the newer one: old name -> new name.
    state_names: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.procedure or self.states or self.transitions or self.deadlines)


def diff(procedures: ProcedureRegistry, key: str, from_version: int, to_version: int) -> ProcedureDiff:
    """The changes from one version to the other (either may be the newer one)."""
    old, new = procedures.get(key, from_version), procedures.get(key, to_version)
    states = carried_names(procedures, key, from_version, to_version, "states")
    transitions = carried_names(procedures, key, from_version, to_version, "transitions")

    def to_new(name: str) -> str:
        return states.get(name, name)

    return ProcedureDiff(
        key=key, from_version=from_version, to_version=to_version,
        procedure=_procedure_fields(old, new, to_new),
        states=_items(old.states, new.states, states, _state_fields),
        transitions=_items(old.transitions, new.transitions, transitions,
                           lambda a, b: _transition_fields(a, b, to_new)),
        deadlines=_items(old.deadlines, new.deadlines, {n: n for n in old.deadlines if n in new.deadlines},
                         lambda a, b: _deadline_fields(a, b, to_new)),
        state_names=states,
    )


def carried_names(procedures: ProcedureRegistry, key: str, from_version: int, to_version: int,
                  section: Literal["states", "transitions"]) -> dict[str, str]:
    """Old name -> name in `to_version`, for every state (or transition) of `from_version` that still exists."""
    if from_version > to_version:
        return {new: old for old, new in carried_names(procedures, key, to_version, from_version, section).items()}
    versions = [p for p in procedures.versions(key) if from_version <= p.version <= to_version]
    names = {name: name for name in getattr(versions[0], section)}
    for procedure in versions[1:]:
        items: Mapping[str, StateDef | TransitionDef] = getattr(procedure, section)
        renamed = {item.renamed_from: name for name, item in items.items() if item.renamed_from}
        names = {old: renamed.get(current, current) for old, current in names.items()
                 if current in renamed or current in items}
    return names


def _items(old: Mapping[str, Any], new: Mapping[str, Any], names: dict[str, str],
           compare: Callable[[Any, Any], tuple[FieldChange, ...]]) -> tuple[ItemChange, ...]:
    kept = set(names.values())
    changes = [ItemChange("removed", name, _label(item)) for name, item in old.items() if name not in names]
    for name, item in new.items():
        if name not in kept:
            changes.append(ItemChange("added", name, _label(item)))
    for old_name, new_name in names.items():
        fields = compare(old[old_name], new[new_name])
        if old_name != new_name:
            changes.append(ItemChange("renamed", new_name, _label(new[new_name]), old_name, fields))
        elif fields:
            changes.append(ItemChange("changed", new_name, _label(new[new_name]), None, fields))
    order = {"removed": 0, "renamed": 1, "changed": 2, "added": 3}
    return tuple(sorted(changes, key=lambda c: order[c.kind]))


def _label(item: Any) -> dict[str, str]:
    return {"de": item.label.de, "en": item.label.en}


def _value(before: Any, after: Any, name: str) -> list[FieldChange]:
    return [] if before == after else [FieldChange(name, before=before, after=after)]


def _members(before: Iterable[str], after: Iterable[str], name: str) -> list[FieldChange]:
    old, new = set(before), set(after)
    if old == new:
        return []
    return [FieldChange(name, added=tuple(sorted(new - old)), removed=tuple(sorted(old - new)))]


def _labels(before: Any, after: Any) -> list[FieldChange]:
    return [] if before == after else [FieldChange("label", before=_label_of(before), after=_label_of(after))]


def _label_of(labels: Any) -> dict[str, str] | None:
    return None if labels is None else {"de": labels.de, "en": labels.en}


def _procedure_fields(old: Procedure, new: Procedure, to_new: Callable[[str], str]) -> tuple[FieldChange, ...]:
    return tuple(
        _value(_label_of(old.title), _label_of(new.title), "title")
        + _value(to_new(old.initial), new.initial, "initial")
        + _members(map(to_new, old.scoring_states), new.scoring_states, "scoring_states")
        + _value(_dump(old.scoring), _dump(new.scoring), "scoring"))


def _state_fields(old: StateDef, new: StateDef) -> tuple[FieldChange, ...]:
    changes = _labels(old.label, new.label)
    for flag in STATE_FLAGS:
        changes += _value(getattr(old, flag), getattr(new, flag), flag)
    return tuple(changes)


def _transition_fields(old: TransitionDef, new: TransitionDef, to_new: Callable[[str], str]) -> tuple[FieldChange, ...]:
    changes = _labels(old.label, new.label)
    changes += _members(map(to_new, old.sources), new.sources, "from")
    changes += _value(to_new(old.to), new.to, "to")
    changes += _members(old.roles, new.roles, "roles")
    changes += _members(old.guards, new.guards, "guards")
    before = {i.name: i for i in old.inputs}
    after = {i.name: i for i in new.inputs}
    changes += _members(before, after, "inputs")
    for name in sorted(set(before) & set(after)):
        changes += _value(_dump(before[name]), _dump(after[name]), f"inputs.{name}")
    return tuple(changes)


def _deadline_fields(old: DeadlineDef, new: DeadlineDef, to_new: Callable[[str], str]) -> tuple[FieldChange, ...]:
    changes = _labels(old.label, new.label)
    changes += _members(map(to_new, old.states), new.states, "states")
    for name in ("scope", "due", "remind", "remind_at", "recipients", "overdue", "auto_transition"):
        changes += _value(_dump(getattr(old, name)), _dump(getattr(new, name)), name)
    return tuple(changes)


def _dump(value: Any) -> Any:
    """A value as plain JSON-able data, for comparing and for showing."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, tuple):
        return list(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)
