"""Assessment reads for the pages, the API and the home page: rankings, breakdowns, trends, one's standing.

Every read checks the reader first (`assessment.visibility`): a county's ranking for those who work
in it, a breakdown for those who may see its subject, people by name only when visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.assessment import months, versions, visibility
from zhili.assessment.model import DIMENSIONS, LATENESS, SubjectKind
from zhili.assessment.months import Line
from zhili.assessment.period import Month
from zhili.assessment.scoring import COUNTY, DEPARTMENT, LEVELS, PERSON, TOWNSHIP, SubjectScore, subject_key
from zhili.cases import record_queries
from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.org import directory
from zhili.org.division_code import DivisionCode, DivisionLevel

TREND_MONTHS = 6
LEVEL_KINDS = {
    TOWNSHIP: SubjectKind.DIVISION,
    COUNTY: SubjectKind.DIVISION,
    DEPARTMENT: SubjectKind.UNIT,
    PERSON: SubjectKind.PERSON,
}


@dataclass(frozen=True)
class Ranking:
    """One level of a county's month, ranked, with the reader's own subjects marked."""

    county: str
    county_name: str
    month: Month
    level: str
    closed_at: datetime | None
    version_id: int
    rows: list[SubjectScore]
    own: frozenset[str]
    dimensions: tuple[str, ...] = DIMENSIONS  # those the model scores this level in (the others are not scored)
    ranked: int = 0  # how many the level ranks: more than the rows where people are out of the reader's sight


@dataclass(frozen=True)
class Breakdown:
    """One subject's month: its score and every line behind it."""

    county: str
    month: Month
    score: SubjectScore | None
    lines: list[Line]
    closed_at: datetime | None
    dimensions: tuple[str, ...] = DIMENSIONS  # those the model scores this kind of subject in
    late_indicators: frozenset[str] = frozenset()  # where a line costing points was a deadline missed


@dataclass(frozen=True)
class Standing:
    """The reader's own township or unit this month: rank among how many, total, and the biggest losses."""

    kind: SubjectKind
    subject_id: str
    name: str
    month: Month
    rank: int
    of: int
    total: float
    full_marks: float
    losses: list[Line] = field(default_factory=list)
    dimensions: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0  # the cards' deduction (negative): the dimensions less it make the total


def own_subjects(actor: Actor) -> frozenset[str]:
    """The divisions (a block on a township or county), units (posts in them) and person the reader answers for.

    Each as `kind:id` (`SubjectScore.key`): a unit's id and a person's may be the same number.
    """
    found = {subject_key(SubjectKind.UNIT, str(unit)) for unit in actor.units}
    for grant in actor.scope.grants:
        code = DivisionCode(grant.division_prefix)
        if grant.department_id is None and code.level in {DivisionLevel.TOWNSHIP, DivisionLevel.COUNTY}:
            found.add(subject_key(SubjectKind.DIVISION, code.value))
    if actor.person_id is not None:
        found.add(subject_key(SubjectKind.PERSON, str(actor.person_id)))
    return frozenset(found)


# Blocks that hold townships: a township's own, a county's, the city's (a city centre has no row among people).
WIDE_BLOCKS = frozenset({DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP})


def default_level(actor: Actor) -> str:
    """The level the ranking opens at: where the reader's own row is.

    A unit's staff and head see the departments, where their unit ranks; field staff (a grid worker, a
    party member, a village cadre: no block over a township or wider, no unit) see the people, where
    they rank themselves; a command room or a centre (a county's, and the city's) sees the townships.
    """
    blocks = any(
        grant.department_id is None and DivisionCode(grant.division_prefix).level in WIDE_BLOCKS
        for grant in actor.scope.grants
    )
    if blocks or actor.is_admin:
        return TOWNSHIP
    if actor.units:
        return DEPARTMENT
    return PERSON if actor.person_id is not None else TOWNSHIP


def default_county(session: Session, actor: Actor, county: str | None) -> str:
    """The county asked for, else the reader's own (over several: where their newest case lies); 422 when none."""
    if county:
        code = DivisionCode(county)
        if code.level is not DivisionLevel.COUNTY:
            raise InvalidInputError("choose a county", errors=[{"field": "county", "message": "a county code"}])
        visibility.require_county(actor, code.value)
        return code.value
    found = visibility.counties_of(session, actor)
    if not found:
        raise InvalidInputError("choose a county", errors=[{"field": "county", "message": "a county code"}])
    if len(found) == 1:
        return found[0]
    newest = record_queries.latest_case_county(session, actor)
    if newest is not None and newest in found:
        return newest
    running = directory.counties_with_units(session)
    return next((code for code in found if code in running), found[0])


def ranking(session: Session, actor: Actor, *, county: str | None, month: Month, level: str, now: datetime) -> Ranking:
    """The level's ranking in the county's month (live or frozen)."""
    if level not in LEVELS:
        raise InvalidInputError("unknown level", errors=[{"field": "level", "message": f"one of {', '.join(LEVELS)}"}])
    _require_begun(month, now)
    code = default_county(session, actor, county)
    found = months.month_scores(session, code, month, now=now, scope=actor.scope, kind=LEVEL_KINDS[level])
    rows = sorted((s for s in found.scores if s.level == level), key=lambda s: (not s.rank, s.rank, s.name))
    name = directory.division_names(session, [code]).get(code, code)
    scored = scored_dimensions(session, month, LEVEL_KINDS[level], now=now)
    ranked = found.ranked.get(level, 0)
    own = own_subjects(actor)
    return Ranking(code, name, month, level, found.closed_at, found.version_id, rows, own, scored, ranked)


