"""A county's month of scores and lines: frozen rows once the month is closed, computed live before.

Both answers have the same shape, so the pages, the API and the exports never ask which it is:
`scores` (every subject of the county, ranked in its level) and `lines` (one subject's breakdown:
every event that moved its points).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Integer, Row, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect

from zhili.assessment import versions
from zhili.assessment.facts import Frame, scored_facts, unbound_frame
from zhili.assessment.model import AssessmentModel, SubjectKind
from zhili.assessment.models import AssessmentClose, AssessmentLine, AssessmentScore
from zhili.assessment.period import Month
from zhili.assessment.scoring import COUNTY, DEPARTMENT, TOWNSHIP, SubjectScore, Tally, score_month, tallies
from zhili.core.auth import Scope
from zhili.core.db import UtcDateTime
from zhili.org import directory

TALLY, LINE = 0, 1  # the two parts of `_tallied_and_lines`
# Lines in time order; the lines of one event that counts for several indicators, by indicator key.
LINE_ORDER = ("at", "ref", "indicator")
# The subjects whose lines `_tallied_and_lines` reads.
SUBJECTS: BindParameter[list[str]] = bindparam("b_subjects", expanding=True)


@dataclass(frozen=True)
class Line:
    """One event's points for one subject: the breakdown's row."""

    dimension: str
    indicator: str
    points: float
    case_id: int | None
    case_number: str | None
    event_kind: str
    at: datetime
    ref: str


@dataclass(frozen=True)
class MonthScores:
    """A county's month: the model version it is scored by, whether it is closed, and every subject's score."""

    county: str
    month: Month
    version_id: int
    closed_at: datetime | None
    scores: list[SubjectScore]
    ranked: dict[str, int] = field(default_factory=dict)  # per level, how many were ranked (people unseen too)


def closed(session: Session, county: str, month: Month) -> AssessmentClose | None:
    """The county's close of the month, if it is closed."""
    return session.scalars(
        select(AssessmentClose).where(AssessmentClose.county_code == county, AssessmentClose.month == str(month))
    ).first()


def universe(session: Session, county: str, kind: SubjectKind | None = None) -> dict[tuple[SubjectKind, str], str]:
    """The subjects ranked even without an event: the county, its townships and its units (→ level)."""
    found: dict[tuple[SubjectKind, str], str] = {}
    if kind in {None, SubjectKind.DIVISION}:
        found[SubjectKind.DIVISION, county] = COUNTY
        found |= {(SubjectKind.DIVISION, code): TOWNSHIP for code in directory.divisions_at(session, county, TOWNSHIP)}
    if kind in {None, SubjectKind.UNIT}:
        found |= {(SubjectKind.UNIT, str(unit)): DEPARTMENT for unit in directory.units_in(session, county)}
    return found


def compute(
    session: Session, county: str, month: Month, *, now: datetime, scope: Scope, kind: SubjectKind | None = None
) -> MonthScores:
    """The month scored live under the model in force (one kind of subject, or all; people named as `scope` may see)."""
    version = versions.for_month(session, month, now=now)
    found = tallies(session, version.model, Frame(county, month, now), kind)
    return _scored(session, county, month, version, found, kind=kind, scope=scope)


def _scored(
    session: Session,
    county: str,
    month: Month,
    version: versions.Version,
    found: dict[tuple[str, str, str], Tally],
    *,
    kind: SubjectKind | None,
    scope: Scope,
) -> MonthScores:
    scores = score_month(version.model, found, universe(session, county, kind))
    ranked = Counter(score.level for score in scores if score.rank)
    name_scores(session, scores, scope)
    return MonthScores(county, month, version.id, None, scores, dict(ranked))


