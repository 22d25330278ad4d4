"""The monthly cross-evaluation (互评): who rates whom, the form's rows, and saving a rater's ratings.

Who rates whom follows the month's record and the model: a township (its command room, a managing
block over it) rates the department units that led cases it dispatched that month and the units
based in it; a unit (its head) rates the townships that dispatched cases to it. A month is rated
once it is over and until its county closes it; saving again replaces the rater's ratings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from zhili.assessment import months, versions
from zhili.assessment.model import SubjectKind
from zhili.assessment.models import AssessmentRating
from zhili.assessment.period import Month
from zhili.cases import record_queries as record
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.org import directory
from zhili.org.division_code import DivisionCode, DivisionLevel


@dataclass(frozen=True)
class Rater:
    """Who rates: a township (its command room) or a unit (its head), in a county."""

    kind: SubjectKind
    rater_id: str
    name: str
    county: str

    @property
    def key(self) -> str:
        """`division:330825101` or `unit:12`: the form's and the API's name for the rater."""
        return f"{self.kind.value}:{self.rater_id}"


@dataclass(frozen=True)
class Rated:
    """One subject on a rater's form, with the score already given (None: not yet rated)."""

    kind: SubjectKind
    subject_id: str
    name: str
    score: int | None


def rates_monthly(actor: Actor) -> bool:
    """Whether the actor rates for anyone (a managing block over a township, a unit's head): the form is theirs."""
    return any(
        grant.department_id is not None or DivisionCode(grant.division_prefix).level is DivisionLevel.TOWNSHIP
        for grant in actor.write_scope.grants
    )


def raters_of(session: Session, actor: Actor) -> list[Rater]:
    """The townships and units the actor rates for: managing blocks over a township, units they head."""
    townships: list[str] = []
    units: list[int] = []
    for grant in actor.write_scope.grants:
        code = DivisionCode(grant.division_prefix)
        if grant.department_id is not None:
            units.append(grant.department_id)
        elif code.level is DivisionLevel.TOWNSHIP:
            townships.append(code.value)
    names = directory.division_names(session, townships)
    found = [
        Rater(SubjectKind.DIVISION, code, names.get(code, code), DivisionCode(code).at_most(DivisionLevel.COUNTY).value)
        for code in townships
    ]
    for unit_id, (name, based) in sorted(directory.unit_names(session, units).items()):
        found.append(
            Rater(SubjectKind.UNIT, str(unit_id), name, DivisionCode(based).at_most(DivisionLevel.COUNTY).value)
        )
    return found


def rater_for(session: Session, actor: Actor, key: str) -> Rater:
    """One of the actor's raters by its key, else 404."""
    found = next((rater for rater in raters_of(session, actor) if rater.key == key), None)
    if found is None:
        raise NotFoundError("you do not rate for this township or unit")
    return found


def form_rows(session: Session, rater: Rater, month: Month, *, now: datetime) -> list[Rated]:
    """The subjects this rater rates for the month, with the scores already given."""
    return county_forms(session, rater.county, month, now=now, raters=[rater])[rater.key]


def county_forms(
    session: Session, county: str, month: Month, *, now: datetime, raters: list[Rater]
) -> dict[str, list[Rated]]:
    """Each rater's form rows (rater key → rows), reading the month's pairs and the county's units once."""
    model = versions.for_month(session, month, now=now).model
    pairs = session.execute(record.worked_together(county=county, since=month.start, until=month.end)).all()
    units = directory.units_in(session, county)
    divisions = directory.division_names(session, [d for d, _ in pairs])
    rates_units = SubjectKind.UNIT in model.rater_pairs()
    rates_divisions = SubjectKind.DIVISION in model.rater_pairs()
    forms: dict[str, list[Rated]] = {}
    for rater in raters:
        given = _given(session, rater, month)
        if rater.kind is SubjectKind.DIVISION:
            wanted = {str(u) for d, u in pairs if d == rater.rater_id and u is not None} if rates_units else set()
            if rates_units:
                wanted |= {
                    str(u) for u, (_n, code) in units.items() if DivisionCode(code).under(DivisionCode(rater.rater_id))
                }
            rows = [Rated(SubjectKind.UNIT, u, units.get(int(u), (u, ""))[0], given.get(u)) for u in wanted]
        else:
            wanted = (
                {d for d, u in pairs if str(u) == rater.rater_id and DivisionCode(d).level is DivisionLevel.TOWNSHIP}
                if rates_divisions
                else set()
            )
            rows = [Rated(SubjectKind.DIVISION, d, divisions.get(d, d), given.get(d)) for d in wanted]
        forms[rater.key] = sorted(rows, key=lambda row: (row.name, row.subject_id))
    return forms


