"""A month's scored facts as one SQL statement: every indicator's events with their points, side by side.

The model decides which facts count and what each costs; the record's owners say what happened
(`cases.record_queries`, `campaigns.scores.facts`, `command_groups.scores`) and the ratings table
gives the cross-evaluation.
The result is one `UNION ALL` with these columns: `indicator`, `dimension`, `subject_kind`,
`subject_id`, `case_id`, `case_number`, `event_kind`, `at`, `ref`, `bad`, `points`. Points are
computed in SQL (a window count per subject for rates and means), so the scores are a `GROUP BY`
over it and the monthly close an `INSERT … SELECT` from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.sql.selectable import CTE, CompoundSelect, Subquery

from zhili.assessment.model import AssessmentModel, Indicator, Method, Penalty, Source, SubjectKind
from zhili.assessment.models import AssessmentRating
from zhili.assessment.period import Month
from zhili.campaigns.scores import facts as task_facts
from zhili.cases import record_queries as record
from zhili.command_groups import scores as instruction_scores
from zhili.core.db import UtcDateTime

PENALTY = "penalty"
CROSS_EVENT = "cross_rating"


# The instant a month is counted as of, bound when a statement runs (`Frame.params`): the statements
# themselves are built once per county, month and model, whatever the hour (building one costs 20-50 ms).
NOW: BindParameter[datetime] = bindparam("b_now", type_=UtcDateTime())


UNBOUND = datetime.min.replace(tzinfo=UTC)  # the instant of a frame whose statements bind it when they run


@dataclass(frozen=True)
class Frame:
    """What a statement covers: one county's month, counted as of `now` (a task counts once it is due)."""

    county: str
    month: Month
    now: datetime

    @property
    def bounds(self) -> dict[str, Any]:
        """The window of the month, for the record's query functions."""
        return {"county": self.county, "since": self.month.start, "until": self.month.end}

    @property
    def params(self) -> dict[str, Any]:
        """The values a statement of this frame runs with (`now`)."""
        return {NOW.key: self.now}

    @property
    def window(self) -> tuple[str, Month]:
        """What a statement's text depends on: the county and the month, not the instant."""
        return self.county, self.month


_CASE_FACTS: dict[Source, Callable[..., Select[Any]]] = {
    Source.VERIFICATION: record.verifications,
    Source.RETURN: record.returns,
    Source.RATING: record.ratings,
    Source.OVERTURNED: record.rating_reviews,
}


def _source(indicator: Indicator, frame: Frame, events: CTE) -> Select[Any]:
    kind = indicator.subject.value
    if indicator.source is Source.PHASE_END:
        return record.phase_ends(events, subject=kind, phases=indicator.phases)
    if indicator.source in _CASE_FACTS:
        return _CASE_FACTS[indicator.source](events, subject=kind)
    if indicator.source is Source.REOPEN:
        return record.ratings(events, subject=kind, reopened=True)
    if indicator.source is Source.CROSS:
        return cross_ratings(subject=kind, county=frame.county, month=frame.month)
    if indicator.source is Source.INSTRUCTION:
        return instruction_scores.instruction_facts(subject=kind, now=NOW, **frame.bounds)
    report = indicator.source is Source.TASK_REPORT
    return task_facts.task_facts(subject=kind, now=NOW, report=report, **frame.bounds)


def cross_ratings(*, subject: str, county: str, month: Month) -> Select[Any]:
    """The month's cross-evaluation ratings of subjects of one kind, as facts (value: the score)."""
    rating = AssessmentRating
    return select(
        rating.subject_id.label("subject_id"),
        cast(null(), Integer).label("case_id"),
        cast(null(), String).label("case_number"),
        literal(CROSS_EVENT).label("event_kind"),
        rating.rated_at.label("at"),
        ("rating:" + cast(rating.id, String)).label("ref"),
        literal(0).label("bad"),
        cast(rating.score, Float).label("value"),
    ).where(rating.month == str(month), rating.county_code == county, rating.subject_kind == subject)


def unbound_frame(county: str, month: Month) -> Frame:
    """A frame to build statements with: their instant is `NOW`, bound when they run, never this one's."""
    return Frame(county, month, UNBOUND)


def _scored(base: Subquery, points: Any, *, key: str, dimension: str, subject: str) -> Select[Any]:
    return select(
        literal(key).label("indicator"),
        literal(dimension).label("dimension"),
        literal(subject).label("subject_kind"),
        base.c.subject_id,
        base.c.case_id,
        base.c.case_number,
        base.c.event_kind,
        base.c.at,
        base.c.ref,
        base.c.bad,
        cast(points, Float).label("points"),
    )


def _indicator(indicator: Indicator, frame: Frame, events: CTE, scale: int) -> Select[Any]:
    base = _source(indicator, frame, events).subquery()
    weight = literal(float(indicator.weight))
    per_subject = func.count().over(partition_by=base.c.subject_id)
    if indicator.method is Method.RATE:
        points: Any = case((base.c.bad == 1, -weight / per_subject), else_=0.0)
    elif indicator.method is Method.COUNT:
        points = case((base.c.bad == 1, literal(-float(indicator.points))), else_=0.0)
    else:
        points = weight * (base.c.value / literal(float(scale)) - 1.0) / per_subject
    return _scored(base, points, key=indicator.key, dimension=indicator.dimension, subject=indicator.subject.value)


def _penalty(penalty: Penalty, frame: Frame) -> Select[Any]:
    base = record.cards(subject=penalty.subject.value, action=penalty.action, **frame.bounds).subquery()
    return _scored(
        base,
        literal(-float(penalty.points)),
        key=penalty.action,
        dimension=PENALTY,
        subject=penalty.subject.value,
    )


def scored_facts(model: AssessmentModel, frame: Frame, kind: SubjectKind | None = None) -> CompoundSelect[Any]:
    """Every fact of the county's month under this model (of one kind of subject), with its points (0: free).

    Run it with `frame.params`: the instant is a bound value. The statement is remembered for the
    same model, county, month and kind: building it (a union of some twenty selects) and its cache key
    cost 20-50 ms, as much as running it, and every reading of a month (a ranking, its trend, the home
    page's standing, a breakdown, at whatever instant) is the same statement.
    """
    return _scored_facts(model, *frame.window, kind)


@lru_cache(maxsize=64)
def _scored_facts(model: AssessmentModel, county: str, month: Month, kind: SubjectKind | None) -> CompoundSelect[Any]:
    frame = unbound_frame(county, month)
    events = record.month_events(**frame.bounds)
    parts = [
        _indicator(indicator, frame, events, model.rating_scale)
        for indicator in model.indicators
        if kind in {None, indicator.subject}
    ]
    parts += [_penalty(penalty, frame) for penalty in model.penalties if kind in {None, penalty.subject}]
    return union_all(*parts)
