"""The monthly report as files: an XLSX workbook (one sheet per table); the PDF is `monthly_pdf`'s.

Both are drawn from the same tables (`sheets`); labels follow the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zhili.analytics import tables
from zhili.analytics.report import KpiRow
from zhili.assessment.scoring import SubjectScore
from zhili.command_centre.monthly import DIMENSIONS, MonthlyReport
from zhili.core import xlsx
from zhili.web.i18n import translate

Cell = str | int | float | None


class Share(float):
    """A rate, as a share from 0 to 1: the PDF prints it as a percentage, a sheet keeps the number."""


def _summary_rows(report: MonthlyReport, language: str) -> list[list[Cell]]:
    """The month against the month before and a year before, one KPI a row."""
    columns = [report.this.total, report.previous, report.last_year]
    head: list[Cell] = [translate("report.kpi", language), str(report.month), str(report.month + -1)]
    rows: list[list[Cell]] = [[*head, str(report.month + -12)]]
    for key, read in tables.COLUMNS:
        rows.append([translate(key, language), *(_round(key, read(t)) for t in columns)])
    return rows


def _round(key: str, value: float | None) -> Cell:
    if isinstance(value, float):
        return Share(round(value, 4)) if key in tables.RATES else round(value, 1)
    return value


def _table_rows(rows: Sequence[KpiRow], first: str, language: str) -> list[list[Cell]]:
    headings: list[Cell] = [translate(first, language), *(translate(key, language) for key, _ in tables.COLUMNS)]
    keys = ["", *(key for key, _ in tables.COLUMNS)]  # the label's column, then each KPI's
    return [headings, *([_marked(key, v) for key, v in zip(keys, tables.cells(row), strict=True)] for row in rows)]


def _marked(key: str, value: Cell) -> Cell:
    """A rate's value marked as one (`Share`), to be printed as a percentage."""
    return Share(value) if isinstance(value, float) and key in tables.RATES else value


def sheets(report: MonthlyReport, language: str) -> dict[str, list[list[Cell]]]:
    """Every table of the report, by sheet name."""
    area_heading = f"kpi.by.{report.this.area_level}"
    standings = {
        translate(f"report.assessment.{level}", language): _standing_rows(rows, language)
        for level, rows in report.standings.items()
        if rows
    }
    return {
        translate("report.sheet.summary", language): _summary_rows(report, language),
        **standings,
        translate("report.sheet.ranking", language): _table_rows(report.ranking, area_heading, language),
        translate("kpi.table.matter", language): _table_rows(report.this.by_matter, "kpi.by.matter", language),
        translate("kpi.table.unit", language): _table_rows(report.this.by_unit, "kpi.by.unit", language),
        translate("kpi.trend", language): _table_rows(report.trend, "kpi.by.month", language),
    }


def _standing_rows(rows: Sequence[SubjectScore], language: str) -> list[list[Cell]]:
    """An assessment ranking: rank, subject, the four dimensions, the cards, the total."""
    keys = ["report.rank", "report.subject", *(f"dimension.{d}" for d in DIMENSIONS), "report.penalty", "report.total"]
    found: list[list[Cell]] = [[translate(key, language) for key in keys]]
    for s in rows:
        points = [round(s.dimensions.get(d, 0.0), 1) for d in DIMENSIONS]
        found.append([s.rank or None, s.name, *points, round(s.penalty, 1), round(s.total, 1)])
    return found


def to_xlsx(report: MonthlyReport, language: str) -> bytes:
    """The report as a workbook with a sheet per table."""
    summary = translate("report.sheet.summary", language)
    book = sheets(report, language)
    return xlsx.workbook_of({name: _shares_said(rows, language, by_row=name == summary) for name, rows in book.items()})


def _shares_said(rows: list[list[Cell]], language: str, *, by_row: bool) -> list[list[Cell]]:
    """A sheet whose rates' headings say they are shares (0–1), as the KPI files' do.

    By row in the summary (its KPIs are its rows), by column in a KPI table.
    """
    share = translate("kpi.as_share", language)
    if by_row:
        return [rows[0], *([share.format(name=row[0]), *row[1:]] if _has_share(row[1:]) else row for row in rows[1:])]
    rates = {j for j in range(1, len(rows[0])) if _has_share(row[j] for row in rows[1:])}
    return [[share.format(name=h) if j in rates else h for j, h in enumerate(rows[0])], *rows[1:]]


def _has_share(cells: Iterable[Cell]) -> bool:
    return any(isinstance(cell, Share) for cell in cells)
