"""Changes to the organisation: people, posts and grid contacts; scoped, audited, one commit each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.org import moves, visibility
from zhili.org.division_code import DivisionCode
from zhili.org.models import (
    Department,
    DepartmentGrid,
    DepartmentGridCell,
    Division,
    GridContact,
    Household,
    Person,
    Position,
    Zone,
    ZoneMember,
)
from zhili.org.moves import Place, PostMoved
from zhili.org.permissions import manages_any, require_manager, require_writable
from zhili.org.queries import get_person, usual_supervisor
from zhili.org.roles import DEPARTMENT_ROLES, Role
from zhili.org.schemas import GridContactSet, PersonCreate, PersonRead, PersonUpdate, PositionCreate, PositionMove


def _check_role(actor: Actor, data: PositionCreate) -> Role:
    try:
        role = Role(data.role)
    except ValueError as exc:
        raise InvalidInputError(f"unknown role {data.role!r}; known: {', '.join(r.value for r in Role)}") from exc
    if role is Role.ADMIN and not actor.is_admin:
        raise ForbiddenError("only administrators may appoint administrators", message_key="forbidden.appoint_admin")
    if (role in DEPARTMENT_ROLES) != (data.department_id is not None):
        raise InvalidInputError("department roles need department_id; territorial roles must not have one")
    return role


def _place_post(session: Session, actor: Actor, data: PositionCreate) -> tuple[str, int | None]:
    if data.department_id is not None:
        department = session.get(Department, data.department_id)
        if department is None:
            raise NotFoundError(f"department {data.department_id} not found")
        require_writable(actor, department.division_code, department.id, what=f"department {department.id}")
        return department.division_code, department.id
    if data.division_code is None:
        raise InvalidInputError("a territorial post needs division_code")
    # A territorial post is reached only by a block: a department head's strip does not reach it.
    require_writable(actor, data.division_code, None, what=f"division {data.division_code}")
    if session.get(Division, data.division_code) is None:
        raise InvalidInputError(f"unknown division code {data.division_code}")
    return data.division_code, None


def _check_supervisor(session: Session, actor: Actor, supervisor_id: int | None) -> None:
    if supervisor_id is None:
        return
    boss = session.get(Position, supervisor_id)
    if boss is None or not visibility.sees_unit(actor, boss.division_code, boss.department_id):
        raise InvalidInputError(f"supervisor position {supervisor_id} not found in your scope")


def add_person(session: Session, *, data: PersonCreate, actor: Actor, clock: Clock) -> PersonRead:
    """Register a person with a first post inside the actor's scope; a known phone is a duplicate."""
    require_manager(actor)
    role = _check_role(actor, data.position)
    division_code, department_id = _place_post(session, actor, data.position)
    _check_supervisor(session, actor, data.position.supervisor_position_id)
    if data.phone and session.scalar(select(Person.id).where(Person.phone == data.phone)):
        raise ConflictError(f"a person with phone {data.phone} is already registered")
    person = Person(name=data.name.strip(), phone=data.phone, email=data.email)
    session.add(person)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"a person with phone {data.phone} is already registered") from exc
    post = Position(
        person_id=person.id,
        role=role.value,
        division_code=division_code,
        department_id=department_id,
        supervisor_id=data.position.supervisor_position_id,
        title=data.position.title,
    )
    session.add(post)
    session.flush()
    audit.record_by(
        session,
        actor,
        "org.person.added",
        entity_type="person",
        entity_id=person.id,
        before=None,
        after={
            "name": person.name,
            "phone": person.phone,
            "role": role.value,
            "division_code": division_code,
            "department_id": department_id,
            "supervisor_position_id": post.supervisor_id,
        },
        at=clock.now(),
    )
    commit(session)
    return get_person(session, actor, person.id)


