"""The people search of the member pickers: every word describes one post in reach, by holder, unit, place or role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import actor_of

from zhili.org.models import Department, Division, Person, Position
from zhili.org.queries import find_people
from zhili.org.roles import Role

HUZHEN = "330825101"  # 湖镇镇


def _posts(session: Session, person_ids: list[int]) -> list[Position]:
    return list(session.scalars(select(Position).where(Position.person_id.in_(person_ids))))


def test_a_village_is_found_by_its_name_however_many_grids_repeat_it(session: Session) -> None:
    village = session.execute(
        select(Division.code, Division.name).where(Division.code.startswith(HUZHEN), Division.level == "village")
    ).first()
    assert village is not None
    found = find_people(session, actor_of(session, "huzhen"), village.name, limit=20)
    assert found
    assert all(any(p.division_code.startswith(village.code) for p in _posts(session, [f.id])) for f in found)


def test_every_word_describes_the_same_post(session: Session) -> None:
    # A 湖镇 party member who also serves in a county unit is no 湖镇 department officer.
    member = session.scalars(
        select(Position).where(Position.division_code.startswith(HUZHEN), Position.role == Role.PARTY_MEMBER)
    ).first()
    assert member is not None
    unit = session.scalars(select(Department).where(Department.division_code == "330825")).first()
    assert unit is not None
    session.add(
        Position(person_id=member.person_id, role=Role.DEPT_STAFF, division_code="330825", department_id=unit.id)
    )
    session.flush()
    name = session.scalar(select(Person.name).where(Person.id == member.person_id))
    assert name is not None
    centre = actor_of(session, "ly-centre")
    assert member.person_id in {p.id for p in find_people(session, centre, f"{name} 湖镇 党员", limit=20)}
    assert member.person_id in {p.id for p in find_people(session, centre, f"{name} {unit.name}", limit=20)}
    assert find_people(session, centre, f"{name} 湖镇 {unit.name}", limit=20) == []


def test_a_place_out_of_reach_names_nobody_and_wildcards_are_letters(session: Session) -> None:
    assert find_people(session, actor_of(session, "huzhen"), "府山", limit=20) == []
    assert find_people(session, actor_of(session, "kc-centre"), "府山", limit=20)
    for word in ("%", "_", "网格%", "湖镇 _"):
        assert find_people(session, actor_of(session, "ly-centre"), word, limit=20) == []


def test_a_phone_is_found_whole_or_by_its_last_four_digits(session: Session) -> None:
    centre = actor_of(session, "ly-centre")
    person = session.execute(
        select(Person.id, Person.phone)
        .join(Position, Position.person_id == Person.id)
        .where(Position.division_code.startswith(HUZHEN), Person.phone.is_not(None))
    ).first()
    assert person is not None
    assert person.id in {p.id for p in find_people(session, centre, person.phone, limit=20)}
    tail = person.phone[-4:]
    assert all(p.phone.endswith(tail) for p in find_people(session, centre, tail, limit=20))
    assert find_people(session, centre, person.phone[-3:] + " 不存在的岗位", limit=20) == []
