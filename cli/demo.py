"""`foerderweg demo`: load and play the Leipzig 2016 scenario, then print where every proposal stands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cli.output import Language, console
from cli.ranking import print_ranking
from workflow.context import build_context
from workflow.demo.leipzig2016 import ALLIANCE, DEMO_LOGINS, PROCEDURE, play
from workflow.people.actors import SYSTEM
from workflow.timeutil import DEFAULT_ZONE, utcnow


def demo(
    lang: Language = typer.Option(Language.de, "--lang", help="label language"),
    tokens_file: Path = typer.Option(None, "--tokens-file",
                                     help="also write the tokens as shell variables (APPLICANT_TOKEN=...) here"),
) -> None:
    """Load the Leipzig 2016 scenario (alliance, budgets, two rounds, eight proposals) and play its timeline."""
    ctx = build_context()
    ctx.publish_procedures()
    try:
        result = play(ctx)
        now = utcnow()
        table = Table("#", "proposal", "state", "version", "last step (Europe/Berlin)",
                      title=f"{ALLIANCE}: the 2016 timeline, played")
        for proposal_id in result.proposals.values():
            view = ctx.proposals.get(SYSTEM, proposal_id, now=now)
            last = ctx.proposals.history(SYSTEM, proposal_id)[-1]
            table.add_row(str(proposal_id), escape(view.title), f"{view.state_label[lang]} ({view.state})",
                          str(view.version),
                          f"{last.at.astimezone(DEFAULT_ZONE):%d.%m.%Y} {last.transition or last.kind}")
        console.print(table)
        procedure = ctx.procedures.get(*PROCEDURE)
        missing = sorted(set(procedure.states) - result.states_reached)
        console.print(f"states reached: {len(result.states_reached)} of {len(procedure.states)}"
                      + (f" (not reached: {', '.join(missing)})" if missing else " - every state of the procedure"))
        for number, round_id in sorted(result.rounds.items()):
            print_ranking(ctx.priorisation.ranking(SYSTEM, round_id, now=now),
                          title=f"{number}. Einreichungstermin 2016")
        console.print("look closer: foerderweg proposal show ID")
        tokens = Table("role", "who", "API token (Authorization: Bearer ...)", title="Demo tokens, one per role")
        lines = []
        for key in DEMO_LOGINS:
            actor = ctx.admin.actor_for(result.users[key])
            token = ctx.admin.issue_token(SYSTEM, result.users[key])
            tokens.add_row(actor.role.value, escape(actor.name), token)
            lines.append(f"export {actor.role.value.upper()}_TOKEN={token}\n")
        console.print(tokens)
        console.print(f"web pages: {escape(ctx.settings.public_url)}/app — sign in with one of these tokens")
        if tokens_file is not None:
            tokens_file.parent.mkdir(parents=True, exist_ok=True)
            tokens_file.write_text("".join(lines), encoding="utf-8")
            tokens_file.chmod(0o600)
            console.print(f"tokens also in {escape(str(tokens_file))} (source it in a shell)")
    finally:
        ctx.close()