def add_position(session: Session, *, person_id: int, data: PositionCreate, actor: Actor, clock: Clock) -> PersonRead:
    """Give a registered person another post inside the actor's scope (one person, several posts)."""
    require_manager(actor)
    get_person(session, actor, person_id)
    role = _check_role(actor, data)
    division_code, department_id = _place_post(session, actor, data)
    _check_supervisor(session, actor, data.supervisor_position_id)
    post = Position(
        person_id=person_id,
        role=role.value,
        division_code=division_code,
        department_id=department_id,
        supervisor_id=data.supervisor_position_id,
        title=data.title,
    )
    session.add(post)
    session.flush()
    after: dict[str, object] = {
        "position_id": post.id,
        "role": role.value,
        "division_code": division_code,
        "department_id": department_id,
        "supervisor_position_id": post.supervisor_id,
    }
    audit.record_by(
        session,
        actor,
        "org.position.added",
        entity_type="person",
        entity_id=person_id,
        before=None,
        after=after,
        at=clock.now(),
    )
    commit(session)
    return get_person(session, actor, person_id)


def update_person(session: Session, *, person_id: int, data: PersonUpdate, actor: Actor, clock: Clock) -> PersonRead:
    """Change a person's name or contact details; they must hold a post the actor manages."""
    require_manager(actor)
    posts = get_person(session, actor, person_id).positions
    if not manages_any(actor, [(p.division_code, p.department_id) for p in posts]):
        raise ForbiddenError(
            f"person {person_id} holds no post in the part of the organisation you manage",
            message_key="forbidden.person_outside",
        )
    person = session.get(Person, person_id)
    assert person is not None  # noqa: S101 - get_person found it
    changes = data.model_dump(exclude_unset=True)
    before: dict[str, object] = {key: getattr(person, key) for key in changes}
    if data.phone and session.scalar(select(Person.id).where(Person.phone == data.phone, Person.id != person_id)):
        raise ConflictError(f"a person with phone {data.phone} is already registered")
    for key, value in changes.items():
        setattr(person, key, value)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"a person with phone {data.phone} is already registered") from exc
    audit.record_by(
        session,
        actor,
        "org.person.updated",
        entity_type="person",
        entity_id=person_id,
        before=before,
        after=changes,
        at=clock.now(),
    )
    commit(session)
    return get_person(session, actor, person_id)


def move_position(session: Session, *, position_id: int, data: PositionMove, actor: Actor, clock: Clock) -> PersonRead:
    """Move a post to another unit, or to another place of its level (调动): a person changes where they work.

    The actor must manage the post where it is and where it goes. The post reports to the usual
    supervisor there; those who reported to it fall back to theirs; a party member's households stay
    with their grid and a contact officer's grids with their unit (both released). The post's past
    (cases, tasks) keeps where it happened.
    """
    require_manager(actor)
    post = session.get(Position, position_id)
    if post is None or not visibility.sees_unit(actor, post.division_code, post.department_id):
        raise NotFoundError(f"position {position_id} not found")
    require_writable(actor, post.division_code, post.department_id, what=f"position {position_id}")
    if post.role == Role.ADMIN.value:
        raise InvalidInputError("an administrator's post does not move", errors=[_moved("role", "admin")])
    target = PositionCreate(role=post.role, division_code=data.division_code, department_id=data.department_id)
    _check_role(actor, target)
    division_code, department_id = _place_post(session, actor, target)
    if department_id is None and DivisionCode(division_code).level != DivisionCode(post.division_code).level:
        raise InvalidInputError("a post moves to a place of its own level", errors=[_moved("to", "same_level")])
    if (division_code, department_id) == (post.division_code, post.department_id):
        raise InvalidInputError("the post is there already", errors=[_moved("to", "same")])
    was, supervisor_before = Place(post.division_code, post.department_id), post.supervisor_id
    before = {"division_code": was.division_code, "department_id": was.department_id, "supervisor": supervisor_before}
    post.division_code, post.department_id, post.supervisor_id = division_code, department_id, None
    session.flush()
    post.supervisor_id = usual_supervisor(
        session, actor, role=post.role, division_code=division_code, department_id=department_id
    )
    reports = list(session.scalars(select(Position).where(Position.supervisor_id == post.id)))
    for report in reports:  # cleared first, so that peers reporting to the moved post do not vote for it
        report.supervisor_id = None
    session.flush()
    usual: dict[tuple[str, str, int | None], int | None] = {}  # reports share a few (role, place, unit): one vote each
    for report in reports:
        where = (report.role, report.division_code, report.department_id)
        if where not in usual:
            usual[where] = usual_supervisor(
                session, actor, role=where[0], division_code=where[1], department_id=where[2]
            )
        report.supervisor_id = usual[where]
    households: int = session.execute(  # type: ignore[attr-defined]
        update(Household).where(Household.member_position_id == post.id).values(member_position_id=None)
    ).rowcount
    contacts: int = session.execute(delete(GridContact).where(GridContact.position_id == post.id)).rowcount  # type: ignore[attr-defined]
    after: dict[str, object] = {
        "position_id": post.id,
        "division_code": division_code,
        "department_id": department_id,
        "supervisor": post.supervisor_id,
        "reports_reassigned": len(reports),
        "households_released": households,
        "grid_contacts_released": contacts,
    }
    audit.record_by(
        session,
        actor,
        "org.position.moved",
        entity_type="person",
        entity_id=post.person_id,
        before=before,
        after=after,
        at=clock.now(),
    )
    moved = PostMoved(
        position_id=post.id,
        person_id=post.person_id,
        role=post.role,
        before=was,
        after=Place(division_code, department_id),
        supervisor_before=supervisor_before,
        supervisor_after=post.supervisor_id,
        households_released=households,
        grid_contacts_released=contacts,
        by=actor,
    )
    moves.announce(session, moved, clock)  # the people concerned are told (notify.post_moves), in this commit
    commit(session)
    return get_person(session, actor, post.person_id)


