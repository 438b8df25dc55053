"""Print a round's ranking with its budget line, as the steering group reads it."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from cli.output import console
from workflow.proposals.money import format_eur
from workflow.review.ranking import Ranking


def print_ranking(ranking: Ranking, *, title: str) -> None:
    line = ranking.line
    table = Table("rank", "proposal", "state", "score", "share", f"grant {ranking.year}", "running sum", "",
                  title=f"{title}: ranking {ranking.year} (ties: {ranking.tie_break.replace('_', ' ')})")
    drawn = False
    for entry in ranking.entries:
        c = entry.candidate
        if entry.counts and not entry.within_budget and not drawn:
            table.add_row("", f"[bold red]── budget line: {format_eur(line.available)} ──[/]", *[""] * 6)
            drawn = True
        table.add_row(str(entry.rank), escape(c.title[:48]), c.state,
                      "-" if c.total is None else str(c.total), "-" if c.share is None else f"{c.share} %",
                      format_eur(c.grant) + (" (approved)" if c.approved is not None else ""),
                      format_eur(entry.running_sum) if entry.counts else "",
                      "" if entry.counts else escape(entry.why_not or ""))
    if not drawn:
        table.add_row("", f"[bold green]── budget line: {format_eur(line.available)} (all within) ──[/]",
                      *[""] * 6)
    console.print(table)
    budget = "none" if line.budget is None else format_eur(line.budget)
    console.print(f"budget {ranking.year}: {budget} + reserve {format_eur(line.reserve)} - bound by other rounds "
                  f"{format_eur(line.bound_elsewhere)} = available {format_eur(line.available)}; bound in this round "
                  f"{format_eur(line.bound_here)}; free {format_eur(line.free)}")
    if ranking.offer is not None:
        console.print(f"offered to the manager: proposal {ranking.offer} may move up from the waiting list")
