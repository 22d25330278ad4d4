"""The monthly report as files: an XLSX workbook (one sheet per table) and a printable PDF.

The PDF is drawn with ReportLab and its built-in Chinese font (STSong-Light, a CID font every PDF
reader supplies), so the package ships no font files; labels follow the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhili.analytics import tables
from zhili.analytics.comparing import PilotComparison
from zhili.analytics.report import KpiRow
from zhili.assessment.scoring import SubjectScore
from zhili.command_centre.monthly import DIMENSIONS, MonthlyReport
from zhili.core import xlsx
from zhili.core.local_time import to_local
from zhili.web.i18n import translate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
Cell = str | int | float | None


class Share(float):
    """A rate, as a share from 0 to 1: the PDF prints it as a percentage, a sheet keeps the number."""


def _title(report: MonthlyReport, language: str) -> str:
    return translate("report.title", language).format(area=report.area_label, month=str(report.month))


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


def to_pdf(report: MonthlyReport, language: str) -> bytes:
    """The report as a printable A4 PDF: the summary, the ranking, the matters and the trend chart."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, title=_title(report, language)
    )
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=11)
    made = to_local(report.made_at).strftime("%Y-%m-%d %H:%M")
    story = [
        Paragraph(_title(report, language), title),
        Paragraph(translate("report.made_at", language).format(at=made), body),
        Paragraph(translate("kpi.trend", language), heading),
        _trend_chart(report.trend),
    ]
    book = sheets(report, language)
    whole = {translate("report.sheet.summary", language)} | {
        translate(f"report.assessment.{level}", language) for level in report.standings
    }  # tables narrow enough for a page as they are; the KPI tables are cut to their main columns
    for name in list(book)[: 3 + len(report.standings)]:
        rows = book[name]
        story += [Paragraph(name, heading), _pdf_table(rows if name in whole else _short(rows))]
    for view in report.pilots:
        story += [Paragraph(f"{translate('report.pilots', language)} · {view.pilot.name}", heading)]
        if view.comparison is not None:
            story += [_pilot_chart(view), _pdf_table(_pilot_rows(view, language))]
    story += [Spacer(1, 4 * mm), Paragraph(translate("kpi.definitions_text", language), body)]
    document.build(story)
    return buffer.getvalue()


def _short(rows: list[list[Cell]]) -> list[list[Cell]]:
    """A table cut to what fits a page width: the label, volume, and the five rates."""
    keep = [0, 1, 4, 5, 6, 7, 8]
    return [[row[i] for i in keep] for row in rows[:26]]


def _pdf_table(rows: list[list[Cell]]) -> Table:
    shown = [[_shown(cell) for cell in row] for row in rows]
    table = Table(shown, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f4ff")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bfbfbf")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _shown(cell: Cell) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, Share):  # a rate; hours and points are numbers, whatever their size
        return f"{cell * 100:.1f}%"
    return str(cell)


def _trend_chart(trend: Sequence[KpiRow]) -> Drawing:
    drawing = Drawing(180 * mm, 55 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = round(12 * mm), round(8 * mm), round(160 * mm), round(42 * mm)
    chart.data = [[row.totals.volume for row in trend] or [0]]
    chart.categoryAxis.categoryNames = [row.label[2:] for row in trend] or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.bars[0].fillColor = colors.HexColor("#1677ff")
    drawing.add(chart)
    return drawing


def _pilot_rows(view: PilotComparison, language: str) -> list[list[Cell]]:
    """A pilot's effects: measure, effect, interval, verdict."""
    head: list[Cell] = [
        translate(k, language) for k in ("pilot.measure", "pilot.effect", "pilot.interval", "pilot.verdict")
    ]
    rows = [head]
    assert view.comparison is not None  # noqa: S101 - the caller checked
    for m in view.comparison.measures:
        e = m.effect
        interval = f"{e.low * 100:+.1f}% ~ {e.high * 100:+.1f}%"
        verdict = translate(f"pilot.verdict.{e.verdict.value}", language)
        rows.append(
            [translate(f"pilot.measure.{m.measure.value}", language), f"{e.change * 100:+.1f}%", interval, verdict]
        )
    return rows


def _pilot_chart(view: PilotComparison) -> Drawing:
    """The pilot's and the controls' geometric-mean handling hours, month by month (bars: pilot)."""
    drawing = Drawing(180 * mm, 45 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = round(12 * mm), round(8 * mm), round(160 * mm), round(32 * mm)
    hours = [h or 0.0 for h in view.pilot_series.hours]
    controls = [h or 0.0 for h in view.control_series.hours] if view.control_series else []
    chart.data = [hours, controls] if controls else [hours]
    chart.categoryAxis.categoryNames = [m[2:] for m in view.months]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.bars[0].fillColor = colors.HexColor("#1677ff")
    if controls:
        chart.bars[1].fillColor = colors.HexColor("#bfbfbf")
    drawing.add(chart)
    return drawing
