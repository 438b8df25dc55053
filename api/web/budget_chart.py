"""The priorisation chart, drawn on the server as SVG: no script, no library, no inline style (the CSP forbids it).

One bar per ranked proposal, as high as the running sum after it; a horizontal line at the money available,
labelled with its amount. A bar whose running sum passes the line is hatched and labelled "über Budget", so that
it is told apart without colour; a proposal that does not count towards the line is drawn as an outline only.
Screen readers get a <title> and a <desc> (role="img", aria-labelledby); the table beside it holds the numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from workflow.review.ranking import Ranking

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 48
INK, ACCENT, BAD, MUTED = "#1b1f24", "#0b5394", "#a4161a", "#4a5360"


def budget_chart(ranking: Ranking, *, t: Callable[..., str], money: Callable[[int | None], str],
                 chart_id: str = "budget-chart") -> Markup:
    """The chart as an inline <svg> element, safe to put into a template unescaped."""
    entries = ranking.entries
    line = ranking.line.available
    top_value = max([line, *(e.running_sum for e in entries), 1])
    scale = (HEIGHT - TOP - BOTTOM) / (top_value * 1.1)
    base = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(entries), 1)
    bar_width = max(min(slot * 0.7, 80), 4)
    over = sum(1 for e in entries if e.counts and not e.within_budget)
    title = t("st_chart_title", year=ranking.year)
    desc = t("st_chart_desc", count=len(entries), available=money(line), over=over)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="budget-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        '<defs><pattern id="over-budget" patternUnits="userSpaceOnUse" width="8" height="8">'
        f'<rect width="8" height="8" fill="#ffffff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" '
        f'stroke="{BAD}" stroke-width="2"/></pattern></defs>',
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}" stroke-width="1"/>',
    ]
    for index, entry in enumerate(entries):
        c = entry.candidate
        height = entry.running_sum * scale
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = base - height
        if not entry.counts:
            kind, fill, stroke, dash = "not-counted", "none", MUTED, ' stroke-dasharray="4 3"'
        elif entry.within_budget:
            kind, fill, stroke, dash = "within", ACCENT, ACCENT, ""
        else:
            kind, fill, stroke, dash = "over", "url(#over-budget)", BAD, ""
        label = t("st_chart_bar", rank=entry.rank, title=c.title, grant=money(c.grant),
                  running=money(entry.running_sum), status=t(f"st_chart_{kind.replace('-', '_')}"))
        parts.append(
            f'<g class="bar bar-{kind}" data-proposal="{c.proposal_id}" data-running-sum="{entry.running_sum}">'
            f'<title>{escape(label)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{max(height, 1):.1f}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"{dash}/>'
            f'<text x="{x + bar_width / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{entry.rank}</text>')
        if kind == "over":
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{base + 32}" text-anchor="middle" font-size="11" '
                         f'fill="{BAD}" font-weight="700">{escape(t("st_chart_over_short"))}</text>')
        parts.append("</g>")
    line_y = base - line * scale
    line_label = t("st_chart_line", amount=money(line))
    parts.append(
        f'<g class="budget-line" data-amount="{line}">'
        f'<line x1="{LEFT}" y1="{line_y:.1f}" x2="{WIDTH - RIGHT}" y2="{line_y:.1f}" stroke="{BAD}" '
        f'stroke-width="2" stroke-dasharray="8 4"/>'
        f'<text x="{WIDTH - RIGHT}" y="{max(line_y - 6, 12):.1f}" text-anchor="end" font-size="13" '
        f'font-weight="700" fill="{BAD}">{escape(line_label)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
