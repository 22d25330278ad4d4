"""The assessment pages: the ranking (`/assessment`), a breakdown, the monthly cross-evaluation form, the close.

Each handler parses its input, calls one query or service, and renders; a refused rating form comes
back with its input and each error beside its field (422). The model editor is `model_pages.py`.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.assessment import closing, queries, ratings, versions, visibility
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.assessment.scoring import LEVELS, SubjectScore, subject_key
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, DbSession
from zhili.org import directory
from zhili.org.roles import role_name
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
MONTHS_OFFERED = 12
PAGE_ROWS = 50
MAX_SEARCH = 30


def _month(request: Request, clock: Clock) -> Month:
    text = request.query_params.get("month")
    return Month.parse(text) if text else Month.of(clock.now())


def _county_choices(session: Session, actor: Actor, current: str) -> dict[str, str]:
    return directory.counties(session, visibility.offered_counties(session, actor, current))


@router.get("/assessment")
def ranking_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, description="a name, or part of one")] = None,
    page: Annotated[int, Query(ge=1, le=10_000, description="the page of the ranking, 50 rows each")] = 1,
) -> Response:
    """A level's ranking in a county's month, with the dimensions, the trend and the reader's own row marked.

    A page holds `PAGE_ROWS` rows (a county has hundreds of people); a name search keeps the ranks.
    """
    now = clock.now()
    month = _month(request, clock)
    level = request.query_params.get("level") or queries.default_level(actor)
    county = request.query_params.get("county") or None
    found = queries.ranking(session, actor, county=county, month=month, level=level, now=now)
    trend = queries.trend(session, actor, county=found.county, month=month, level=level, now=now, current=found)
    shown = [row for row in found.rows if row.key in found.own][:3] or found.rows[:1]
    series = [{"name": row.name, "values": trend.get(row.subject_id, [])} for row in shown]
    chart = {
        "months": [str(m) for m in month.back(queries.TREND_MONTHS)],
        "series": series,
        "mean": trend.get("mean", []),
        # the axis ends at full marks: a flat line at 100 is not drawn mid-chart on 40–160
        "full_marks": max((row.full_marks for row in found.rows), default=100),
    }
    needle = (q or "").strip()
    matching = [row for row in found.rows if needle.casefold() in row.name.casefold()] if needle else found.rows
    pages = max(1, -(-len(matching) // PAGE_ROWS))
    shown_rows = matching[(min(page, pages) - 1) * PAGE_ROWS :][:PAGE_ROWS]
    language = renderer(request).language(request)
    context = {
        "actor": actor,
        "ranking": found,
        "rows": shown_rows,
        "q": needle,
        "page": min(page, pages),
        "pages": pages,
        "page_rows": PAGE_ROWS,
        "matching": len(matching),
        # the page each of the reader's own rows is on, for the summary's link to it
        "own_pages": {row.key: i // PAGE_ROWS + 1 for i, row in enumerate(found.rows) if row.key in found.own},
        "posts": _posts(session, actor, shown_rows, language),
        "level": level,
        "levels": LEVELS,
        "month": month,
        "months": Month.of(now).back(MONTHS_OFFERED)[::-1],
        "counties": _county_choices(session, actor, found.county),
        "chart": chart,
        "can_close": closing.may_close(actor, found.county) and found.closed_at is None and month.end <= now,
        "waiting": ratings.open_forms(session, actor, now=now),
        "rates": ratings.rates_monthly(actor),
        "closed_now": request.query_params.get("closed"),
        # the rows whose breakdown opens for the reader: the others are named without a link (it would be a 404)
        "readable": visibility.readable_subjects(session, actor, shown_rows[0].kind, [r.subject_id for r in shown_rows])
        if shown_rows
        else set(),
    }
    return renderer(request).render(request, "assessment/ranking.html", context)


def _posts(session: Session, actor: Actor, rows: list[SubjectScore], language: str) -> dict[str, str]:
    """A person's posts in the reader's scope by role and place (网格员 · 府山街道第3网格): two of one name differ."""
    people = [int(row.subject_id) for row in rows if row.kind is SubjectKind.PERSON]
    found = directory.posts_of(session, actor, people)
    return {
        str(person): "；".join(f"{role_name(role, language)} · {where}" for role, where in posts)
        for person, posts in found.items()
    }


@router.get("/assessment/ratings")
def ratings_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The monthly cross-evaluation form: last month by default, one block per township or unit the reader rates for."""
    month = Month.parse(request.query_params["month"]) if request.query_params.get("month") else None
    return _ratings_page(request, session, actor, clock, month, {}, FormErrors())


