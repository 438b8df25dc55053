"""`foerderweg proposal`: look at a proposal from the operator's seat."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from cli.output import Language, console
from workflow.context import build_context
from workflow.notify.messages import when
from workflow.people.actors import SYSTEM
from workflow.proposals.money import format_eur
from workflow.timeutil import DEFAULT_ZONE, utcnow

app = typer.Typer(help="Proposals.", no_args_is_help=True)


@app.command()
def show(proposal_id: int, lang: Language = typer.Option(Language.de, "--lang", help="label language")) -> None:
    """State with label, what may happen next (by whom, and what blocks it now), and the full history."""
    ctx = build_context()
    try:
        now = utcnow()
        view = ctx.proposals.get(SYSTEM, proposal_id, now=now)
        steps = ctx.proposals.next_steps(SYSTEM, proposal_id, now=now)
        history = ctx.proposals.history(SYSTEM, proposal_id)
        procedure = ctx.procedures.get(view.procedure_key, view.procedure_version)
    finally:
        ctx.close()

    console.print(f"[bold]#{view.id} {escape(view.title)}[/]")
    console.print(f"state: [bold]{view.state_label[lang]}[/] ({view.state}), version {view.version}, "
                  f"procedure {view.procedure_key}@{view.procedure_version}")
    if view.funding_plan:
        plan = Table("year", "VZÄ", "total cost", "grant", "own share", "source", title="Funding plan")
        for y in view.funding_plan:
            plan.add_row(str(y.year), f"{y.staff_fte:g}", format_eur(y.total_cost), format_eur(y.grant_requested),
                         format_eur(y.own_share), escape(y.own_share_source))
        console.print(plan)
    if view.deadlines:
        due = Table("deadline", "due (Europe/Berlin)", "", title="Open deadlines")
        for d in view.deadlines:
            due.add_row(escape(d.label.get(lang, d.kind)) + f" ({d.kind})", when(d.due_at, lang),
                        "[bold red]overdue[/]" if d.overdue else "")
        console.print(due)
    if view.terminal:
        console.print("next: nothing, this state is final")
    else:
        nxt = Table("transition", "to", "who", "blocked now by", title="What may happen next")
        for step in steps:
            blocked = "\n".join(f"{f.rule}: {f.why}" for f in step.blocked_by) or "-"
            nxt.add_row(escape(step.transition.label.get(lang)) + f" ({step.transition.name})",
                        escape(procedure.state(step.target).label.get(lang)), ", ".join(step.transition.roles),
                        escape(blocked))
        console.print(nxt)
    table = Table("#", "when (Europe/Berlin)", "who", "what", "to", "reason and inputs", title="History")
    for h in history:
        what = procedure.transitions[h.transition].label.get(lang) if h.transition in procedure.transitions else h.kind
        details = [h.reason or ""] + [f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                      for k, v in h.inputs.items()]
        table.add_row(str(h.seq), h.at.astimezone(DEFAULT_ZONE).strftime("%d.%m.%Y %H:%M"),
                      escape(f"{h.actor_name} ({h.actor_role})"), escape(what),
                      escape(procedure.state(h.to_state).label.get(lang)), escape("\n".join(d for d in details if d)))
    console.print(table)
