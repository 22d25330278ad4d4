"""The official calendar's pages for administrators: the years known, a year's days, and loading a file."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from zhili.clocks import official, queries
from zhili.clocks.schedule import MAX_YEAR, MIN_YEAR
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
ERROR_KINDS = frozenset({
    "format", "required", "type", "unknown_field", "year_range", "year_mismatch", "too_long", "too_many", "too_big",
    "characters", "date", "outside_year", "end_before_start", "overlap", "duplicate", "weekday_workday",
    "workday_in_holiday",
})  # fmt: skip
"""The problems the page names by their message (`calendar.error.<kind>`); any other is "this field is wrong"."""
SCHEDULE_FIELD = re.compile(r"(holidays|workdays)(?:\[(\d+)\])?(?:\.(name|start|end))?")
"""A field of a schedule a problem names: a list, one of its entries, and a holiday's part."""
HOLIDAYS = {
    "元旦": "new_year",
    "春节": "spring_festival",
    "清明": "qingming",
    "清明节": "qingming",
    "劳动节": "labour_day",
    "端午": "dragon_boat",
    "端午节": "dragon_boat",
    "中秋": "mid_autumn",
    "中秋节": "mid_autumn",
    "国庆节": "national_day",
}
"""The official holidays by their Chinese names → `calendar.holiday.<key>` (their English names); others as named."""
MAX_FILE_BYTES = 64 * 1024
"""A year's schedule is a few kilobytes; anything larger is not one."""


@router.get("/admin/calendar")
def calendar_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The years the official calendar knows, and the form to load a year's schedule."""
    return _overview(request, session, actor, clock, text="", errors=[], status_code=200)


@router.get("/admin/calendar/{year}")
def year_page(
    request: Request, year: Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)], session: DbSession, actor: PageActor
) -> Response:
    """One year's holidays and make-up working days, and where they come from."""
    found = queries.year_days(session, actor, year)
    context = {
        "actor": actor,
        "found": found,
        "loaded": request.query_params.get("loaded") == "1",
        "holiday_key": HOLIDAYS.get,
    }
    return renderer(request).render(request, "clocks/year.html", context)


@router.post("/admin/calendar")
async def load_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Load the uploaded (or pasted) schedule; a refused one shows the form again with each problem."""
    actor.require_admin("load the official calendar")
    form = await request.form()
    upload = form.get("file")
    pasted = form.get("text")
    text = pasted if isinstance(pasted, str) else ""
    too_big = False
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE_BYTES + 1)
        too_big = len(data) > MAX_FILE_BYTES
        text = data.decode("utf-8", errors="replace")
    return await run_in_threadpool(_load, request, session, actor, clock, text=text, too_big=too_big)


def _load(request: Request, session: Session, actor: Actor, clock: Clock, *, text: str, too_big: bool) -> Response:
    # Database work runs in the thread pool, never on the event loop (ADR 0004).
    if too_big or len(text) > MAX_FILE_BYTES:
        errors = [{"field": "file", "kind": "too_big", "message": f"larger than {MAX_FILE_BYTES // 1024} KB"}]
        return _overview(request, session, actor, clock, text="", errors=errors, status_code=413)
    if not text.strip():
        errors = [{"field": "file", "kind": "required", "message": "choose a file or paste the schedule"}]
        return _overview(request, session, actor, clock, text="", errors=errors, status_code=422)
    try:
        row = official.load(session, given=text, year=None, actor=actor, clock=clock)
    except InvalidInputError as exc:
        session.rollback()
        errors = list(exc.extra.get("errors") or [{"field": "file", "kind": "format", "message": exc.detail}])
        return _overview(request, session, actor, clock, text=text, errors=errors, status_code=422)
    return RedirectResponse(f"/admin/calendar/{row.year}?loaded=1", status_code=303)


def _overview(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    *,
    text: str,
    errors: list[dict[str, str]],
    status_code: int,
) -> Response:
    context = {
        "actor": actor,
        "overview": queries.years_overview(session, actor, now=clock.now()),
        "text": text,
        "errors": errors,
        "error_kinds": ERROR_KINDS,
        "field_label": lambda field: field_label(field, renderer(request).language(request)),
    }
    return renderer(request).render(request, "clocks/calendar.html", context, status_code=status_code)


def field_label(field: str, language: str) -> str | None:
    """A problem's field as people say it (`holidays[0].start` → 第 1 段假期的开始日期); None: the file's own key."""
    if field in {"year", "source", "file", "holidays", "workdays"}:
        return translate(f"calendar.field.{field}", language)
    found = SCHEDULE_FIELD.fullmatch(field)
    if found is None or found.group(2) is None:
        return None
    entry = translate(f"calendar.field.{found.group(1)}.entry", language).format(n=int(found.group(2)) + 1)
    if found.group(3) is None:
        return entry
    return translate(f"calendar.field.part.{found.group(3)}", language).format(entry=entry)
