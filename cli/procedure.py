"""`foerderweg procedure`: the procedure definitions this installation runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cli import procedure_versions
from cli.output import Language, console
from workflow.procedure.definition import load_procedure
from workflow.procedure.diagram import mermaid
from workflow.procedure.registry import ProcedureRegistry
from workflow.procedure.rules import GUARD_NAMES
from workflow.settings import load_settings

app = typer.Typer(help="Procedure definitions (TOML): list, show, validate, diagram; versions, diff, migrate.",
                  no_args_is_help=True)

LANG = typer.Option(Language.de, "--lang", help="label language")
VERSION = typer.Option(None, "--version", "-v", help="procedure version (default: the newest)")


def _registry() -> ProcedureRegistry:
    return ProcedureRegistry.from_dirs(load_settings().procedure_dirs)


@app.command("list")
def list_() -> None:
    """List the known procedures and their versions."""
    table = Table("key", "version", "title", "states", "transitions", "file")
    for p in _registry().all():
        table.add_row(p.key, str(p.version), escape(p.title.de), str(len(p.states)), str(len(p.transitions)),
                      escape(Path(p.source).name))
    console.print(table)


@app.command()
def show(key: str, version: int | None = VERSION, lang: Language = LANG) -> None:
    """Show a procedure's states and transitions: who may fire what, under which rules, with which inputs."""
    p = _registry().get(key, version)
    console.print(f"[bold]{escape(p.ref)}[/]  {escape(p.title.get(lang))}  (initial: {p.initial})")
    states = Table("state", "label", "terminal", "editable", "bank sees it", "binds budget", title="States")
    for name, s in p.states.items():
        states.add_row(name, escape(s.label.get(lang)), *("yes" if f else "" for f in
                       (s.terminal, s.editable, s.bank_stage, s.binds_budget)))
    console.print(states)
    transitions = Table("transition", "from", "to", "roles", "guards", "inputs", title="Transitions")
    for t in p.transitions.values():
        inputs = ", ".join(f"{i.name}:{i.type}{'' if i.required else '?'}" for i in t.inputs)
        transitions.add_row(f"{t.name}\n[dim]{escape(t.label.get(lang))}[/]", ", ".join(t.sources), t.to,
                            ", ".join(t.roles), ", ".join(t.guards), inputs)
    console.print(transitions)


@app.command()
def validate(file: Path = typer.Argument(..., help="a procedure definition (.toml)")) -> None:
    """Check a definition file; prints every fault found, exit code 1 if there is any."""
    p = load_procedure(file, GUARD_NAMES)
    console.print(f"[green]ok[/]: {escape(str(file))} defines {p.ref} with {len(p.states)} states "
                  f"and {len(p.transitions)} transitions")


@app.command()
def diagram(key: str, version: int | None = VERSION, lang: Language = LANG) -> None:
    """Print the state diagram as mermaid (paste into any mermaid renderer, or a Markdown file)."""
    typer.echo(mermaid(_registry().get(key, version), language=lang), nl=False)


app.command()(procedure_versions.versions)
app.command()(procedure_versions.diff)
app.command()(procedure_versions.migrate)
app.command()(procedure_versions.migration)