def _given(session: Session, rater: Rater, month: Month) -> dict[str, int]:
    rows = session.execute(
        select(AssessmentRating.subject_id, AssessmentRating.score).where(
            AssessmentRating.month == str(month),
            AssessmentRating.rater_kind == rater.kind.value,
            AssessmentRating.rater_id == rater.rater_id,
        )
    )
    return dict(rows.all())


def check_open(session: Session, rater: Rater, month: Month, *, now: datetime) -> None:
    """409 unless the month is over and its county has not closed it."""
    if month.end > now:
        raise ConflictError(f"{month} is not over yet; a month is rated once it has ended")
    if months.closed(session, rater.county, month) is not None:
        raise ConflictError(f"{month} is closed; its ratings are frozen")


@dataclass(frozen=True)
class SavedRatings:
    """What a save left: ratings kept, earlier ones cleared (a score left blank), subjects on the form not rated."""

    saved: int
    cleared: int
    unrated: int


def save_ratings(
    session: Session, *, actor: Actor, clock: Clock, rater_key: str, month: Month, scores: dict[str, int]
) -> SavedRatings:
    """Replace the rater's ratings of the month; each score is checked and named by its subject on refusal.

    A subject left out is not rated: its earlier rating, if any, is cleared, and the answer counts it.
    """
    rater = rater_for(session, actor, rater_key)
    now = clock.now()
    check_open(session, rater, month, now=now)
    scale = versions.for_month(session, month, now=now).model.rating_scale
    allowed = {row.subject_id: row for row in form_rows(session, rater, month, now=now)}
    low = 1 if scale == 5 else 0  # noqa: PLR2004 - the 1–5 scale starts at 1
    errors = [
        {"field": f"scores.{subject}", "message": f"must be a number from {low} to {scale}"}
        for subject, score in scores.items()
        if subject in allowed and not low <= score <= scale
    ]
    errors += [
        {"field": f"scores.{subject}", "message": "must be one of the subjects you rate"}
        for subject in scores
        if subject not in allowed
    ]
    if errors:
        raise InvalidInputError("some ratings are not valid", errors=errors)
    mine = (
        AssessmentRating.month == str(month),
        AssessmentRating.rater_kind == rater.kind.value,
        AssessmentRating.rater_id == rater.rater_id,
    )
    before = set(session.scalars(select(AssessmentRating.subject_id).where(*mine)))
    session.execute(delete(AssessmentRating).where(*mine))
    rows = [
        rating_row(rater, month, allowed[subject], score, by=actor.audit_name, now=now)
        for subject, score in scores.items()
    ]
    if rows:
        session.execute(insert(AssessmentRating), rows)
    audit.record_by(
        session,
        actor,
        "assessment.ratings.saved",
        entity_type="assessment_rater",
        entity_id=f"{rater.key}:{month}",
        after={"scores": scores},
        at=now,
    )
    commit(session)
    return SavedRatings(saved=len(rows), cleared=len(before - set(scores)), unrated=len(set(allowed) - set(scores)))


def rating_row(rater: Rater, month: Month, rated: Rated, score: int, *, by: str, now: datetime) -> dict[str, object]:
    """One rating as a row of `assessment_ratings`: what `save` writes, and what `insert_many` takes."""
    return {
        "month": str(month),
        "county_code": rater.county,
        "rater_kind": rater.kind.value,
        "rater_id": rater.rater_id,
        "subject_kind": rated.kind.value,
        "subject_id": rated.subject_id,
        "score": score,
        "rated_by": by,
        "rated_at": now,
    }


def open_forms(session: Session, actor: Actor, *, now: datetime) -> dict[str, int]:
    """For the home page: rater key → how many subjects wait for last month's rating (0: all rated)."""
    month = Month.of(now).previous()
    waiting: defaultdict[str, int] = defaultdict(int)
    for rater in raters_of(session, actor):
        if months.closed(session, rater.county, month) is not None:
            continue
        for row in form_rows(session, rater, month, now=now):
            waiting[rater.key] += row.score is None
    return dict(waiting)


def insert_many(session: Session, rows: list[dict[str, object]]) -> None:
    """A bulk load of ratings (the demo's last month): one `executemany`, rows as `rating_row` builds them."""
    if rows:
        session.execute(insert(AssessmentRating), rows)
