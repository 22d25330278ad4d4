"""The big screen (`/command-centre`) and the data it polls (`/api/v1/command-centre`).

The page is a shell: the map, the tiles, the charts and the boards are drawn by
`static/js/command-centre.js` from one snapshot, fetched again every `REFRESH_SECONDS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from zhili.analytics import tables
from zhili.analytics.facts import month_of
from zhili.analytics.report import area_name, areas_offered, default_area
from zhili.command_centre import monthly_files
from zhili.command_centre.monthly import DIMENSIONS, monthly_report
from zhili.command_centre.snapshot import Snapshot, snapshot
from zhili.core import exports
from zhili.core.auth import CurrentActor, PageActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.months import PATTERN, Month
from zhili.org.division_code import PATTERN_OR_EMPTY
from zhili.web.i18n import request_language
from zhili.web.templating import renderer

REFRESH_SECONDS = 15

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["command centre"])


@pages.get("/command-centre")
def command_centre_page(request: Request, actor: PageActor) -> Response:
    """驾驶舱: the map of the area with live cases, KPI tiles, trends, rankings, campaign boards, warnings."""
    return renderer(request).render(
        request, "command_centre/screen.html", {"actor": actor, "refresh_seconds": REFRESH_SECONDS}
    )


@api.get("/command-centre")
def command_centre_data(request: Request, session: DbSession, actor: CurrentActor, clock: ClockDep) -> Snapshot:
    """The big screen's data for your area, as of now (labels in `?lang=`)."""
    language = request_language(request, "zh")
    return snapshot(session, actor, now=clock.now(), language=language)


MonthQuery = Annotated[str | None, Query(pattern=PATTERN, description="YYYY-MM (default: last month)")]
AreaQuery = Annotated[str, Query(pattern=PATTERN_OR_EMPTY, description="a county code (default: your own area)")]


@pages.get("/reports/monthly")
def monthly_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    month: Annotated[str, Query(max_length=20, description="YYYY-MM (default: last month)")] = "",
    area: AreaQuery = "",
) -> Response:
    """月度报告: an area's month, printable, with its XLSX and PDF; a bad month is shown beside its field (422)."""
    now = clock.now()
    chosen, error = _typed_month(month, now)
    language = renderer(request).language(request)
    report = monthly_report(session, actor, month=chosen, area=area or None, now=now, language=language)
    context = {
        "actor": actor,
        "report": report,
        "tables": tables,
        "dimensions": DIMENSIONS,
        "typed_month": month if error else str(report.month),
        "month_error": error,
        "latest_month": month_of(now),
        # The reader's own area and the areas under it: a county centre reads a township's month too.
        "home_label": area_name(session, default_area(actor)),
        "areas": areas_offered(session, actor, default_area(actor)),
    }
    return renderer(request).render(request, "command_centre/monthly.html", context, status_code=422 if error else 200)


@pages.get("/reports/monthly.{file_format}")
def monthly_file(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    file_format: Literal["xlsx", "pdf"],
    month: MonthQuery = None,
    area: AreaQuery = "",
) -> Response:
    """The monthly report as an XLSX workbook or a PDF."""
    language = renderer(request).language(request)
    now = clock.now()
    report = monthly_report(session, actor, month=_month(month, now), area=area or None, now=now, language=language)
    name = f"monthly-{report.area or 'city'}-{report.month}.{file_format}"
    if file_format == "pdf":
        from zhili.command_centre import monthly_pdf  # noqa: PLC0415 - ReportLab is imported when a PDF is asked for

        data, media = monthly_pdf.to_pdf(report, language), "application/pdf"
    else:
        data, media = monthly_files.to_xlsx(report, language), exports.XLSX_MEDIA_TYPE
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _month(text: str | None, now: datetime) -> Month:
    """The month asked for, or the last full month; a month not yet begun is refused."""
    if not text:
        return _last_full_month(now)
    month = Month.parse(text)
    if month > month_of(now):
        msg = "the month has not begun yet"
        raise InvalidInputError(msg, errors=[{"field": "month", "message": msg}])
    return month


def _typed_month(text: str, now: datetime) -> tuple[Month, str | None]:
    """The month a page's field asks for, or the last full month and the message key of why not."""
    if not text:
        return _last_full_month(now), None
    try:
        month = Month.parse(text)
    except ValueError:
        return _last_full_month(now), "kpi.error.month"
    if month > month_of(now):
        return _last_full_month(now), "report.error.future"
    return month, None


def _last_full_month(now: datetime) -> Month:
    return Month(month_of(now).index - 1)
