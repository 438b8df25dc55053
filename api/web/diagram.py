"""(being written) the state diagram of a procedure as SVG, drawn on the server from the definition."""

from __future__ import annotations

from markupsafe import Markup

from workflow.procedure import Procedure


def procedure_svg(procedure: Procedure, *, language: str = "de", highlight: str | None = None) -> Markup:
    """An accessible SVG of the procedure's states and transitions; `highlight` marks a proposal's state."""
    return Markup("")
