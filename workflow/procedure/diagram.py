"""Mermaid state diagrams, rendered from the same definition the engine runs on.

transitions' own GraphMachine draws only machines with an attached model, and ours has none by design, so the
few lines of mermaid are written here, with the labels in the reader's language.
"""

from __future__ import annotations

from workflow.procedure.definition import Procedure


def mermaid(procedure: Procedure, *, language: str = "de", highlight: str | None = None) -> str:
    lines = ["stateDiagram-v2", f"    %% {procedure.ref}: {procedure.title.get(language)}"]
    for name, state in procedure.states.items():
        lines.append(f'    state "{_quote(state.label.get(language))}" as {name}')
    lines.append(f"    [*] --> {procedure.initial}")
    for transition in procedure.transitions.values():
        label = _quote(transition.label.get(language))
        roles = ", ".join(transition.roles)
        for source in transition.sources:
            lines.append(f"    {source} --> {transition.to}: {label} ({roles})")
    for name, state in procedure.states.items():
        if state.terminal:
            lines.append(f"    {name} --> [*]")
    if highlight is not None and highlight in procedure.states:
        lines.append("    classDef current fill:#fde68a,stroke:#92400e,stroke-width:2px")
        lines.append(f"    class {highlight} current")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    # Mermaid ends a label at a colon or a double quote; keep the words, drop what would break the syntax.
    return text.replace('"', "'").replace(":", " -")
