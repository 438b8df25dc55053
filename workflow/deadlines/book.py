"""Every deadline definition this installation knows: those of each procedure version, and the action concept."""

from __future__ import annotations

from workflow.deadlines.alliance import ACTION_CONCEPT
from workflow.deadlines.definition import DeadlineDef
from workflow.errors import NotFound
from workflow.procedure.registry import ProcedureRegistry


class DeadlineBook:
    def __init__(self, procedures: ProcedureRegistry, action_concept: DeadlineDef) -> None:
        self.procedures = procedures
        self.action_concept = action_concept

    def definition(self, kind: str, procedure_key: str | None, procedure_version: int | None) -> DeadlineDef | None:
        """The definition a deadline row was made from; None if it is gone (procedure or config changed)."""
        if procedure_key is None or procedure_version is None:
            return self.action_concept if kind == ACTION_CONCEPT else None
        try:
            return self.procedures.get(procedure_key, procedure_version).deadlines.get(kind)
        except NotFound:
            return None

    def kinds(self) -> frozenset[str]:
        return frozenset({name for p in self.procedures.all() for name in p.deadlines} | {ACTION_CONCEPT})

    def round_moves(self) -> dict[tuple[str, int], tuple[str, str]]:
        """Per procedure version: (state, transition) the proposals of a closed round are moved on by."""
        moves = {}
        for procedure in self.procedures.all():
            for definition in procedure.deadlines.values():
                if definition.scope == "round" and definition.overdue_transition and definition.overdue.from_state:
                    moves[(procedure.key, procedure.version)] = (definition.overdue.from_state,
                                                                 definition.overdue_transition)
        return moves
