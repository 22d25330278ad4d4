"""Reads of the cross-cutting links: 1+X zones, grid contact officers, the enforcement register."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.org import visibility
from zhili.org.division_code import DivisionCode
from zhili.org.models import (
    Department,
    DepartmentGrid,
    DepartmentGridCell,
    DepartmentKind,
    Division,
    EnforcementItem,
    GridContact,
    Household,
    Person,
    Position,
    Zone,
    ZoneMember,
)
from zhili.org.queries import get_department
from zhili.org.roles import DEPARTMENT_ROLES
from zhili.org.routing import unit_for_enforcement
from zhili.org.schemas import (
    ContactCandidate,
    DepartmentGridRead,
    DepartmentKindRead,
    DepartmentRead,
    DivisionRef,
    EnforcementItemRead,
    GridContactRead,
    ZoneRead,
)


def list_zones(session: Session, actor: Actor) -> list[ZoneRead]:
    """Zones whose leading division lies in scope, with their members."""
    zones = list(session.scalars(select(Zone).where(visibility.zones(actor)).order_by(Zone.id)))
    if not zones:
        return []
    rows = session.execute(
        select(ZoneMember.zone_id, Division)
        .join(Division, Division.code == ZoneMember.division_code)
        .where(ZoneMember.zone_id.in_([z.id for z in zones]))
        .order_by(Division.code)
    )
    members: dict[int, list[DivisionRef]] = {z.id: [] for z in zones}
    names: dict[str, DivisionRef] = {}
    for zone_id, division in rows:
        ref = DivisionRef(code=division.code, name=division.name, level=division.level)
        members[zone_id].append(ref)
        names[division.code] = ref
    return [
        ZoneRead(id=z.id, name=z.name, leading=names[z.leading_division_code], members=members[z.id]) for z in zones
    ]


MAX_CANDIDATES = 2000


def contact_candidates(session: Session, actor: Actor, grid_code: str) -> list[ContactCandidate]:
    """Who the actor may name a grid's contact officer: the staff of the units over the grid that they manage.

    The units managed are chosen in the statement, before its limit (none for a reader who manages nothing).
    """
    if not actor.write_scope.is_everything and not actor.write_scope.grants:
        return []
    lineage = [code.value for code in DivisionCode(grid_code).lineage]
    rows = session.execute(
        select(Department.id, Department.name, Position.id, Person.name)
        .join(Position, Position.department_id == Department.id)
        .join(Person, Person.id == Position.person_id)
        .where(
            Department.division_code.in_(lineage),
            Position.role.in_([role.value for role in DEPARTMENT_ROLES]),
            visibility.positions(actor),
            actor.write_scope.where(Department.division_code, Department.id),
        )
        .order_by(Department.division_code.desc(), Department.id, Person.name, Position.id)
        .limit(MAX_CANDIDATES)
    )
    return [
        ContactCandidate(unit_id=unit_id, unit_name=unit_name, position_id=post_id, person_name=name)
        for unit_id, unit_name, post_id, name in rows
    ]


def grid_contacts(session: Session, actor: Actor, grid_code: str) -> list[GridContactRead]:
    """The contact officers departments have named for a grid, as far as the actor may see (404: no such place)."""
    visibility.require_place(actor, grid_code, what=f"grid {grid_code}")
    if session.scalar(select(Division.code).where(Division.code == grid_code)) is None:
        raise NotFoundError(f"grid {grid_code} not found")
    stmt = (
        select(GridContact, Department.name, Person.name, Person.phone)
        .join(Department, Department.id == GridContact.department_id)
        .join(Position, Position.id == GridContact.position_id)
        .join(Person, Person.id == Position.person_id)
        .where(GridContact.grid_code == grid_code, visibility.grid_contacts(actor))
        .order_by(Department.id)
    )
    return [
        GridContactRead(
            grid_code=c.grid_code,
            department_id=c.department_id,
            department_name=dept,
            position_id=c.position_id,
            person_name=name,
            phone=phone,
        )
        for c, dept, name, phone in session.execute(stmt)
    ]


def enforcement_items(session: Session, *, kind: str | None) -> list[EnforcementItemRead]:
    """The enforcement register (public law, so not scoped), optionally for one department kind."""
    stmt = select(EnforcementItem).order_by(EnforcementItem.kind_code, EnforcementItem.code)
    if kind:
        stmt = stmt.where(EnforcementItem.kind_code == kind)
    return [EnforcementItemRead.model_validate(item) for item in session.scalars(stmt)]


def household_count(session: Session, actor: Actor, code: str) -> int:
    """How many households in a division's subtree are linked to a party member (联户)."""
    stmt = (
        select(func.count())
        .select_from(Household)
        .where(
            DivisionCode(code).subtree(Household.grid_code),
            Household.member_position_id.is_not(None),
            visibility.households(actor),
        )
    )
    return session.scalar(stmt) or 0


def exercising_unit(session: Session, actor: Actor, *, item_code: str, division_code: str) -> DepartmentRead:
    """The unit that exercises an enforcement item at a place in the actor's scope."""
    visibility.require_place(actor, division_code, what=f"division {division_code}")
    return unit_for_enforcement(session, item_code=item_code, division_code=division_code)


def department_kinds(session: Session) -> list[DepartmentKindRead]:
    """The catalog of department kinds, in catalog order."""
    rows = session.scalars(select(DepartmentKind).order_by(DepartmentKind.sort_order))
    return [
        DepartmentKindRead(code=k.code, name_zh=k.name_zh, name_en=k.name_en, levels=k.levels.split(",")) for k in rows
    ]


def households_by_post(session: Session, actor: Actor, position_ids: list[int]) -> dict[int, int]:
    """How many households each of these posts looks after (联户), within the actor's scope."""
    stmt = (
        select(Household.member_position_id, func.count())
        .where(Household.member_position_id.in_(position_ids), visibility.households(actor))
        .group_by(Household.member_position_id)
    )
    return {int(post): count for post, count in session.execute(stmt).all() if post is not None}


def department_grids(session: Session, actor: Actor, department_id: int) -> list[DepartmentGridRead]:
    """A department's own grids mapped onto community grids (两网融合), within the actor's scope."""
    get_department(session, actor, department_id)
    stmt = (
        select(DepartmentGrid.id, DepartmentGrid.name, DepartmentGridCell.grid_code, Person.name)
        .join(DepartmentGridCell, DepartmentGridCell.department_grid_id == DepartmentGrid.id)
        .outerjoin(
            GridContact,
            (GridContact.grid_code == DepartmentGridCell.grid_code)
            & (GridContact.department_id == DepartmentGrid.department_id),
        )
        .outerjoin(Position, Position.id == GridContact.position_id)
        .outerjoin(Person, Person.id == Position.person_id)
        .where(DepartmentGrid.department_id == department_id, visibility.department_grid_cells(actor))
        .order_by(DepartmentGrid.id, DepartmentGridCell.grid_code)
    )
    found: dict[int, DepartmentGridRead] = {}
    for grid_id, name, grid_code, contact in session.execute(stmt):
        read = found.setdefault(grid_id, DepartmentGridRead(id=grid_id, name=name, grid_codes=[], contacts=[]))
        read.grid_codes.append(grid_code)
        if contact and contact not in read.contacts:
            read.contacts.append(contact)
    return list(found.values())
