"""Reads of the organisation; every one takes the Actor and filters through its Scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.core.prepared import Prepared
from zhili.org import visibility
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, DepartmentKind, Division, Person, Position
from zhili.org.roles import Role, role_name
from zhili.org.schemas import DepartmentRead, DivisionRead, DivisionRef, PersonRead, PositionRead


def _ref(division: Division) -> DivisionRef:
    return DivisionRef(code=division.code, name=division.name, level=division.level)


def ancestors(session: Session, code: str) -> list[DivisionRef]:
    """The division and its ancestors, province first (codes nest, so one query finds them)."""
    prefixes = [ancestor.value for ancestor in DivisionCode(code).lineage]
    rows = session.scalars(select(Division).where(Division.code.in_(prefixes)).order_by(func.length(Division.code)))
    return [_ref(row) for row in rows]


def _read(session: Session, division: Division) -> DivisionRead:
    children = session.scalar(select(func.count()).where(Division.parent_code == division.code)) or 0
    bbox = None
    if (
        division.min_lon is not None
        and division.min_lat is not None
        and division.max_lon is not None
        and division.max_lat is not None
    ):
        bbox = (division.min_lon, division.min_lat, division.max_lon, division.max_lat)
    return DivisionRead(
        code=division.code,
        name=division.name,
        level=division.level,
        parent_code=division.parent_code,
        is_synthetic=division.is_synthetic,
        source=division.source,
        has_geometry=division.geometry is not None,
        bbox=bbox,
        path=ancestors(session, division.code),
        child_count=children,
    )


def get_division(session: Session, actor: Actor, code: str) -> DivisionRead:
    """One division inside the actor's scope."""
    division = session.scalars(select(Division).where(Division.code == code, visibility.divisions(actor))).first()
    if division is None:
        message = f"division {code} not found"
        raise NotFoundError(message)
    return _read(session, division)


def visible_codes(session: Session, actor: Actor, codes: list[str]) -> frozenset[str]:
    """Those of the codes whose division the actor may open (a breadcrumb links only to those)."""
    stmt = select(Division.code).where(Division.code.in_(codes), visibility.divisions(actor))
    return frozenset(session.scalars(stmt))


def scope_roots(session: Session, actor: Actor) -> list[DivisionRef]:
    """The top divisions of the actor's blocks: where the org browser starts."""
    if actor.scope.is_everything:
        rows = session.scalars(select(Division).where(Division.parent_code.is_(None)).order_by(Division.code))
    else:
        prefixes = actor.scope.division_prefixes
        rows = session.scalars(select(Division).where(Division.code.in_(prefixes)).order_by(Division.code))
    return [_ref(row) for row in rows]


def list_children(session: Session, actor: Actor, code: str, *, cursor: str | None, limit: int) -> Page[DivisionRef]:
    """The children of a division in the actor's scope, by code, a page at a time."""
    get_division(session, actor, code)
    stmt = select(Division).where(Division.parent_code == code, visibility.divisions(actor))
    if cursor:
        stmt = stmt.where(Division.code > decode_cursor(cursor, (Key.TEXT,))[0])
    rows = list(session.scalars(stmt.order_by(Division.code).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].code]) if len(rows) > limit else None
    return Page[DivisionRef](items=[_ref(row) for row in rows[:limit]], next_cursor=next_cursor)


def search_divisions(session: Session, actor: Actor, *, text: str, level: str | None, limit: int) -> list[DivisionRef]:
    """Divisions whose name contains `text` or whose code starts with it, in scope, shortest codes first."""
    match = (
        Division.code.startswith(text, autoescape=True)
        if text.isdigit()
        else Division.name.contains(text, autoescape=True)
    )
    stmt = select(Division).where(match, visibility.divisions(actor))
    if level:
        stmt = stmt.where(Division.level == level)
    rows = session.scalars(stmt.order_by(func.length(Division.code), Division.code).limit(limit))
    return [_ref(row) for row in rows]


def _department_rows(session: Session, *conditions: ColumnElement[bool]) -> list[DepartmentRead]:
    stmt = (
        select(Department, DepartmentKind, Division.name)
        .join(DepartmentKind, DepartmentKind.code == Department.kind_code)
        .join(Division, Division.code == Department.division_code)
        .where(*conditions)
        .order_by(Department.division_code, DepartmentKind.sort_order)
    )
    return [
        DepartmentRead(
            id=d.id,
            kind_code=k.code,
            kind_name_zh=k.name_zh,
            kind_name_en=k.name_en,
            division_code=d.division_code,
            division_name=name,
            name=d.name,
        )
        for d, k, name in session.execute(stmt)
    ]


