"""The demo's territorial posts: centres, command rooms, village cadres, grid workers, Longyou's network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.demo.names import short_village_name
from zhili.demo.people import (
    HOUSEHOLDS_PER_MEMBER,
    LONGYOU,
    PARTY_MEMBERS,
    TEAM_LEADERS,
    PeopleBuilder,
)
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Division
from zhili.org.roles import Role

GRID_HEAD_TITLE = "村两委委员"  # a village-committee member heading a grid (两委联格)


@dataclass
class Territory:
    """The divisions of the demo city by level, children listed under their parent."""

    city: str
    counties: list[str] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, city: str) -> Territory:
        """Read the city's tree once."""
        territory = cls(city)
        stmt = (
            select(Division.code, Division.name, Division.level, Division.parent_code)
            .where(DivisionCode(city).subtree(Division.code))
            .order_by(Division.code)
        )
        for code, name, level, parent in session.execute(stmt):
            territory.names[code] = name
            if level == "county":
                territory.counties.append(code)
            if parent is not None and level != "city":
                territory.children[parent].append(code)
        return territory


@dataclass
class Heads:
    """The first post of each territorial level, for supervisors and demo logins."""

    centre: dict[str, int] = field(default_factory=dict)
    command: dict[str, int] = field(default_factory=dict)
    cadre: dict[str, int] = field(default_factory=dict)
    grid_worker: dict[str, int] = field(default_factory=dict)
    grid_head: dict[str, int] = field(default_factory=dict)
    team_leader: dict[str, int] = field(default_factory=dict)
    party_member: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def staff_territory(builder: PeopleBuilder, land: Territory) -> Heads:
    """Centres at city and county, command rooms per township, a cadre per village, a worker per grid."""
    heads = Heads()
    heads.centre[land.city] = builder.staff(Role.CENTRE_STAFF, land.city, title="主任")
    builder.staff(Role.CENTRE_STAFF, land.city, supervisor_id=heads.centre[land.city])
    for county in land.counties:
        heads.centre[county] = builder.staff(
            Role.CENTRE_STAFF, county, supervisor_id=heads.centre[land.city], title="主任"
        )
        for _ in range(2):
            builder.staff(Role.CENTRE_STAFF, county, supervisor_id=heads.centre[county])
        for township in land.children[county]:
            _staff_township(builder, land, heads, county, township)
    return heads


def _staff_township(builder: PeopleBuilder, land: Territory, heads: Heads, county: str, township: str) -> None:
    heads.command[township] = builder.staff(
        Role.TOWNSHIP_COMMAND, township, supervisor_id=heads.centre[county], title="指挥室主任"
    )
    builder.staff(Role.TOWNSHIP_COMMAND, township, supervisor_id=heads.command[township])
    for village in land.children[township]:
        heads.cadre[village] = builder.staff(
            Role.VILLAGE_CADRE, village, supervisor_id=heads.command[township], title="书记"
        )
        for grid in land.children[village]:
            heads.grid_worker[grid] = builder.staff(Role.GRID_WORKER, grid, supervisor_id=heads.cadre[village])


def staff_longyou(builder: PeopleBuilder, land: Territory, heads: Heads) -> None:
    """The seed's three-links network: 263 team leaders, a village-committee member per grid, 10,300 party members."""
    villages = [v for t in land.children[LONGYOU] for v in land.children[t]]
    for village in builder.rng.sample(villages, TEAM_LEADERS) if len(villages) > TEAM_LEADERS else villages:
        township = DivisionCode(village).at(DivisionLevel.TOWNSHIP).value
        heads.team_leader[village] = builder.staff(
            Role.TEAM_LEADER, village, supervisor_id=heads.command[township], title="组团联村团长"
        )
    grids = [g for v in villages for g in land.children[v]]
    for grid in grids:
        # 两委联格: each grid is headed by a member of its village committee (村两委), a person of
        # their own, not the grid worker again; the committee's secretary (the cadre post) leads them.
        heads.grid_head[grid] = builder.staff(
            Role.GRID_HEAD, grid, supervisor_id=heads.cadre[_village(grid)], title=GRID_HEAD_TITLE
        )
    base, extra = divmod(PARTY_MEMBERS, len(grids))
    for index, grid in enumerate(grids):
        for _ in range(base + (index < extra)):
            member = builder.staff(Role.PARTY_MEMBER, grid, supervisor_id=heads.grid_head[grid])
            heads.party_member[grid].append(member)
            _link_households(builder, land, grid, member)


def _village(grid: str) -> str:
    return DivisionCode(grid).at(DivisionLevel.VILLAGE).value


def _link_households(builder: PeopleBuilder, land: Territory, grid: str, member: int) -> None:
    low, high = HOUSEHOLDS_PER_MEMBER
    village = short_village_name(land.names[_village(grid)])
    for _ in range(builder.rng.randint(low, high)):
        builder.household(grid, member, f"{village}{builder.rng.randint(1, 300)}号")
