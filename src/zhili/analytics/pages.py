"""The KPI page (`/kpis`) and its tables as files (`/kpis/export.csv`, `/kpis/export.xlsx`).

Handlers are thin: read the filter (errors by the field; an area typed in beyond the reader's scope, or
unknown, is a 404), build the report, render or export it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.analytics import pilot_form, pilots, tables
from zhili.analytics.comparing import compare_pilot
from zhili.analytics.filters import FilterInput, ParsedFilter, parse_filter
from zhili.analytics.report import KpiReport, area_name, areas_offered, check_area, default_area, kpi_report
from zhili.analytics.tables import TABLES
from zhili.core.auth import Actor, PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.matters import queries as matters
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

Typed = Annotated[str, Query(max_length=20)]
TypedMatter = Annotated[str, Query(max_length=60)]  # a matter code is up to 60 characters (matters.definition)


def typed_filter(
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    area: Typed = "",
    matter: TypedMatter = "",
    unit: Typed = "",
) -> FilterInput:
    """The KPI filter as typed in the query (`from`, `to`, `area`, `matter`, `unit`)."""
    return FilterInput(first=first.strip(), last=last.strip(), area=area.strip(), matter=matter.strip(), unit=unit)


TypedFilter = Annotated[FilterInput, Depends(typed_filter)]


@router.get("/kpis")
def kpi_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep, typed: TypedFilter) -> Response:
    """运行指标: the KPIs of an area and a period, the monthly trend, and tables by matter, area and unit."""
    parsed, report = _report(session, actor, typed, clock.now(), renderer(request).language(request))
    home = default_area(actor)
    # Below a township there is nothing to offer: its sister townships then, so the reader moves sideways.
    areas = areas_offered(session, actor, parsed.kpi_filter.division) or areas_offered(session, actor, home)
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
            "home_label": area_name(session, home),
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
    typed: TypedFilter,
    table: tables.Table = "matter",
) -> Response:
    """One KPI table as CSV or XLSX, by its labels."""
    language = renderer(request).language(request)
    _, report = _report(session, actor, typed, clock.now(), language)
    data = tables.export_file(report, table, language=language, file_format=file_format)
    return tables.download(data, file_format, f"kpis-{table}")


def _report(
    session: Session, actor: Actor, typed: FilterInput, now: datetime, language: str
) -> tuple[ParsedFilter, KpiReport]:
    """The filter as typed and its report; an area typed in outside the reader's scope, or unknown, is a 404."""
    parsed = parse_filter(typed, actor, now)
    matter = parsed.kpi_filter.matter
    if matter and matter not in {m.code for m in matters.list_current(session)}:
        # An unknown matter is said by its field, as the others are; the page is not titled with the typed code.
        parsed = ParsedFilter(replace(parsed.kpi_filter, matter=None), {**parsed.errors, "matter": "kpi.error.matter"})
    area = parsed.kpi_filter.division
    if typed.area and area is not None and "area" not in parsed.errors:
        check_area(session, actor, area)
    return parsed, kpi_report(session, actor, parsed.kpi_filter, language=language)


@router.get("/kpis/pilots")
def pilots_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """试点对比: the pilots in my area, each a link to its before/after comparison; the form to register one."""
    return _pilots_page(request, session, actor, form={}, errors={})


def _pilots_page(
    request: Request, session: Session, actor: Actor, *, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return renderer(request).render(
        request,
        "analytics/pilots.html",
        {
            "actor": actor,
            "pilots": pilots.list_pilots(session, actor),
            "matters": matters.list_current(session),
            "areas": areas_offered(session, actor, default_area(actor)),
            "form": form,
            "errors": errors,
        },
        status_code=status,
    )


@router.post("/kpis/pilots")
async def register_pilot_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Register a pilot from the form; a refused form comes back with its input and each error by its field."""
    raw = await request.form()
    form = {name: str(raw.get(name) or "").strip() for name in pilot_form.FIELDS}
    form["controls"] = " ".join(str(code) for code in raw.getlist("control"))
    parsed, errors = pilot_form.parse(form)
    if parsed is not None:
        errors = await run_in_threadpool(pilots.check_pilot, session, actor, parsed)
    if parsed is None or errors:
        return await run_in_threadpool(_pilots_page, request, session, actor, form=form, errors=errors, status=422)
    pilot = await run_in_threadpool(pilots.register_pilot, session, actor, parsed, now=clock.now())
    return RedirectResponse(f"/kpis/pilots/{pilot.id}", status_code=303)


@router.get("/kpis/pilots/{pilot_id}")
def pilot_page(request: Request, pilot_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """A pilot before and after, beside its controls: each measure's change with its interval, and the charts."""
    pilot = pilots.load_pilot(session, actor, pilot_id)
    view = compare_pilot(session, actor, pilot, now=clock.now())
    matter_names = {m.code: m for m in matters.list_current(session)}
    return renderer(request).render(
        request, "analytics/pilot.html", {"actor": actor, "view": view, "matter": matter_names.get(pilot.matter)}
    )
