"""Synthetic people for the demo: departments, posts with supervisors, Longyou's three-links network."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.demo.names import person_names
from zhili.org import service as org
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Household, Person, Position
from zhili.org.roles import Role

LONGYOU = "330825"
# The seed report's three-links network in 龙游县.
TEAM_LEADERS = 263
PARTY_MEMBERS = 10_300
HOUSEHOLDS_PER_MEMBER = (6, 14)
STAFF_PER_UNIT = {"city": 3, "county": 3, "township": 1}


@dataclass
class PeopleBuilder:
    """Collects people and posts as plain rows with pre-assigned ids, then inserts them in bulk."""

    session: Session
    seed: int
    people: list[dict[str, object]] = field(default_factory=list)
    positions: list[dict[str, object]] = field(default_factory=list)
    households: list[dict[str, object]] = field(default_factory=list)
    person_of: dict[int, int] = field(default_factory=dict)
    _names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._next_person = (self.session.scalar(select(func.max(Person.id))) or 0) + 1
        self._next_position = (self.session.scalar(select(func.max(Position.id))) or 0) + 1
        self._next_household = (self.session.scalar(select(func.max(Household.id))) or 0) + 1
        self._names = person_names(40_000, seed=self.seed)
        self.rng = random.Random(self.seed)  # noqa: S311 - demo data

    def person(self, name: str | None = None) -> int:
        """Add a person with a deterministic name and a unique synthetic phone number."""
        person_id = self._next_person
        self._next_person += 1
        chosen = name or self._names[person_id % len(self._names)]
        self.people.append({"id": person_id, "name": chosen, "phone": f"1390{person_id:07d}", "email": None})
        return person_id

    def person_name(self) -> str:
        """A name for someone who is not a person in the system (a household head)."""
        return self.rng.choice(self._names)

    def household(self, grid_code: str, member_position_id: int, address: str) -> None:
        """A household in a grid looked after by a party member."""
        self.households.append(
            {
                "id": self._next_household,
                "grid_code": grid_code,
                "head_name": self.person_name(),
                "address": address,
                "member_position_id": member_position_id,
            }
        )
        self._next_household += 1

    def post(
        self,
        person_id: int,
        role: Role,
        division_code: str,
        *,
        department_id: int | None = None,
        supervisor_id: int | None = None,
        title: str | None = None,
    ) -> int:
        """Give a person a position; returns the position id."""
        position_id = self._next_position
        self._next_position += 1
        self.person_of[position_id] = person_id
        self.positions.append(
            {
                "id": position_id,
                "person_id": person_id,
                "role": role.value,
                "division_code": division_code,
                "department_id": department_id,
                "supervisor_id": supervisor_id,
                "title": title,
            }
        )
        return position_id

    def staff(
        self,
        role: Role,
        division_code: str,
        *,
        department_id: int | None = None,
        supervisor_id: int | None = None,
        title: str | None = None,
    ) -> int:
        """A new person holding one new post; returns the position id."""
        return self.post(
            self.person(), role, division_code, department_id=department_id, supervisor_id=supervisor_id, title=title
        )

    def flush(self) -> None:
        """Insert everything collected, parents before children, and fix id sequences."""
        org.insert_people(self.session, self.people, self.positions, self.households)


def staff_departments(
    builder: PeopleBuilder,
    departments: dict[tuple[str, str], int],
    levels: dict[str, str],
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """A head and staff for every unit; a head reports to the same kind's head one level up.

    Returns the head post and the staff posts of each department id.
    """
    heads: dict[tuple[str, str], int] = {}
    staff: dict[int, list[int]] = defaultdict(list)
    for (kind, division), dept_id in sorted(departments.items(), key=lambda item: DivisionCode(item[0][1]).level.depth):
        upper = _upper_unit(departments, kind, division)
        head = builder.staff(
            Role.DEPT_HEAD, division, department_id=dept_id, supervisor_id=heads.get(upper or ("", "")), title="负责人"
        )
        heads[(kind, division)] = head
        for _ in range(STAFF_PER_UNIT[levels[division]]):
            staff[dept_id].append(builder.staff(Role.DEPT_STAFF, division, department_id=dept_id, supervisor_id=head))
    return {departments[key]: post for key, post in heads.items()}, staff


def _upper_unit(departments: dict[tuple[str, str], int], kind: str, division: str) -> tuple[str, str] | None:
    for above in reversed(DivisionCode(division).ancestors):
        if above.has_level(DivisionLevel.CITY) and (kind, above.value) in departments:
            return (kind, above.value)
    return None
