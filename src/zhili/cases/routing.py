"""Routing a new case: matter + place → handling division → the one lead unit → the grid's contact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.matters.definition import HandlerLevel, MatterDefinition
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.routing import grid_contact_position, nearest_unit, unit_for_enforcement
from zhili.org.schemas import DepartmentRead

COUNTY, TOWNSHIP, GRID = DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.GRID


@dataclass(frozen=True)
class Routing:
    """Where a case goes: who triages it, who leads it, and who on the ground is told."""

    place_code: str
    grid_code: str | None
    handling_division: str
    dispatcher_division: str
    lead_unit: DepartmentRead
    handler_level: HandlerLevel
    contact_position_id: int | None


def handling_division(place_code: str, level: str) -> str:
    """The division that handles a matter of this level at this place.

    A grid-level matter reported at a village or township (a place name, no point) is handled
    there: the grid is not known.
    """
    needed = DivisionLevel(level)
    place = DivisionCode(place_code)
    if not place.has_level(TOWNSHIP if needed is GRID else needed):
        raise InvalidInputError(f"the place {place_code} is too coarse for a {level}-level matter; give a point")
    return place.at_most(needed).value


def route(session: Session, definition: MatterDefinition, place_code: str) -> Routing:
    """Route a case of `definition` reported at `place_code` (the finest division the place resolved to)."""
    handling = handling_division(place_code, definition.handling_level)
    if definition.enforcement_item:
        lead = unit_for_enforcement(session, item_code=definition.enforcement_item, division_code=handling)
    else:
        found = nearest_unit(session, kind=definition.lead_kind, division_code=handling)
        if found is None:
            raise NotFoundError(f"no {definition.lead_kind} unit serves {handling} or any division above it")
        lead = found
    place = DivisionCode(place_code)
    grid = place.at(GRID).value if place.has_level(GRID) else None
    contact = grid_contact_position(session, grid_code=grid, department_id=lead.id) if grid else None
    dispatcher = DivisionCode(handling).at(COUNTY if definition.handling_level == "county" else TOWNSHIP).value
    level = HandlerLevel.TOWNSHIP if DivisionCode(lead.division_code).has_level(TOWNSHIP) else HandlerLevel.DEPARTMENT
    return Routing(place_code, grid, handling, dispatcher, lead, level, contact)
