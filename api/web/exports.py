"""The round's priority list as files for forwarding to the bank: CSV for German Excel, and XLSX.

Both hold the same rows in rank order (German column titles, as the bank reads them), then the budget line and
the state of the steering group's resolution. The CSV is UTF-8 with a byte-order mark and ';' between fields,
amounts with a decimal comma; the XLSX keeps amounts as numbers with a euro format, the header frozen. Every
cell goes through api.web.cells, so that no title or name can become a formula in the bank's spreadsheet.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from api.web.cells import CellValue, csv_file, xlsx_row
from api.web.texts import text
from workflow.proposals.money import to_euros
from workflow.review.priorisation import ResolutionView
from workflow.review.ranking import Ranking

LANGUAGE = "de"  # the list goes to the bank in German
EURO_FORMAT = '#,##0.00 "€"'
AMOUNT, PERCENT, TEXT, NUMBER = "amount", "percent", "text", "number"


@dataclass(frozen=True)
class PriorityList:
    round_id: int
    round_name: str
    ranking: Ranking
    state_labels: dict[str, str]  # state -> label in German
    resolutions: list[ResolutionView]


def t(key: str, **values: Any) -> str:
    return text(LANGUAGE, key, **values)


def decisions(resolutions: list[ResolutionView]) -> dict[int, str]:
    """Each proposal's decision in the latest resolution version that names it."""
    found: dict[int, str] = {}
    for r in resolutions:
        found.update({pid: "prioritised" for pid in r.prioritised})
        found.update({pid: "waiting_list" for pid in r.waiting_list})
        found.update({int(d["proposal_id"]): "declined" for d in r.declined})
    return found


def columns(year: int) -> list[tuple[str, str, int]]:
    """(title, kind, width) of each column."""
    return [
        (t("st_x_rank"), NUMBER, 6), (t("st_x_id"), NUMBER, 10), (t("st_x_title"), TEXT, 42),
        (t("st_x_state"), TEXT, 22), (t("st_x_total"), NUMBER, 10), (t("st_x_share"), PERCENT, 12),
        (t("st_x_grant", year=year), AMOUNT, 18), (t("st_x_running"), AMOUNT, 18),
        (t("st_x_within"), TEXT, 16), (t("st_x_decision"), TEXT, 16), (t("st_x_note"), TEXT, 40),
    ]


def rows(data: PriorityList) -> list[list[Any]]:
    decided = decisions(data.resolutions)
    result: list[list[Any]] = []
    for e in data.ranking.entries:
        c = e.candidate
        within = t("st_x_yes") if e.within_budget else (t("st_x_no") if e.counts else t("st_x_not_counted"))
        decision = decided.get(c.proposal_id)
        result.append([
            e.rank, c.proposal_id, c.title, data.state_labels.get(c.state, c.state), c.total, c.share,
            c.grant, e.running_sum, within, t(f"st_decision_{decision}") if decision else "",
            e.why_not or "",
        ])
    return result


def summary(data: PriorityList) -> list[tuple[str, Any, str]]:
    """(label, value, kind) lines under the table: the budget line and the resolution."""
    line = data.ranking.line
    current = data.resolutions[-1] if data.resolutions else None
    state = (t("st_x_resolution_state", version=current.version, day=f"{current.decided_on:%d.%m.%Y}")
             if current else t("st_x_no_resolution"))
    return [
        (t("st_x_round"), data.round_name, TEXT),
        (t("st_x_year"), line.year, NUMBER),
        (t("st_line_budget"), line.budget, AMOUNT),
        (t("st_line_reserve"), line.reserve, AMOUNT),
        (t("st_line_elsewhere"), line.bound_elsewhere, AMOUNT),
        (t("st_line_available"), line.available, AMOUNT),
        (t("st_line_bound_here"), line.bound_here, AMOUNT),
        (t("st_line_free"), line.free, AMOUNT),
        (t("st_x_resolution"), state, TEXT),
    ]


def _euros(cents: int | None) -> Decimal | None:
    return None if cents is None else to_euros(cents)


def _csv_value(value: Any, kind: str) -> CellValue:
    """Amounts in euros (Decimal, written with a decimal comma); everything else as it is."""
    return _euros(value) if kind == AMOUNT else value


def to_csv(data: PriorityList) -> bytes:
    cols = columns(data.ranking.year)
    lines: list[list[CellValue]] = [[title for title, _, _ in cols]]
    lines += [[_csv_value(v, kind) for v, (_, kind, _) in zip(row, cols, strict=True)] for row in rows(data)]
    lines.append([])
    lines += [[label, _csv_value(value, kind)] for label, value, kind in summary(data)]
    return csv_file(lines)


def _cell_value(value: Any, kind: str) -> CellValue:
    if value is None:
        return None
    if kind == AMOUNT:
        return float(_euros(value) or 0)
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_xlsx(data: PriorityList) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("st_x_sheet")
    cols = columns(data.ranking.year)
    for cell in xlsx_row(sheet, [title for title, _, _ in cols]):
        cell.font = Font(bold=True)
    for row in rows(data):
        cells = xlsx_row(sheet, [_cell_value(v, kind) for v, (_, kind, _) in zip(row, cols, strict=True)])
        for cell, (_, kind, _) in zip(cells, cols, strict=True):
            if kind == AMOUNT:
                cell.number_format = EURO_FORMAT
            elif kind == PERCENT:
                cell.number_format = '0.00" %"'
    sheet.append([])
    for label, value, kind in summary(data):
        label_cell, value_cell = xlsx_row(sheet, [label, _cell_value(value, kind)])
        label_cell.font = Font(bold=True)
        if kind == AMOUNT:
            value_cell.number_format = EURO_FORMAT
    sheet.freeze_panes = "A2"
    for index, (_, _, width) in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions["A"].width = max(len(label) for label, _, _ in summary(data)) + 2
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(data: PriorityList, extension: str) -> str:
    """e.g. prioritaetenliste-runde-3-einreichungstermin-31-mai-2026.csv"""
    plain = unicodedata.normalize("NFKD", data.round_name.replace("ä", "ae").replace("ö", "oe")
                                  .replace("ü", "ue").replace("ß", "ss").replace("Ä", "Ae").replace("Ö", "Oe")
                                  .replace("Ü", "Ue"))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.encode("ascii", "ignore").decode().lower()).strip("-")[:60]
    return f"prioritaetenliste-runde-{data.round_id}-{slug or 'runde'}-{data.ranking.year}.{extension}"


def disposition(name: str) -> str:
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
