"""What the org browser pages show, each page gathered by one function over the scoped queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.pagination import Page
from zhili.org import links, queries
from zhili.org.roles import ROLE_NAMES
from zhili.org.schemas import (
    ContactCandidate,
    DepartmentGridRead,
    DepartmentRead,
    DivisionRead,
    DivisionRef,
    EnforcementItemRead,
    GridContactRead,
    PersonRead,
    ZoneRead,
)

CHILDREN_ON_PAGE = 300
PEOPLE_ON_PAGE = 50
FOUND_ON_PAGE = 100
_ROLE_ORDER = {role.value: index for index, role in enumerate(ROLE_NAMES)}


@dataclass(frozen=True)
class DivisionPage:
    """A division with its subdivisions, units, posts by role, people and links."""

    division: DivisionRead
    children: Page[DivisionRef]
    departments: list[DepartmentRead]
    role_counts: list[tuple[str, int]]
    people: Page[PersonRead]
    households: int
    contacts: list[GridContactRead]
    contact_choices: list[ContactCandidate]
    zones: list[ZoneRead]
    openable: frozenset[str]  # the codes of the division's path the actor may open: the breadcrumb links those


@dataclass(frozen=True)
class DepartmentPage:
    """A unit with its staff, its own grids (两网融合) and the enforcement items of its kind."""

    department: DepartmentRead
    people: Page[PersonRead]
    grids: list[DepartmentGridRead]
    items: list[EnforcementItemRead]


@dataclass(frozen=True)
class SearchPage:
    """What a search of the org browser found in scope: places by name or code, people by name or phone."""

    divisions: list[DivisionRef]
    people: Page[PersonRead]


def search_page(session: Session, actor: Actor, text: str) -> SearchPage:
    """The divisions and the people the text names, within the actor's scope (nothing for no text)."""
    if not text:
        return SearchPage(divisions=[], people=Page(items=[]))
    return SearchPage(
        divisions=queries.search_divisions(session, actor, text=text, level=None, limit=FOUND_ON_PAGE),
        people=queries.list_people(
            session,
            actor,
            division_code=None,
            department_id=None,
            role=None,
            text=text,
            cursor=None,
            limit=PEOPLE_ON_PAGE,
        ),
    )


def division_page(session: Session, actor: Actor, code: str, *, cursor: str | None) -> DivisionPage:
    """Everything the division page shows, within the actor's scope."""
    division = queries.get_division(session, actor, code)
    counts = queries.role_counts(session, actor, code)
    return DivisionPage(
        division=division,
        children=queries.list_children(session, actor, code, cursor=None, limit=CHILDREN_ON_PAGE),
        departments=queries.list_departments(session, actor, division_code=code, kind=None),
        role_counts=sorted(counts.items(), key=lambda item: _ROLE_ORDER.get(item[0], len(_ROLE_ORDER))),
        people=queries.list_people(
            session,
            actor,
            division_code=code,
            department_id=None,
            role=None,
            text=None,
            cursor=cursor,
            limit=PEOPLE_ON_PAGE,
        ),
        households=links.household_count(session, actor, code),
        contacts=links.grid_contacts(session, actor, code) if division.level == "grid" else [],
        contact_choices=links.contact_candidates(session, actor, code) if division.level == "grid" else [],
        zones=[zone for zone in links.list_zones(session, actor) if any(m.code == code for m in zone.members)],
        openable=queries.visible_codes(session, actor, [ref.code for ref in division.path]),
    )


def department_page(session: Session, actor: Actor, department_id: int) -> DepartmentPage:
    """Everything the department page shows, within the actor's scope."""
    department = queries.get_department(session, actor, department_id)
    return DepartmentPage(
        department=department,
        people=queries.list_people(
            session,
            actor,
            division_code=None,
            department_id=department_id,
            role=None,
            text=None,
            cursor=None,
            limit=PEOPLE_ON_PAGE,
        ),
        grids=links.department_grids(session, actor, department_id),
        items=links.enforcement_items(session, kind=department.kind_code),
    )
