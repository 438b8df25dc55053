"""One shared `transitions.Machine` per procedure version.

The machine holds the graph; proposals never become its models. Attaching ORM rows (add_model) would reset their
state and cost tens of microseconds per request, and a Machine per proposal costs ~66 KiB and GC time each
(see shared/performance-notes.md). So we ask the machine's event table where a trigger leads from a state, and the
service writes the state column itself.
"""

from __future__ import annotations

from transitions import Machine

from workflow.errors import Forbidden, InvalidTransition
from workflow.procedure.definition import Procedure, TransitionDef


class ProcedureMachine:
    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self.machine = Machine(
            model=None,
            states=list(procedure.states),
            transitions=[
                {"trigger": t.name, "source": list(t.sources), "dest": t.to} for t in procedure.transitions.values()
            ],
            initial=procedure.initial,
            auto_transitions=False,
            send_event=True,
        )

    def target(self, state: str, transition: str) -> str | None:
        """Where `transition` leads from `state`, or None when it is not possible there (or unknown)."""
        event = self.machine.events.get(transition)
        if event is None:
            return None
        candidates = event.transitions.get(state)
        if not candidates:
            return None
        return str(candidates[0].dest)

    def step_target(self, state: str, role: str, transition: str) -> tuple[TransitionDef, str]:
        """The transition and the state it leads to from `state` when `role` fires it; else the domain error, in
        the order the service checks: an unknown transition, then the role, then the state it is possible from.
        A pure function of the procedure: the transition matrix asks it for every triple without a database."""
        procedure = self.procedure
        definition = procedure.transitions.get(transition)
        if definition is None:
            raise InvalidTransition(
                f"'{transition}' is not a transition of {procedure.ref} "
                f"(known: {', '.join(procedure.transitions)})", state=state, transition=transition)
        if role not in definition.roles:
            raise Forbidden(f"role '{role}' may not fire '{transition}' (allowed: {', '.join(definition.roles)})")
        target = self.target(state, transition)
        if target is None:
            raise InvalidTransition(
                f"'{transition}' is not possible from state '{state}' "
                f"(possible from: {', '.join(definition.sources)})", state=state, transition=transition)
        return definition, target

    def possible_from(self, state: str) -> list[TransitionDef]:
        """Transitions leaving `state`, in the order of the definition."""
        return [
            self.procedure.transitions[name]
            for name, event in self.machine.events.items()
            if event.transitions.get(state)
        ]
