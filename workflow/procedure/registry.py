"""The procedures this installation knows: every shipped definition plus those in configured folders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from workflow.deadlines.alliance import ACTION_CONCEPT
from workflow.deadlines.definition import DeadlineOverride
from workflow.errors import NotFound
from workflow.procedure.definition import Fault, Procedure, ProcedureError, load_procedure
from workflow.procedure.machine import ProcedureMachine
from workflow.procedure.rules import GUARD_NAMES

SHIPPED_DIR = Path(__file__).parent / "shipped"


class ProcedureRegistry:
    """Loads each definition once, validates it, and keeps one shared machine per (key, version)."""

    def __init__(self, procedures: Iterable[Procedure]) -> None:
        self._machines: dict[tuple[str, int], ProcedureMachine] = {}
        for procedure in procedures:
            ident = (procedure.key, procedure.version)
            if ident in self._machines:
                first = self._machines[ident].procedure.source
                raise ProcedureError(
                    procedure.source,
                    [Fault("procedure.version", f"{procedure.ref} is already defined in {first}")],
                )
            self._machines[ident] = ProcedureMachine(procedure)
        for procedure in self.all():
            faults = _rename_faults(procedure, self.previous(procedure.key, procedure.version))
            if faults:
                raise ProcedureError(procedure.source, faults)

    @classmethod
    def from_dirs(cls, extra_dirs: Iterable[Path] = (),
                  deadline_overrides: Mapping[str, DeadlineOverride] | None = None) -> ProcedureRegistry:
        """Every definition, with config.toml's changes to deadlines applied (a name nobody defines is refused)."""
        files: list[Path] = sorted(SHIPPED_DIR.glob("*.toml"))
        for folder in extra_dirs:
            if not folder.is_dir():
                raise ProcedureError(str(folder), [Fault("procedure_dirs", "not a folder")])
            files.extend(sorted(folder.glob("*.toml")))
        procedures = [load_procedure(path, GUARD_NAMES) for path in files]
        overrides = dict(deadline_overrides or {})
        if overrides:
            known = {name for p in procedures for name in p.deadlines} | {ACTION_CONCEPT}
            unknown = sorted(set(overrides) - known)
            if unknown:
                names = ", ".join(sorted(known))
                raise ProcedureError("config.toml", [
                    Fault(f"deadlines.{name}", f"no procedure has a deadline '{name}' (known: {names})")
                    for name in unknown])
            procedures = [p.with_deadline_overrides(overrides, "config.toml") for p in procedures]
        return cls(procedures)

    def machine(self, key: str, version: int) -> ProcedureMachine:
        try:
            return self._machines[(key, version)]
        except KeyError:
            raise NotFound(f"procedure {key}@{version} is not known to this installation") from None

    def get(self, key: str, version: int | None = None) -> Procedure:
        if version is None:
            return self.latest(key)
        return self.machine(key, version).procedure

    def latest(self, key: str) -> Procedure:
        versions = [v for (k, v) in self._machines if k == key]
        if not versions:
            raise NotFound(f"procedure '{key}' is not known (known: {', '.join(self.keys())})")
        return self._machines[(key, max(versions))].procedure

    def versions(self, key: str) -> list[Procedure]:
        """Every version of a procedure, oldest first."""
        found = [m.procedure for (k, _), m in sorted(self._machines.items()) if k == key]
        if not found:
            raise NotFound(f"procedure '{key}' is not known (known: {', '.join(self.keys())})")
        return found

    def previous(self, key: str, version: int) -> Procedure | None:
        """The version before this one (the one its `renamed_from` names refer to), if there is one."""
        earlier = [v for (k, v) in self._machines if k == key and v < version]
        return self._machines[(key, max(earlier))].procedure if earlier else None

    def keys(self) -> list[str]:
        return sorted({k for (k, _) in self._machines})

    def all(self) -> list[Procedure]:
        return [m.procedure for _, m in sorted(self._machines.items())]


def _rename_faults(procedure: Procedure, previous: Procedure | None) -> list[Fault]:
    """`renamed_from` names a state or transition of the version before; there must be one that has it."""
    faults = []
    for section, items, before in (
        ("states", {n: s.renamed_from for n, s in procedure.states.items()},
         previous.states if previous else {}),
        ("transitions", {n: t.renamed_from for n, t in procedure.transitions.items()},
         previous.transitions if previous else {}),
    ):
        for name, old in items.items():
            if old is None or old in before:
                continue
            where = (f"{previous.ref} has no {section[:-1]} '{old}' (it has: {', '.join(before)})" if previous
                     else f"there is no earlier version of '{procedure.key}' to rename from")
            faults.append(Fault(f"{section}.{name}.renamed_from", where))
    return faults
