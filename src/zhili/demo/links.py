"""The demo's cross-cutting links: 1+X zones and the traffic police's two-net merger."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.demo.names import short_village_name
from zhili.demo.network import Territory
from zhili.demo.people import PeopleBuilder
from zhili.org import service as org
from zhili.org.division_code import DivisionCode
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division
from zhili.org.roles import Role

MAX_ZONE_MEMBERS = 3


def create_zones(session: Session, land: Territory) -> int:
    """Per county, the town with most villages leads the small townships (乡) that border it."""
    shapes = {
        code: areal_from_geojson(geo)
        for code, geo in session.execute(
            select(Division.code, Division.geometry).where(
                DivisionCode(land.city).subtree(Division.code),
                Division.level == "township",
                Division.geometry.is_not(None),
            )
        )
    }
    made = 0
    for county in land.counties:
        townships = [t for t in land.children[county] if t in shapes]
        towns = [t for t in townships if land.names[t].endswith("镇")]
        if not towns:
            continue
        leader = max(towns, key=lambda t: (len(land.children[t]), t))
        small = [t for t in townships if land.names[t].endswith("乡") and shapes[t].intersects(shapes[leader])]
        if not small:
            continue
        org.add_zone(session, name=f"{land.names[leader]}片区", members=[leader, *sorted(small)[:MAX_ZONE_MEMBERS]])
        made += 1
    return made


def appoint_traffic_contacts(
    builder: PeopleBuilder,
    land: Territory,
    departments: dict[tuple[str, str], int],
    unit_heads: dict[int, int],
) -> list[tuple[int, str, int]]:
    """In every subdistrict (街道), each community gets a traffic-police contact officer.

    Returns (department id, community code, officer post) to store once the posts exist.
    """
    plan = []
    for county in land.counties:
        dept_id = departments.get(("traffic_police", county))
        if dept_id is None:
            continue
        for township in (t for t in land.children[county] if land.names[t].endswith("街道")):
            for community in land.children[township]:
                officer = builder.staff(
                    Role.DEPT_STAFF, county, department_id=dept_id, supervisor_id=unit_heads[dept_id], title="联系交警"
                )
                plan.append((dept_id, community, officer))
    return plan


def merge_traffic_grids(session: Session, land: Territory, plan: list[tuple[int, str, int]]) -> int:
    """A traffic-police grid per community over its grids, with its officer named for each grid."""
    contacts = 0
    for dept_id, community, officer in plan:
        grids = land.children[community]
        name = f"{short_village_name(land.names[community])}交警网格"
        org.add_department_grid(session, department_id=dept_id, name=name, grids=grids, contact=officer)
        contacts += len(grids)
    return contacts
