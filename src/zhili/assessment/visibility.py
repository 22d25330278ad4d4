"""Who sees which assessment: the published ranking of a county, and the breakdowns of one's own subjects.

A county's ranking of townships and department units (names, points, ranks) is published to everyone
who works in the county (a grant in it or over it), as the centre's monthly 通报 is. A breakdown names
cases and events, so it follows the data scope: a division's to the blocks over it, a unit's to the
blocks over its place and its own strip, a person's to whoever may see that person by name. People
on a ranking are listed only when visible by name (`org.visibility.sees_person`). Outside: 404.
This module decides by asking `org.visibility`; it applies no scope itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.assessment.model import SubjectKind
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.org import directory
from zhili.org import visibility as org_visibility
from zhili.org.division_code import DivisionCode, DivisionLevel


def counties_of(session: Session, actor: Actor) -> list[str]:
    """The counties the actor works in: a grant in one, or over several (a city's centre, administrators)."""
    found: set[str] = set()
    wider = False
    for prefix in actor.scope.division_prefixes:
        if prefix and DivisionCode(prefix).has_level(DivisionLevel.COUNTY):
            found.add(DivisionCode(prefix).at(DivisionLevel.COUNTY).value)
        else:
            wider = True
    if wider:
        found |= {code for code in directory.counties(session) if sees_county(actor, code)}
    return sorted(found)


def offered_counties(session: Session, actor: Actor, current: str) -> list[str]:
    """The counties the page offers: the actor's, less those with no unit (a province's others), the current kept."""
    found = counties_of(session, actor)
    if len(found) <= 1:
        return found
    running = directory.counties_with_units(session)
    return [code for code in found if code in running or code == current]


def sees_county(actor: Actor, county: str) -> bool:
    """True when the actor works in the county or over it (the ranking is theirs to read)."""
    if actor.scope.is_everything:
        return True
    return any(county.startswith(prefix) or prefix.startswith(county) for prefix in actor.scope.division_prefixes)


def require_county(actor: Actor, county: str) -> None:
    """404 unless the county's ranking is the actor's to read."""
    if not sees_county(actor, county):
        raise NotFoundError("no such county in your area")


def require_subject(session: Session, actor: Actor, kind: SubjectKind, subject_id: str) -> None:
    """404 unless the actor may read this subject's breakdown."""
    what = "assessment subject"
    if kind is SubjectKind.DIVISION:
        if not _scored_division(session, subject_id):
            raise NotFoundError(f"no such {what}")
        org_visibility.require_place(actor, subject_id, what=what)
        return
    if kind is SubjectKind.UNIT:
        unit = directory.unit_names(session, [int(subject_id)]).get(int(subject_id))
        if unit is None or not DivisionCode(unit[1]).has_level(DivisionLevel.COUNTY):
            raise NotFoundError(f"no such {what}")
        org_visibility.require_unit(actor, unit[1], int(subject_id), what=what)
        return
    if not directory.visible_people(session, actor.scope, [int(subject_id)]):
        raise NotFoundError(f"no such {what}")


def readable_subjects(session: Session, actor: Actor, kind: SubjectKind, subject_ids: list[str]) -> set[str]:
    """Those of a ranking's subjects whose breakdown the actor may open (`require_subject` lets them through).

    A ranking is published county-wide; its rows link to a breakdown only where one opens, in one read per level.
    """
    if kind is SubjectKind.DIVISION:
        return {code for code in subject_ids if org_visibility.sees_place(actor, code)}
    ids = [int(subject_id) for subject_id in subject_ids if subject_id.isdigit()]
    if kind is SubjectKind.UNIT:
        units = directory.unit_names(session, ids)
        return {str(i) for i, (_name, code) in units.items() if org_visibility.sees_unit(actor, code, i)}
    return {str(i) for i in directory.visible_people(session, actor.scope, ids)}


def _scored_division(session: Session, code: str) -> bool:
    """A county (its centre) or a township that exists: the divisions the assessment scores."""
    try:
        level = DivisionCode(code).level
    except ValueError:
        return False
    return level in {DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP} and bool(directory.division_names(session, [code]))