def list_departments(
    session: Session, actor: Actor, *, division_code: str | None, kind: str | None
) -> list[DepartmentRead]:
    """Departments in scope, optionally of one division and one kind."""
    conditions: list[ColumnElement[bool]] = []
    if division_code:
        conditions.append(Department.division_code == division_code)
    if kind:
        conditions.append(Department.kind_code == kind)
    return _department_rows(session, _visible_departments(actor), *conditions)


# One unit per kind and division (a unique key): of the divisions given, the finest (longest code) wins.
_CODE_SLOTS = tuple(f"b_code_{n}" for n in range(len(DivisionLevel)))
_SERVING = Prepared(
    select(
        Department.id,
        DepartmentKind.code,
        DepartmentKind.name_zh,
        DepartmentKind.name_en,
        Department.division_code,
        Division.name,
        Department.name,
    )
    .join(DepartmentKind, DepartmentKind.code == Department.kind_code)
    .join(Division, Division.code == Department.division_code)
    .where(
        Department.kind_code == bindparam("b_kind"),
        # A division and its ancestors: at most one code per level, in fixed slots (unused ones NULL).
        Department.division_code.in_([bindparam(slot, type_=String) for slot in _CODE_SLOTS]),
    )
    .order_by(func.length(Department.division_code).desc())
    .limit(1)
)


def department_serving(session: Session, *, kind: str, division_code: str) -> DepartmentRead | None:
    """The unit of a kind that serves a division (a routing fact, the same for every caller)."""
    return nearest_department_serving(session, kind=kind, division_codes=[division_code])


def nearest_department_serving(session: Session, *, kind: str, division_codes: Sequence[str]) -> DepartmentRead | None:
    """Of the units of a kind serving any of these divisions, the one of the finest division; one query."""
    # Deliberately unscoped: which unit serves a place is public routing, not a person's data.
    codes = list(dict.fromkeys(division_codes))
    if len(codes) > len(_CODE_SLOTS):
        message = f"at most {len(_CODE_SLOTS)} divisions (a division and its ancestors)"
        raise ValueError(message)
    slots = {slot: (codes[n] if n < len(codes) else None) for n, slot in enumerate(_CODE_SLOTS)}
    row = _SERVING.run(session, {"b_kind": kind, **slots}).first()
    if row is None:
        return None
    unit_id, kind_code, name_zh, name_en, division_code, division_name, name = row
    return DepartmentRead(
        id=unit_id,
        kind_code=kind_code,
        kind_name_zh=name_zh,
        kind_name_en=name_en,
        division_code=division_code,
        division_name=division_name,
        name=name,
    )


def _visible_departments(actor: Actor) -> ColumnElement[bool]:
    return visibility.departments(actor)


def get_department(session: Session, actor: Actor, department_id: int) -> DepartmentRead:
    """One department in scope."""
    rows = _department_rows(session, _visible_departments(actor), Department.id == department_id)
    if not rows:
        message = f"department {department_id} not found"
        raise NotFoundError(message)
    return rows[0]


def _visible_positions(actor: Actor) -> ColumnElement[bool]:
    return visibility.positions(actor)


def _positions(session: Session, actor: Actor, person_ids: Sequence[int]) -> dict[int, list[PositionRead]]:
    supervisor, boss = aliased(Position), aliased(Person)
    stmt = (
        select(Position, Division.name, Department.name, boss.name)
        .join(Division, Division.code == Position.division_code)
        .outerjoin(Department, Department.id == Position.department_id)
        .outerjoin(supervisor, supervisor.id == Position.supervisor_id)
        .outerjoin(boss, boss.id == supervisor.person_id)
        .where(Position.person_id.in_(person_ids), _visible_positions(actor))
        .order_by(Position.id)
    )
    found: dict[int, list[PositionRead]] = {pid: [] for pid in person_ids}
    for pos, division_name, department_name, boss_name in session.execute(stmt):
        found[pos.person_id].append(
            PositionRead(
                id=pos.id,
                role=pos.role,
                division_code=pos.division_code,
                division_name=division_name,
                department_id=pos.department_id,
                department_name=department_name,
                supervisor_position_id=pos.supervisor_id,
                supervisor_name=boss_name,
                title=pos.title,
            )
        )
    return found


