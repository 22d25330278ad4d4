"""The board's lists as files: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) and XLSX.

Times are written as Quzhou reads them (China Standard Time); headings and role names follow the
caller's language. The XLSX is written row by row by `core.xlsx`.
"""

from __future__ import annotations

from collections.abc import Iterable

from zhili.campaigns.board.schemas import PersonRow, Which
from zhili.core import exports
from zhili.core.exports import Cell, naive_local
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
    "board.col.report_due_at",
    "board.col.reported_at",
    "board.col.supervisor",
    "board.col.supervisor_phone",
    "board.col.overdue",
)


def _cells(row: PersonRow, language: str) -> list[Cell]:
    withheld = translate("board.withheld", language)
    return [
        withheld if row.is_withheld else row.name,
        row.phone,
        translate("board.role_held_by", language).format(
            role=role_name(row.role, language), holder=role_name(row.holder_role, language)
        )
        if row.holder_role
        else role_name(row.role, language),
        row.division_name,
        row.division_code,
        translate(f"board.state.{row.state}", language),
        naive_local(row.notified_at, LOCAL_ZONE),
        naive_local(row.claim_due_at, LOCAL_ZONE),
        naive_local(row.claimed_at, LOCAL_ZONE),
        naive_local(row.report_due_at, LOCAL_ZONE),
        naive_local(row.reported_at, LOCAL_ZONE),
        withheld if row.supervisor_withheld else row.supervisor_name,
        row.supervisor_phone,
        translate("board.yes" if row.is_overdue else "board.no", language),
    ]


def headings(language: str) -> list[str]:
    """The column headings in `language`."""
    return [translate(key, language) for key in COLUMNS]


def to_csv(rows: Iterable[PersonRow], language: str) -> bytes:
    """The rows as CSV bytes, headings first (cells neutralised by `core.exports`)."""
    return exports.to_csv(headings(language), (_cells(row, language) for row in rows))


def to_xlsx(rows: Iterable[PersonRow], language: str, *, which: Which) -> bytes:
    """The rows as an XLSX workbook with one sheet, headings first (text cells never formulas)."""
    sheet_name = translate(f"board.list.{which}", language)
    return exports.to_xlsx(sheet_name, headings(language), (_cells(row, language) for row in rows))


def filename(number: str, which: Which, suffix: str) -> str:
    """An ASCII file name for the download: the campaign number and the list."""
    return f"{number}-{which}.{suffix}"
