"""Where a report is: a point resolved to its finest division, or a place name to a division."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhili.cases.schemas import Point
from zhili.core.auth import system_actor
from zhili.core.errors import InvalidInputError
from zhili.org.division_code import DivisionCode
from zhili.org.geo import LocatorCache
from zhili.org.places import exact_places, listed, near_home

# Public geography: anyone may report a problem anywhere, so places resolve without a scope.
_GEOGRAPHY = system_actor("geography")


@dataclass(frozen=True)
class Place:
    """The finest division found, and the point if one was given."""

    code: str
    lon: float | None
    lat: float | None


def resolve(
    session: Session,
    locators: LocatorCache,
    *,
    point: Point | None,
    place: str | None,
    homes: tuple[str, ...] = (),
) -> Place:
    """A point wins over a place name; either must land inside a known county.

    A name shared by several places resolves to the one in the reporter's own county or city (`homes`:
    the division codes they work in, or a public channel's area), and is refused as ambiguous otherwise.
    """
    if point is not None:
        fine, county = locators.locators(session)
        code = fine.locate(point.lon, point.lat) or county.locate(point.lon, point.lat)
        if code is None:
            raise InvalidInputError(
                f"the point ({point.lon}, {point.lat}) lies outside every county we know",
                errors=[{"field": "body.point", "message": "outside every known county"}],
            )
        return Place(code, point.lon, point.lat)
    matches = near_home(exact_places(session, _GEOGRAPHY, place or ""), homes)
    if not matches:
        raise InvalidInputError(
            f"the place {place!r} names no known division",
            errors=[{"field": "body.place", "message": "names no known division"}],
        )
    if len(matches) > 1:
        names = listed(matches, from_depth=2)
        raise InvalidInputError(
            f"the place {place!r} is ambiguous: {names}; add the county",
            errors=[{"field": "body.place", "message": "is ambiguous"}],
        )
    return Place(matches[0].division.code, None, None)


class OutsideJurisdictionError(InvalidInputError):
    """A place that exists but lies outside the area a public channel takes reports for."""


def resolve_within(
    session: Session, locators: LocatorCache, *, point: Point | None, place: str | None, jurisdiction: str
) -> Place:
    """`resolve`, refused (by the point's or the place's field) outside `jurisdiction`: a public channel's area."""
    found = resolve(session, locators, point=point, place=place, homes=(jurisdiction,))
    if not DivisionCode(found.code).under(DivisionCode(jurisdiction)):
        field = "point" if point is not None else "place"
        message = "the location lies outside the area this service covers"
        raise OutsideJurisdictionError(message, errors=[{"field": field, "message": message}])
    return found