def list_people(
    session: Session,
    actor: Actor,
    *,
    division_code: str | None,
    department_id: int | None,
    role: str | None,
    text: str | None,
    cursor: str | None,
    limit: int,
) -> Page[PersonRead]:
    """People holding a post in scope (in the division subtree / department / role asked), by id."""
    post = select(Position.person_id).where(_visible_positions(actor))
    if division_code:
        post = post.where(DivisionCode(division_code).subtree(Position.division_code))
    if department_id:
        post = post.where(Position.department_id == department_id)
    if role:
        post = post.where(Position.role == role)
    stmt = select(Person).where(Person.id.in_(post))
    if text:
        stmt = stmt.where(or_(Person.name.contains(text, autoescape=True), Person.phone == text))
    if cursor:
        stmt = stmt.where(Person.id > decode_cursor(cursor, (Key.INT,))[0])
    people = list(session.scalars(stmt.order_by(Person.id).limit(limit + 1)))
    page, more = people[:limit], len(people) > limit
    positions = _positions(session, actor, [p.id for p in page])
    items = [PersonRead(id=p.id, name=p.name, phone=p.phone, positions=positions[p.id]) for p in page]
    return Page[PersonRead](items=items, next_cursor=encode_cursor([page[-1].id]) if more else None)


SEARCH_WORDS = 4  # words of a people search that count (a longer search is refused by its field's length first)
PLACES_A_WORD = 30  # the widest places in reach a word names: one naming more ("社区") is too broad to pick a place
PHONE_TAIL = 4  # digits enough to find a phone by how it ends (the last four, as people say them)


def find_people(session: Session, actor: Actor, text: str, *, limit: int) -> list[PersonRead]:
    """People with a post in scope that every word of `text` describes, the first `limit` by id.

    A word describes a post by its holder's name (part of it) or phone (all of it, or its last four
    digits or more), by its unit's name (交警), by its place or one above it (湖镇: the township and
    everything in it), or by its role's name in either language (网格长, grid head). Every word must
    describe the same post: "湖镇 网格长" finds 湖镇镇's grid heads, not a grid head elsewhere who also
    lives in 湖镇. Only places in or above the actor's reach are named, so nothing outside it is found.
    """
    words = text.split()[:SEARCH_WORDS]
    posts = (
        select(Position.person_id)
        .join(Person, Person.id == Position.person_id)
        .where(_visible_positions(actor), *(_describes(session, actor, word) for word in words))
    )
    people = list(session.scalars(select(Person).where(Person.id.in_(posts)).order_by(Person.id).limit(limit)))
    positions = _positions(session, actor, [p.id for p in people])
    return [PersonRead(id=p.id, name=p.name, phone=p.phone, positions=positions[p.id]) for p in people]


def _describes(session: Session, actor: Actor, word: str) -> ColumnElement[bool]:
    """A post (joined to its holder) that `word` describes: its holder, its unit, its place or its role."""
    found: list[ColumnElement[bool]] = [Person.name.contains(word, autoescape=True), Person.phone == word]
    if word.isdigit() and len(word) >= PHONE_TAIL:
        found.append(Person.phone.endswith(word, autoescape=True))
    units = select(Department.id).where(Department.name.contains(word, autoescape=True))
    found.append(Position.department_id.in_(units))
    places = session.scalars(
        select(Division.code)
        .where(Division.name.contains(word, autoescape=True), visibility.places_around(actor))
        .order_by(func.length(Division.code), Division.code)
    ).all()
    widest = _widest(places)
    if len(widest) <= PLACES_A_WORD:
        found += [DivisionCode(code).subtree(Position.division_code) for code in widest]
    folded = word.casefold()
    roles = [role.value for role in Role if word in role_name(role, "zh") or folded in role_name(role, "en").casefold()]
    if roles:
        found.append(Position.role.in_(roles))
    return or_(*found)


def _widest(codes: Sequence[str]) -> list[str]:
    """The codes no other of them contains (`codes` shortest first): each place's subtree once."""
    kept: list[str] = []
    for code in codes:
        if not any(code.startswith(wider) for wider in kept):
            kept.append(code)
    return kept


