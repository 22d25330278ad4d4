"""The assessment API: rankings, a subject's lines, the cross-evaluation ratings and the monthly close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from zhili.assessment import closing, exports, queries, ratings
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import PATTERN as MONTH_PATTERN
from zhili.assessment.period import Month
from zhili.assessment.schemas import (
    CloseCreate,
    CloseRead,
    LineRead,
    LinesRead,
    RatingsCreate,
    RatingsSaved,
    ScoreRow,
    ScoresRead,
)
from zhili.assessment.scoring import RankedLevel, SubjectScore
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])

MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; default: this month")]
CountyQuery = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="a county; default: your first")]


def score_row(score: SubjectScore, own: frozenset[str]) -> ScoreRow:
    """The API's row of a score."""
    return ScoreRow(
        rank=score.rank,
        subject_kind=score.kind,
        subject_id=score.subject_id,
        name=score.name,
        **score.dimensions,
        penalty=score.penalty,
        total=score.total,
        full_marks=score.full_marks,
        events=score.events,
        is_own=score.key in own,
    )


@router.get("/scores")
def scores(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    month: MonthQuery = None,
    level: RankedLevel = RankedLevel.TOWNSHIP,
    county: CountyQuery = None,
) -> ScoresRead:
    """A level's ranking in a county's month: frozen once closed, computed from the record before."""
    now = clock.now()
    chosen = Month.parse(month) if month else Month.of(now)
    found = queries.ranking(session, actor, county=county, month=chosen, level=level, now=now)
    return ScoresRead(
        county=found.county,
        county_name=found.county_name,
        month=str(found.month),
        level=level,
        is_closed=found.closed_at is not None,
        closed_at=found.closed_at,
        model_version=found.version_id,
        rows=[score_row(row, found.own) for row in found.rows],
        ranked=found.ranked,
    )


@router.get("/scores.{file_format}")
def scores_export(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    file_format: Annotated[exports.Format, Path(description="csv or xlsx")],
    month: MonthQuery = None,
    level: RankedLevel = RankedLevel.TOWNSHIP,
    county: CountyQuery = None,
    lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
) -> Response:
    """The ranking as CSV or XLSX, with labels in the language asked for."""
    now = clock.now()
    chosen = Month.parse(month) if month else Month.of(now)
    found = queries.ranking(session, actor, county=county, month=chosen, level=level, now=now)
    return exports.ranking_file(found, file_format, lang)


@router.get("/subjects/{kind}/{subject_id}/lines")
def subject_lines(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    kind: SubjectKind,
    subject_id: Annotated[str, Path(pattern=r"^[0-9]{1,20}$")],
    month: MonthQuery = None,
    county: CountyQuery = None,
) -> LinesRead:
    """Every event counted for a subject in a month, those that cost nothing at 0 points; 404 outside your scope."""
    now = clock.now()
    chosen = Month.parse(month) if month else Month.of(now)
    found = queries.breakdown(session, actor, kind=kind, subject_id=subject_id, month=chosen, county=county, now=now)
    return LinesRead(
        county=found.county,
        month=str(found.month),
        is_closed=found.closed_at is not None,
        score=score_row(found.score, queries.own_subjects(actor)) if found.score else None,
        lines=[LineRead(**vars(line)) for line in found.lines],
    )


@router.post("/ratings")
def save_ratings(session: DbSession, actor: CurrentActor, clock: ClockDep, body: RatingsCreate) -> RatingsSaved:
    """Save a rater's cross-evaluation of a month (replacing the rater's earlier ratings of it)."""
    month = Month.parse(body.month)
    saved = ratings.save_ratings(
        session, actor=actor, clock=clock, rater_key=body.rater, month=month, scores=dict(body.scores)
    )
    return RatingsSaved(
        month=str(month), rater=body.rater, saved=saved.saved, cleared=saved.cleared, unrated=saved.unrated
    )


@router.post("/close")
def close(session: DbSession, actor: CurrentActor, clock: ClockDep, body: CloseCreate) -> CloseRead:
    """Close a county's month: its scores and lines are frozen (closing again answers the close that stands)."""
    found = closing.close_month(session, actor=actor, clock=clock, county=body.county, month=Month.parse(body.month))
    return CloseRead(
        county=found.county,
        month=found.month,
        closed_at=found.closed_at,
        model_version=found.model_version_id,
        scores=found.scores,
        lines=found.lines,
        is_new=found.is_new,
    )
