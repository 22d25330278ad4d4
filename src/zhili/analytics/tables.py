"""The KPI tables as rows of cells: one column list for the page, the exports and the monthly report.

Rates are shares (0–1) in the files, so a spreadsheet can compute with them, and their headings in
the files say so (the page shows them as percentages); hours are rounded to a tenth. Headings come
from the message catalogue in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal

from starlette.responses import Response

from zhili.analytics.kpis import Totals
from zhili.analytics.report import KpiReport, KpiRow
from zhili.core import exports
from zhili.web.i18n import translate

Format = Literal["csv", "xlsx"]
Table = Literal["month", "matter", "area", "unit"]
TABLES: Final[tuple[Table, ...]] = ("month", "matter", "area", "unit")

Value = int | float | None
COLUMNS: Final[tuple[tuple[str, Callable[[Totals], Value]], ...]] = (
    ("kpi.volume", lambda t: t.volume),
    ("kpi.closed", lambda t: t["closed"]),
    ("kpi.open", lambda t: t["open"]),
    ("kpi.closure_rate", lambda t: t.closure_rate),
    ("kpi.on_time_rate", lambda t: t.on_time_rate),
    ("kpi.satisfaction_rate", lambda t: t.satisfaction_rate),
    ("kpi.complaint_rate", lambda t: t.complaint_rate),
    ("kpi.reopen_rate", lambda t: t.reopen_rate),
    ("kpi.mean_hours", lambda t: t.mean_hours),
    ("kpi.median_hours", lambda t: t.median_hours),
    ("kpi.p90_hours", lambda t: t.p90_hours),
)
RATES: Final = frozenset(key for key, _ in COLUMNS if key.endswith("_rate"))


def rows_of(report: KpiReport, table: Table) -> list[KpiRow]:
    """The rows of one table of the report."""
    return {"month": report.trend, "matter": report.by_matter, "area": report.by_area, "unit": report.by_unit}[table]


def cells(row: KpiRow) -> list[Value | str]:
    """A row's label and its values, rates as shares and hours to a tenth."""
    values: list[Value | str] = [row.label]
    for key, read in COLUMNS:
        value = read(row.totals)
        if isinstance(value, float):
            value = round(value, 4 if key in RATES else 1)
        values.append(value)
    return values


def headings(table: Table, report: KpiReport, language: str) -> list[str]:
    """The headings of a table: what its rows are, then the KPIs."""
    first = f"kpi.by.{report.area_level}" if table == "area" else f"kpi.by.{table}"
    return [translate(first, language), *(translate(key, language) for key, _ in COLUMNS)]


def file_headings(table: Table, report: KpiReport, language: str) -> list[str]:
    """The headings of a table in a file: a rate's heading says it is written as a share (0–1)."""
    first, *names = headings(table, report, language)
    share = translate("kpi.as_share", language)
    keys = [key for key, _ in COLUMNS]
    return [first, *(share.format(name=name) if key in RATES else name for key, name in zip(keys, names, strict=True))]


def export_file(report: KpiReport, table: Table, *, language: str, file_format: Format) -> bytes:
    """One table of the report as CSV or XLSX bytes."""
    rows: Sequence[list[Value | str]] = [cells(row) for row in rows_of(report, table)]
    names = file_headings(table, report, language)
    if file_format == "csv":
        return exports.to_csv(names, rows)
    return exports.to_xlsx(translate("kpi.title", language), names, rows)


def download(data: bytes, file_format: Format, name: str) -> Response:
    """The bytes as a download named `name.csv` or `name.xlsx`."""
    media = exports.CSV_MEDIA_TYPE if file_format == "csv" else exports.XLSX_MEDIA_TYPE
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'}
    )


def volume_series(rows: Sequence[KpiRow]) -> list[int]:
    """The cases received in each row, for a chart."""
    return [row.totals.volume for row in rows]


def rate_series(rows: Sequence[KpiRow], rate: str) -> list[float | None]:
    """A rate of each row as a percentage to a tenth (None where undefined), for a chart."""
    values = [getattr(row.totals, rate) for row in rows]
    return [None if v is None else round(v * 100, 1) for v in values]
