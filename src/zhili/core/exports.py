"""Spreadsheet exports: cells neutralised against formula injection, CSV (with a BOM) and XLSX files.

Every export (case queue, task queue, campaign board) is written here, so a reporter who types
`=HYPERLINK(...)` into a description, or a person registered under such a name, cannot make a
spreadsheet run it: CSV cells that start like a formula get a leading apostrophe (`safe_cell`), and
XLSX text cells are written as inline strings (`core.xlsx`), which no spreadsheet evaluates, so they
show exactly what was typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from zhili.core import xlsx

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is read as a formula (or a DDE call) by Excel, LibreOffice, Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | datetime | None


def safe_cell(value: Cell) -> Cell:
    """The value as a spreadsheet shows it literally: a text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(cell: Cell) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return f"{cell:%Y-%m-%d %H:%M}"
    if isinstance(cell, str):
        return str(safe_cell(cell))
    return cell


def to_csv(headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The rows as CSV bytes (UTF-8 with a byte-order mark, so Excel reads Chinese), headings first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headings])
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(sheet_name: str, headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The rows as an XLSX workbook with one sheet, headings first (text cells are never formulas)."""
    return xlsx.workbook(sheet_name, _with_headings(headings, rows))


def _with_headings(headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterable[Sequence[Cell]]:
    yield headings
    yield from rows


def naive_local(value: datetime | None, zone: tzinfo) -> datetime | None:
    """A stored UTC time as the wall-clock time in `zone`, without a zone (spreadsheets hold none)."""
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None
