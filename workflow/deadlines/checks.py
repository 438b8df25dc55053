"""Faults in a procedure's deadlines that the schema cannot see: names that point nowhere, steps that cannot run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from workflow.deadlines.definition import RECIPIENTS, DeadlineDef
from workflow.people.roles import Role
from workflow.procedure.faults import Fault

if TYPE_CHECKING:  # procedure.py imports this module to check its definitions
    from workflow.procedure.definition import StateDef, TransitionDef


def check_deadlines(deadlines: Mapping[str, DeadlineDef], states: Mapping[str, StateDef],
                    transitions: Sequence[TransitionDef]) -> list[Fault]:
    faults: list[Fault] = []
    for name, deadline in deadlines.items():
        faults += _check_one(f"deadlines.{name}", deadline, states, transitions)
    return faults


def _check_one(key: str, deadline: DeadlineDef, states: Mapping[str, StateDef],
               transitions: Sequence[TransitionDef]) -> list[Fault]:
    faults = [Fault(f"{key}.states", f"unknown state '{s}' (known states: {', '.join(sorted(states))})")
              for s in deadline.states if s not in states]
    faults += [Fault(f"{key}.states", f"terminal state '{s}' cannot hold a deadline: nothing follows it")
               for s in deadline.states if s in states and states[s].terminal]
    if deadline.scope == "alliance":
        return [Fault(f"{key}.scope", "alliance deadlines (the action concept) are the installation's, "
                                      "not a procedure's: use scope \"proposal\" or \"round\"")]
    round_scope = deadline.scope == "round"
    if round_scope and deadline.states:
        faults.append(Fault(f"{key}.states", "a round deadline belongs to the round, not to proposal states"))
    if not round_scope and not deadline.states:
        faults.append(Fault(f"{key}.states", "name the states the deadline stays open in"))
    if round_scope != (deadline.due.source == "round_closes"):
        faults.append(Fault(f"{key}.due", "round_closes goes with scope = \"round\", and a round deadline "
                                          "is due when its round closes"))
    faults += _check_recipients(key, deadline)
    if deadline.remind and not deadline.recipients:
        faults.append(Fault(f"{key}.recipients", "reminders need recipients"))
    if deadline.overdue.repeat and not deadline.overdue.notify:
        faults.append(Fault(f"{key}.overdue.repeat", "repeating needs someone to notify (overdue.notify)"))
    if deadline.due.input is not None:
        faults += _check_input(key, deadline, transitions)
    if deadline.overdue.transition is not None:
        faults += _check_transition(key, deadline, transitions)
    elif deadline.overdue.from_state is not None:
        faults.append(Fault(f"{key}.overdue.from", "'from' goes with an overdue transition"))
    return faults


def _check_recipients(key: str, deadline: DeadlineDef) -> list[Fault]:
    round_scope = deadline.scope == "round"
    faults = []
    for field, names in (("recipients", deadline.recipients), ("overdue.notify", deadline.overdue.notify)):
        for who in names:
            if who not in RECIPIENTS:
                faults.append(Fault(f"{key}.{field}", f"unknown recipient '{who}' "
                                                      f"(known: {', '.join(sorted(RECIPIENTS))})"))
            elif (who == "draft_owners") != round_scope and who in ("draft_owners", "applicant"):
                faults.append(Fault(f"{key}.{field}", f"'{who}' is not a recipient of a {deadline.scope} deadline "
                                                      f"(use '{'draft_owners' if round_scope else 'applicant'}')"))
    return faults


def _check_input(key: str, deadline: DeadlineDef, transitions: Sequence[TransitionDef]) -> list[Fault]:
    name = deadline.due.input
    carriers = [t for t in transitions if t.to in deadline.states and any(i.name == name for i in t.inputs)]
    if not carriers:
        return [Fault(f"{key}.due.input", f"no transition into {', '.join(deadline.states)} has an input '{name}'")]
    return [Fault(f"{key}.due.input", f"input '{name}' of transition '{t.name}' is not a date")
            for t in carriers for i in t.inputs if i.name == name and i.type != "date"]


def _check_transition(key: str, deadline: DeadlineDef, transitions: Sequence[TransitionDef]) -> list[Fault]:
    name = deadline.overdue.transition
    found = next((t for t in transitions if t.name == name), None)
    if found is None:
        return [Fault(f"{key}.overdue.transition", f"unknown transition '{name}'")]
    faults = []
    if Role.SYSTEM.value not in found.roles:
        faults.append(Fault(f"{key}.overdue.transition",
                            f"the system cannot fire '{name}': add 'system' to its roles"))
    if deadline.scope == "round":
        if deadline.overdue.from_state is None:
            faults.append(Fault(f"{key}.overdue.from", "name the state of the round's proposals it moves on"))
        elif deadline.overdue.from_state not in found.sources:
            faults.append(Fault(f"{key}.overdue.from",
                                f"'{name}' is not possible from '{deadline.overdue.from_state}'"))
    else:
        faults += [Fault(f"{key}.overdue.transition", f"'{name}' is not possible from '{s}', where the deadline "
                                                       "can fall due")
                   for s in deadline.states if s not in found.sources]
    return faults