def subject_months(
    session: Session,
    county: str,
    month: Month,
    kind: SubjectKind,
    subject_ids: Collection[str],
    *,
    now: datetime,
    scope: Scope,
) -> tuple[MonthScores, dict[str, list[Line]]]:
    """The scores of one kind of subject (to place these subjects among them) and these subjects' lines.

    A live month reads its facts once for both: the tallies of `compute` and the subjects' lines come
    from one statement (`_tallied_and_lines`). The facts cost a breakdown, or a township's home page, some
    30 ms each time they are read. A closed month reads its frozen rows, as `month_scores` and `lines` do.
    """
    close = closed(session, county, month)
    if close is not None:
        found = _frozen_scores(session, county, month, close, scope=scope, kind=kind)
        return found, _frozen_lines(session, county, month, kind, subject_ids)
    version = versions.for_month(session, month, now=now)
    tallied: dict[tuple[str, str, str], Tally] = {}
    subject_lines: dict[str, list[Line]] = {subject: [] for subject in subject_ids}
    statement = _tallied_and_lines(version.model, county, month, kind)
    values = Frame(county, month, now).params | {SUBJECTS.key: sorted(subject_ids)}
    for row in session.execute(statement, values):
        if row.part == TALLY:
            tallied[row.subject_kind, str(row.subject_id), row.indicator] = Tally(
                int(row.events), int(row.bad), float(row.points)
            )
        else:
            line = Line(
                row.dimension,
                row.indicator,
                round(float(row.points), 3),
                row.case_id,
                row.case_number,
                row.event_kind,
                row.at,
                row.ref,
            )
            subject_lines[str(row.subject_id)].append(line)
    return _scored(session, county, month, version, tallied, kind=kind, scope=scope), subject_lines


@lru_cache(maxsize=64)
def _tallied_and_lines(model: AssessmentModel, county: str, month: Month, kind: SubjectKind) -> CompoundSelect[Any]:
    """The month's facts of one kind read once: the tallies' GROUP BY (`TALLY` rows), then `SUBJECTS`' lines by time.

    The facts are a common table expression read twice, which SQLite and PostgreSQL both compute once.
    """
    facts = scored_facts(model, unbound_frame(county, month), kind).cte("facts")
    fact = facts.c
    tallied = select(
        literal(TALLY).label("part"),
        fact.subject_kind,
        fact.subject_id,
        fact.indicator,
        func.count().label("events"),
        func.coalesce(func.sum(fact.bad), 0).label("bad"),
        func.coalesce(func.sum(fact.points), 0.0).label("points"),
        cast(null(), String).label("dimension"),
        cast(null(), Integer).label("case_id"),
        cast(null(), String).label("case_number"),
        cast(null(), String).label("event_kind"),
        cast(null(), UtcDateTime()).label("at"),
        cast(null(), String).label("ref"),
    ).group_by(fact.subject_kind, fact.subject_id, fact.indicator)
    own = select(
        literal(LINE),
        fact.subject_kind,
        fact.subject_id,
        fact.indicator,
        literal(1),
        fact.bad,
        fact.points,
        fact.dimension,
        fact.case_id,
        fact.case_number,
        fact.event_kind,
        fact.at,
        fact.ref,
    ).where(fact.subject_id.in_(SUBJECTS))
    return union_all(tallied, own).order_by("part", *LINE_ORDER)


def name_scores(session: Session, scores: list[SubjectScore], scope: Scope) -> None:
    """Put names on the scores; people the scope may not see by name are dropped."""
    divisions = directory.division_names(session, [s.subject_id for s in scores if s.kind is SubjectKind.DIVISION])
    units = directory.unit_names(session, [int(s.subject_id) for s in scores if s.kind is SubjectKind.UNIT])
    people = directory.visible_people(
        session, scope, [int(s.subject_id) for s in scores if s.kind is SubjectKind.PERSON]
    )
    kept = []
    for score in scores:
        if score.kind is SubjectKind.DIVISION:
            score.name = divisions.get(score.subject_id, score.subject_id)
        elif score.kind is SubjectKind.UNIT:
            score.name = units.get(int(score.subject_id), (score.subject_id, ""))[0]
        elif int(score.subject_id) in people:
            score.name = people[int(score.subject_id)]
        else:
            continue
        kept.append(score)
    scores[:] = kept


def month_scores(
    session: Session, county: str, month: Month, *, now: datetime, scope: Scope, kind: SubjectKind | None = None
) -> MonthScores:
    """The month's scores (of one kind of subject, or all): the frozen rows of a closed month, else computed live."""
    close = closed(session, county, month)
    if close is None:
        return compute(session, county, month, now=now, scope=scope, kind=kind)
    return _frozen_scores(session, county, month, close, scope=scope, kind=kind)


def _frozen_scores(
    session: Session, county: str, month: Month, close: AssessmentClose, *, scope: Scope, kind: SubjectKind | None
) -> MonthScores:
    """A closed month's frozen scores (of one kind of subject, or all)."""
    statement = select(*AssessmentScore.__table__.columns).where(
        AssessmentScore.county_code == county, AssessmentScore.month == str(month)
    )
    if kind is not None:
        statement = statement.where(AssessmentScore.subject_kind == kind.value)
    scores = [_frozen(row) for row in session.execute(statement)]
    ranked = Counter(score.level for score in scores if score.rank)
    return MonthScores(
        county, month, close.model_version_id, close.closed_at, _seen(session, scores, scope), dict(ranked)
    )