def scored_dimensions(session: Session, month: Month, kind: SubjectKind, *, now: datetime) -> tuple[str, ...]:
    """The dimensions the month's model scores this kind of subject in (a person, by default, on timeliness alone).

    A dimension without an indicator for the kind is not a zero: the pages say it is not scored.
    """
    used = {indicator.dimension for indicator in versions.for_month(session, month, now=now).model.indicators_of(kind)}
    return tuple(dimension for dimension in DIMENSIONS if dimension in used)


def _require_begun(month: Month, now: datetime) -> None:
    """A month not yet begun has no scores (live scoring would show everyone at full marks): 422."""
    if month > Month.of(now):
        msg = "the month has not begun yet"
        raise InvalidInputError(msg, errors=[{"field": "month", "message": msg}])


def county_of(session: Session, actor: Actor, kind: SubjectKind, subject_id: str, county: str | None) -> str:
    """The county a subject is scored in: its own for a division or unit; for a person, the one asked (or yours)."""
    if kind is SubjectKind.DIVISION:
        return DivisionCode(subject_id).at_most(DivisionLevel.COUNTY).value
    if kind is SubjectKind.UNIT:
        unit = directory.unit_names(session, [int(subject_id)]).get(int(subject_id))
        if unit is None:
            raise NotFoundError("no such assessment subject")
        return DivisionCode(unit[1]).at_most(DivisionLevel.COUNTY).value
    return default_county(session, actor, county)


def breakdown(
    session: Session,
    actor: Actor,
    *,
    kind: SubjectKind,
    subject_id: str,
    month: Month,
    county: str | None,
    now: datetime,
) -> Breakdown:
    """Every line of one subject's month, with its score; 404 outside the reader's scope."""
    _require_begun(month, now)
    visibility.require_subject(session, actor, kind, subject_id)
    code = county_of(session, actor, kind, subject_id, county)
    found, read = months.subject_months(session, code, month, kind, [subject_id], now=now, scope=actor.scope)
    score = next((s for s in found.scores if s.kind is kind and s.subject_id == subject_id), None)
    lines = _cases_withheld(session, actor, read[subject_id])
    model = versions.for_month(session, month, now=now).model
    late = frozenset(indicator.key for indicator in model.indicators_of(kind) if indicator.source in LATENESS)
    return Breakdown(code, month, score, lines, found.closed_at, scored_dimensions(session, month, kind, now=now), late)


def _cases_withheld(session: Session, actor: Actor, lines: list[Line]) -> list[Line]:
    """Lines keep their points; a case the reader may not open is not named (case id and number withheld)."""
    seen = record_queries.visible_case_ids(session, actor, [line.case_id for line in lines if line.case_id])
    return [
        line if line.case_id is None or line.case_id in seen else replace(line, case_id=None, case_number=None)
        for line in lines
    ]


def trend(
    session: Session,
    actor: Actor,
    *,
    county: str,
    month: Month,
    level: str,
    now: datetime,
    current: Ranking | None = None,
) -> dict[str, list[float | None]]:
    """The level's totals over the last months (oldest first), per subject id, and the level's mean (`mean`).

    Only ranked subjects count: one with nothing counted in a month stands at full marks unranked, a gap in
    its line rather than a point at full marks, and is left out of that month's mean.

    `current`, the ranking of `month` the caller already has, is not scored a second time.
    """
    series: dict[str, list[float | None]] = {}
    span = month.back(TREND_MONTHS)
    kind = LEVEL_KINDS[level]
    closed = months.closed_totals(session, county, span, kind=kind, level=level, scope=actor.scope)
    for index, each in enumerate(span):
        totals: list[tuple[str, float]]
        if current is not None and (current.month, current.level, current.county) == (each, level, county):
            totals = [(row.subject_id, row.total) for row in current.rows if row.rank]
        elif each in closed:
            totals = closed[each]
        else:
            found = months.compute(session, county, each, now=now, scope=actor.scope, kind=kind)
            totals = [(row.subject_id, row.total) for row in found.scores if row.level == level and row.rank]
        for subject_id, total in totals:
            series.setdefault(subject_id, [None] * len(span))[index] = total
        mean = round(sum(total for _, total in totals) / len(totals), 2) if totals else None
        series.setdefault("mean", [None] * len(span))[index] = mean
    return series


def standing(session: Session, actor: Actor, month: Month, *, now: datetime) -> Standing | None:
    """The reader's township (a block on it) or unit this month: rank, total and the three biggest point losses."""
    counties = visibility.counties_of(session, actor)
    townships = [
        g.division_prefix for g in actor.scope.grants if _is_township(g.division_prefix) and g.department_id is None
    ]
    kind = SubjectKind.DIVISION if townships else SubjectKind.UNIT if actor.units else None
    if kind is None or not counties:
        return None
    own = set(townships) if townships else {str(unit) for unit in actor.units}
    found, read = months.subject_months(session, counties[0], month, kind, own, now=now, scope=actor.scope)
    mine = next((s for s in found.scores if s.subject_id in own and s.level in {TOWNSHIP, DEPARTMENT}), None)
    if mine is None:
        return None
    level = [s for s in found.scores if s.level == mine.level]
    lines = _cases_withheld(session, actor, read[mine.subject_id])
    losses = sorted((line for line in lines if line.points < 0), key=lambda line: line.points)[:3]
    return Standing(
        mine.kind,
        mine.subject_id,
        mine.name,
        month,
        mine.rank,
        sum(1 for s in level if s.rank),
        mine.total,
        mine.full_marks,
        losses,
        mine.dimensions,
        mine.penalty,
    )


def _is_township(code: str) -> bool:
    return bool(code) and DivisionCode(code).level is DivisionLevel.TOWNSHIP