def _ratings_page(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    month: Month | None,
    form: dict[str, str],
    errors: FormErrors,
    *,
    status_code: int = 200,
) -> Response:
    now = clock.now()
    month = month or Month.of(now).previous()
    blocks = []
    for rater in ratings.raters_of(session, actor):
        state = None
        try:
            ratings.check_open(session, rater, month, now=now)
        except ConflictError as refused:
            state = "closed" if "closed" in refused.detail else "not_over"
        blocks.append({"rater": rater, "rows": ratings.form_rows(session, rater, month, now=now), "state": state})
    scale = versions.for_month(session, month, now=now).model.rating_scale
    context = {
        "actor": actor,
        "month": month,
        "blocks": blocks,
        "scale": scale,
        "low": 1 if scale == 5 else 0,  # noqa: PLR2004 - the 1–5 scale starts at 1
        "form": form,
        "errors": errors,
        "saved": _counts(request, ("saved", "cleared", "unrated")),
    }
    return renderer(request).render(request, "assessment/ratings.html", context, status_code=status_code)


@router.post("/assessment/ratings")
async def save_ratings_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Save one rater's block of the form; refused: the form again with its input and the errors by field (422)."""
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    month = Month.parse(form.get("month", ""))
    saved = await run_in_threadpool(_save_ratings, session, actor, clock, month, form, request)
    if isinstance(saved, FormErrors):
        return await run_in_threadpool(
            _ratings_page, request, session, actor, clock, month, form, saved, status_code=422
        )
    counts = urlencode({"saved": saved.saved, "cleared": saved.cleared, "unrated": saved.unrated})
    return RedirectResponse(f"/assessment/ratings?month={month}&{counts}", status_code=303)


def _save_ratings(
    session: Session, actor: Actor, clock: Clock, month: Month, form: dict[str, str], request: Request
) -> ratings.SavedRatings | FormErrors:
    language = renderer(request).language(request)
    scores: dict[str, int] = {}
    errors = FormErrors()
    for key, value in form.items():
        if not key.startswith("scores.") or not value.strip():
            continue
        try:
            scores[key.removeprefix("scores.")] = int(value.strip())
        except ValueError:
            errors.add(key, translate("form.error.number", language))
    if errors:
        return errors
    try:
        return ratings.save_ratings(
            session, actor=actor, clock=clock, rater_key=form.get("rater", ""), month=month, scores=scores
        )
    except (InvalidInputError, ConflictError, NotFoundError) as refused:
        session.rollback()
        return form_errors(refused, language, {f"scores.{s}": f"scores.{s}" for s in scores})


def _counts(request: Request, names: tuple[str, ...]) -> dict[str, int] | None:
    """The counts a save redirected with (`saved=3&cleared=1&unrated=2`); None when absent or not numbers."""
    found = {name: request.query_params.get(name, "") for name in names}
    if not all(value.isdigit() for value in found.values()):
        return None
    return {name: int(value) for name, value in found.items()}


@router.post("/assessment/close")
async def close_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The centre's close button: freeze the county's month, then back to its ranking."""
    form = await request.form()
    county, month = str(form.get("county", "")), Month.parse(str(form.get("month", "")))
    await run_in_threadpool(closing.close_month, session, actor=actor, clock=clock, county=county, month=month)
    return RedirectResponse(f"/assessment?county={county}&month={month}&closed=1", status_code=303)


def _unkept(found: queries.Breakdown) -> int:
    """Events counted that a month closed before every event was frozen did not keep (its lines cost points only)."""
    if found.score is None or found.closed_at is None:
        return 0
    return max(found.score.events - sum(1 for line in found.lines if line.dimension != "penalty"), 0)


@router.get("/assessment/{kind}/{subject_id}")
def breakdown_page(
    request: Request, session: DbSession, actor: PageActor, clock: ClockDep, kind: str, subject_id: str
) -> Response:
    """Every line behind one subject's points in a month: the event, its case, its time and its points."""
    if kind not in {k.value for k in SubjectKind} or not subject_id.isdigit() or len(subject_id) > 20:  # noqa: PLR2004
        raise NotFoundError("no such assessment subject")
    found = queries.breakdown(
        session,
        actor,
        kind=SubjectKind(kind),
        subject_id=subject_id,
        month=_month(request, clock),
        county=request.query_params.get("county") or None,
        now=clock.now(),
    )
    by_dimension: dict[str, list[Any]] = {}
    for line in found.lines:
        by_dimension.setdefault(line.dimension, []).append(line)
    context = {
        "actor": actor,
        "found": found,
        "kind": kind,
        "subject_id": subject_id,
        "by_dimension": by_dimension,
        "unkept": _unkept(found),
        "name": found.score.name if found.score else subject_id,
        "own": subject_key(SubjectKind(kind), subject_id) in queries.own_subjects(actor),
    }
    return renderer(request).render(request, "assessment/breakdown.html", context)