def closed_totals(
    session: Session, county: str, span: list[Month], *, kind: SubjectKind, level: str, scope: Scope
) -> dict[Month, list[tuple[str, float]]]:
    """The closed months among `span` → (subject id, total) of the level's ranked subjects the scope may see.

    The trend's past months: their totals alone, not every frozen score's columns month by month.
    """
    closes = select(AssessmentClose.month).where(
        AssessmentClose.county_code == county, AssessmentClose.month.in_([str(m) for m in span])
    )
    found: dict[Month, list[tuple[str, float]]] = {Month.parse(m): [] for m in session.scalars(closes)}
    if not found:
        return found
    score = AssessmentScore
    rows = session.execute(
        select(score.month, score.subject_id, score.total).where(
            score.county_code == county,
            score.month.in_([str(m) for m in found]),
            score.subject_kind == kind.value,
            score.level == level,
            score.rank > 0,
        )
    ).all()
    seen = None
    if kind is SubjectKind.PERSON:
        seen = directory.visible_people(session, scope, [int(subject_id) for _, subject_id, _ in rows])
    for month, subject_id, total in rows:
        if seen is None or int(subject_id) in seen:
            found[Month.parse(month)].append((subject_id, total))
    return found


def _seen(session: Session, scores: list[SubjectScore], scope: Scope) -> list[SubjectScore]:
    """The scores but those of people the scope may not see by name."""
    people = directory.visible_people(
        session, scope, [int(s.subject_id) for s in scores if s.kind is SubjectKind.PERSON]
    )
    return [s for s in scores if s.kind is not SubjectKind.PERSON or int(s.subject_id) in people]


def _frozen(row: Row[Any]) -> SubjectScore:
    dimensions = {
        "timeliness": row.timeliness,
        "quality": row.quality,
        "satisfaction": row.satisfaction,
        "cross": row.cross,
    }
    return SubjectScore(
        SubjectKind(row.subject_kind),
        row.subject_id,
        row.level,
        row.name,
        dimensions,
        row.penalty,
        row.total,
        row.full_marks,
        row.events,
        row.rank,
    )


def lines(
    session: Session, county: str, month: Month, kind: SubjectKind, subject_id: str, *, now: datetime
) -> list[Line]:
    """Every event counted for the subject in the month, in time order: those that cost points and those that did not.

    A month closed before every counted event was frozen holds only the events that cost points; the
    breakdown says so where its lines are fewer than the events counted.
    """
    if closed(session, county, month) is not None:
        return _frozen_lines(session, county, month, kind, [subject_id])[subject_id]
    version = versions.for_month(session, month, now=now)
    frame = Frame(county, month, now)
    facts = scored_facts(version.model, frame, kind).subquery()
    statement = select(
        facts.c.dimension,
        facts.c.indicator,
        facts.c.points,
        facts.c.case_id,
        facts.c.case_number,
        facts.c.event_kind,
        facts.c.at,
        facts.c.ref,
    ).where(facts.c.subject_kind == kind.value, facts.c.subject_id == subject_id)
    rows = session.execute(statement.order_by(*LINE_ORDER), frame.params)
    return [Line(d, i, round(float(p), 3), c, n, e, a, r) for d, i, p, c, n, e, a, r in rows]


def _frozen_lines(
    session: Session, county: str, month: Month, kind: SubjectKind, subject_ids: Collection[str]
) -> dict[str, list[Line]]:
    """The frozen lines of these subjects in a closed month, in one read."""
    line = AssessmentLine
    statement = select(
        line.subject_id,
        line.dimension,
        line.indicator,
        line.points,
        line.case_id,
        line.case_number,
        line.event_kind,
        line.at,
        line.ref,
    ).where(
        line.county_code == county,
        line.month == str(month),
        line.subject_kind == kind.value,
        line.subject_id.in_(sorted(subject_ids)),
    )
    found: dict[str, list[Line]] = {subject: [] for subject in subject_ids}
    for subject, d, i, p, c, n, e, a, r in session.execute(statement.order_by(*LINE_ORDER)):
        found[subject].append(Line(d, i, round(float(p), 3), c, n, e, a, r))
    return found
