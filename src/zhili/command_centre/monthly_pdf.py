"""The monthly report as a printable A4 PDF, drawn with ReportLab from the tables of `monthly_files`.

ReportLab's built-in Chinese font (STSong-Light, a CID font every PDF reader supplies) means the
package ships no font files. This module is imported when a PDF is asked for: ReportLab and its
font cost a server process about 70 ms to import, which the pages that never print should not pay.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhili.analytics.comparing import PilotComparison
from zhili.analytics.report import KpiRow
from zhili.command_centre.monthly import MonthlyReport
from zhili.command_centre.monthly_files import Cell, Share, sheets
from zhili.core.local_time import to_local
from zhili.web.i18n import translate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _title(report: MonthlyReport, language: str) -> str:
    return translate("report.title", language).format(area=report.area_label, month=str(report.month))


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
