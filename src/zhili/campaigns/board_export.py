"""The board's lists as files: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) and XLSX.

Times are written as Quzhou reads them (China Standard Time); headings and role names follow the
caller's language. The XLSX is written by openpyxl in write-only mode, row by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook

from zhili.campaigns.board_schemas import PersonRow, Which
from zhili.core.exports import Cell, safe_cell
from zhili.core.local_time import LOCAL_ZONE
from zhili.org.roles import role_name
from zhili.web.i18n import translate

COLUMNS = (
    "board.col.name",
    "board.col.phone",
    "board.col.role",
    "board.col.division",
    "board.col.division_code",
    "board.col.state",
    "board.col.notified_at",
    "board.col.claim_due_at",
    "board.col.claimed_at",
    "board.col.reported_at",
    "board.col.supervisor",
    "board.col.supervisor_phone",
    "board.col.overdue",
)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value: datetime | None) -> datetime | None:
    # Spreadsheets hold no time zone: the wall-clock time in Quzhou, without one.
    return value.astimezone(LOCAL_ZONE).replace(tzinfo=None) if value is not None else None


def _cells(row: PersonRow, language: str) -> list[Cell]:
    withheld = translate("board.withheld", language)
    cells: list[Cell] = [
        withheld if row.is_withheld else row.name,
        row.phone,
        role_name(row.role, language),
        row.division_name,
        row.division_code,
        translate(f"board.state.{row.state}", language),
        _local(row.notified_at),
        _local(row.claim_due_at),
        _local(row.claimed_at),
        _local(row.reported_at),
        withheld if row.supervisor_withheld else row.supervisor_name,
        row.supervisor_phone,
        translate("board.yes" if row.is_overdue else "board.no", language),
    ]
    # Names and phone numbers are typed by people: never let a spreadsheet read them as formulas.
    return [safe_cell(cell) for cell in cells]


def headings(language: str) -> list[str]:
    """The column headings in `language`."""
    return [translate(key, language) for key in COLUMNS]


def to_csv(rows: Iterable[PersonRow], language: str) -> bytes:
    """The rows as CSV bytes, headings first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings(language))
    for row in rows:
        writer.writerow(
            f"{cell:%Y-%m-%d %H:%M}" if isinstance(cell, datetime) else ("" if cell is None else cell)
            for cell in _cells(row, language)
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(rows: Iterable[PersonRow], language: str, *, which: Which) -> bytes:
    """The rows as an XLSX workbook with one sheet, headings first."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(f"board.list.{which}", language))
    sheet.append(headings(language))
    for row in rows:
        sheet.append(_cells(row, language))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(number: str, which: Which, suffix: str) -> str:
    """An ASCII file name for the download: the campaign number and the list."""
    return f"{number}-{which}.{suffix}"