def _moved(field: str, why: str) -> dict[str, str]:
    """A refused move's error, by the form's field and the message key that words it."""
    return {"field": field, "message": f"cannot move the post: {why}", "key": f"org.move.error.{why}"}


def set_grid_contact(session: Session, *, grid_code: str, data: GridContactSet, actor: Actor, clock: Clock) -> None:
    """Name (or replace) a department's contact officer for a community grid (两网融合)."""
    require_manager(actor)
    visibility.require_place(actor, grid_code, what=f"grid {grid_code}")
    grid = session.get(Division, grid_code)
    if grid is None or grid.level != "grid":
        raise NotFoundError(f"grid {grid_code} not found")
    department = session.get(Department, data.department_id)
    if department is None:
        raise NotFoundError(f"department {data.department_id} not found")
    require_writable(actor, department.division_code, department.id, what=f"department {department.id}")
    post = session.get(Position, data.position_id)
    if post is None or post.department_id != department.id:
        raise InvalidInputError(f"position {data.position_id} is not a post of department {department.id}")
    current = session.get(GridContact, (grid_code, department.id))
    before: dict[str, object] | None = {"position_id": current.position_id} if current else None
    if current is None:
        session.add(GridContact(grid_code=grid_code, department_id=department.id, position_id=post.id))
    else:
        current.position_id = post.id
    audit.record_by(
        session,
        actor,
        "org.grid_contact.set",
        entity_type="grid",
        entity_id=grid_code,
        before=before,
        after={"department_id": department.id, "position_id": post.id},
        at=clock.now(),
    )
    commit(session)


# Bulk loads (the demo world): set-based, ids given where the rows reference each other; the caller
# audits the load as a whole and commits.


def insert_people(
    session: Session,
    people: Sequence[Mapping[str, Any]],
    positions: Sequence[Mapping[str, Any]],
    households: Sequence[Mapping[str, Any]],
) -> None:
    """Store many people, their posts and the households they look after whole (ids given), parents first.

    A post's supervisor is an earlier post: ids ascend, so one ordered insert satisfies the reference.
    """
    insert_rows(session, Person, people)
    insert_rows(session, Position, positions)
    insert_rows(session, Household, households)


def add_zone(session: Session, *, name: str, members: Sequence[str]) -> int:
    """A zone (片区) led by its first member division; its id."""
    zone = Zone(name=name, leading_division_code=members[0])
    session.add(zone)
    session.flush()
    session.add_all(ZoneMember(zone_id=zone.id, division_code=code) for code in members)
    return zone.id


def add_department_grid(session: Session, *, department_id: int, name: str, grids: Sequence[str], contact: int) -> int:
    """A unit's own grid over some grids, with `contact` (a post) as the unit's contact for each; its id."""
    department_grid = DepartmentGrid(department_id=department_id, name=name)
    session.add(department_grid)
    session.flush()
    session.add_all(DepartmentGridCell(department_grid_id=department_grid.id, grid_code=grid) for grid in grids)
    session.add_all(GridContact(grid_code=grid, department_id=department_id, position_id=contact) for grid in grids)
    return department_grid.id