def get_person(session: Session, actor: Actor, person_id: int) -> PersonRead:
    """One person with a post in scope, showing only the posts in scope."""
    positions = _positions(session, actor, [person_id])[person_id]
    person = session.get(Person, person_id)
    if person is None or not positions:
        message = f"person {person_id} not found"
        raise NotFoundError(message)
    return PersonRead(id=person.id, name=person.name, phone=person.phone, positions=positions)


def contact_details(session: Session, person_id: int) -> dict[str, str]:
    """A person's name, phone and e-mail as a form shows them (a missing one is empty); the caller checked scope."""
    row = session.execute(select(Person.name, Person.phone, Person.email).where(Person.id == person_id)).one()
    return {"name": row.name, "phone": row.phone or "", "email": row.email or ""}


def role_counts(session: Session, actor: Actor, code: str) -> dict[str, int]:
    """How many posts of each role lie in a division's subtree (within scope)."""
    stmt = (
        select(Position.role, func.count())
        .where(DivisionCode(code).subtree(Position.division_code), _visible_positions(actor))
        .group_by(Position.role)
    )
    return dict(session.execute(stmt).all())


def division_names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """The names of these divisions (names of places are public: no scope)."""
    if not codes:
        return {}
    return dict(
        session.execute(select(Division.code, Division.name).where(Division.code.in_(sorted(set(codes))))).all()
    )


def department_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The names of these departments (unit names are public: no scope)."""
    if not ids:
        return {}
    return dict(
        session.execute(select(Department.id, Department.name).where(Department.id.in_(sorted(set(ids))))).all()
    )


def city(session: Session) -> DivisionRef | None:
    """The city at the top of the organisation (Quzhou): the city whose divisions its units serve.

    The division tree holds every city of the province (the demo imports all of Zhejiang), so the
    first city row would be Hangzhou; the organisation's units say which city it is. With no unit
    yet, the first city by code.
    """
    cities = select(Division).where(Division.level == DivisionLevel.CITY.value)
    units = (
        select(Division.code)
        .join(Department, Department.division_code.startswith(Division.code))
        .where(Division.level == DivisionLevel.CITY.value)
        .group_by(Division.code)
        .order_by(func.count().desc(), Division.code)
        .limit(1)
    )
    served = session.scalar(units)
    row = session.scalars(cities.where(Division.code == served) if served else cities.order_by(Division.code)).first()
    return _ref(row) if row else None


def child_divisions(session: Session, code: str | None) -> list[DivisionRef]:
    """The divisions one level below `code` (the counties of the city when None is given for the top)."""
    top = city(session) if code is None else None  # a join over the units: only for the top
    parent = code or (top.code if top else None)
    rows = session.scalars(select(Division).where(Division.parent_code == parent).order_by(Division.code))
    return [_ref(row) for row in rows]


def usual_supervisor(
    session: Session, actor: Actor, *, role: str, division_code: str | None, department_id: int | None
) -> int | None:
    """The post a new holder of `role` here reports to: the one most of its peers here report to.

    Peers are the other holders of the same role at the same place (a grid, a unit); a unit's first
    staff member reports to the unit's head. Only a post the actor sees is offered (None: nobody).
    """
    place = (
        Position.department_id == department_id
        if department_id is not None
        else (Position.division_code == division_code) & Position.department_id.is_(None)
    )
    boss = aliased(Position)
    peers = session.execute(
        select(boss.id, boss.division_code, boss.department_id)
        .join(Position, Position.supervisor_id == boss.id)
        .where(place, Position.role == role)
        .group_by(boss.id, boss.division_code, boss.department_id)
        .order_by(func.count().desc(), boss.id)
    ).all()
    if not peers and department_id is not None and role == "dept_staff":
        peers = session.execute(
            select(Position.id, Position.division_code, Position.department_id)
            .where(Position.department_id == department_id, Position.role == "dept_head")
            .order_by(Position.id)
        ).all()
    return next((row[0] for row in peers if visibility.sees_unit(actor, row[1], row[2])), None)


def all_posts(session: Session, person_id: int) -> list[tuple[str, str, int | None]]:
    """Every post the person holds, in scope or not (role, division code, unit): for what a login opens."""
    rows = session.execute(
        select(Position.role, Position.division_code, Position.department_id).where(Position.person_id == person_id)
    )
    return [(role, code, unit) for role, code, unit in rows]
