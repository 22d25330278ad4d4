"""The KPI page (`/kpis`) and its tables as files (`/kpis/export.csv`, `/kpis/export.xlsx`).

Handlers are thin: read the filter (errors by the field), build the report, render or export it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from zhili.analytics import tables
from zhili.analytics.filters import FilterInput, parse_filter
from zhili.analytics.report import kpi_report
from zhili.analytics.tables import TABLES
from zhili.core.auth import PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.matters import queries as matters
from zhili.org import queries as org
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

Typed = Annotated[str, Query(max_length=20)]


def _typed(first: str, last: str, area: str, matter: str, unit: str) -> FilterInput:
    return FilterInput(first=first.strip(), last=last.strip(), area=area.strip(), matter=matter.strip(), unit=unit)


@router.get("/kpis")
def kpi_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    area: Typed = "",
    matter: Typed = "",
    unit: Typed = "",
) -> Response:
    """运行指标: the KPIs of an area and a period, the monthly trend, and tables by matter, area and unit."""
    typed = _typed(first, last, area, matter, unit)
    parsed = parse_filter(typed, actor, clock.now())
    report = kpi_report(session, actor, parsed.kpi_filter)
    areas = org.child_divisions(session, parsed.kpi_filter.division)
    return renderer(request).render(
        request,
        "analytics/kpis.html",
        {
            "actor": actor,
            "report": report,
            "typed": typed,
            "errors": parsed.errors,
            "query": typed.as_query(),
            "matters": matters.list_current(session),
            "areas": areas,
            "tables": tables,
            "table_names": TABLES,
        },
    )


@router.get("/kpis/export.{file_format}")
def kpi_export(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    file_format: tables.Format,
    table: tables.Table = "matter",
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    area: Typed = "",
    matter: Typed = "",
    unit: Typed = "",
) -> Response:
    """One KPI table as CSV or XLSX, by its labels."""
    parsed = parse_filter(_typed(first, last, area, matter, unit), actor, clock.now())
    report = kpi_report(session, actor, parsed.kpi_filter)
    language = renderer(request).language(request)
    data = tables.export_file(report, table, language=language, file_format=file_format)
    return tables.download(data, file_format, f"kpis-{table}")
