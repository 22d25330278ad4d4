"""The Quzhou demo world, generated deterministically from a seed: places, units, people, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError
from zhili.demo.links import appoint_traffic_contacts, create_zones, merge_traffic_grids
from zhili.demo.network import Heads, Territory, staff_longyou, staff_territory
from zhili.demo.people import LONGYOU, PeopleBuilder, staff_departments
from zhili.demo.places import generate_places
from zhili.org.division_code import DivisionCode
from zhili.org.importing import import_catalogs, import_divisions, instantiate_departments
from zhili.org.models import Person

QUZHOU = "3308"
KECHENG = "330802"
QUJIANG = "330803"
FUSHAN = "330802006"
HUZHEN = "330825101"
DEFAULT_SEED = 20210723  # the day the typhoon task went out in the seed report

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoWorld:
    """What was made, and the posts that get demo logins (username → position id)."""

    grids: int
    people: int
    posts: int
    households: int
    zones: int
    grid_contacts: int
    logins: dict[str, int]


def build_demo_world(
    session: Session, *, actor: Actor, clock: Clock, seed: int = DEFAULT_SEED, step: Step | None = None
) -> DemoWorld:
    """Build the whole demo world into an empty organisation; refuses if people already exist."""
    say = step or (lambda _text: None)
    if session.scalar(select(func.count()).select_from(Person)):
        message = "the organisation already has people; the demo world is built into an empty database"
        raise ConflictError(message)
    say("catalogs")
    import_catalogs(session, actor=actor, clock=clock)
    say("divisions of Zhejiang")
    import_divisions(session, root="33", actor=actor, clock=clock)
    say("polygons of townships, villages and grids")
    grids = generate_places(session, city=QUZHOU, seed=seed, progress=lambda code, _n: say(f"  county {code}"))
    say("departments and people")
    land = Territory.load(session, QUZHOU)
    departments = instantiate_departments(session, root=QUZHOU, actor=actor, clock=clock)
    builder = PeopleBuilder(session, seed)
    levels = {code: DivisionCode(code).level.value for _kind, code in departments}
    unit_heads, staff = staff_departments(builder, departments, levels)
    heads = staff_territory(builder, land)
    staff_longyou(builder, land, heads)
    plan = appoint_traffic_contacts(builder, land, departments, unit_heads)
    builder.flush()
    contacts = merge_traffic_grids(session, land, plan)
    zones = create_zones(session, land)
    logins = _logins(heads, unit_heads, staff, departments, land)
    world = DemoWorld(
        grids, len(builder.people), len(builder.positions), len(builder.households), zones, contacts, logins
    )
    audit.record_by(
        session,
        actor,
        "org.demo_world.built",
        entity_type="division",
        entity_id=QUZHOU,
        after={"seed": seed, "grids": grids, "people": world.people, "posts": world.posts},
        at=clock.now(),
    )
    commit(session)
    return world


def _logins(
    heads: Heads,
    unit_heads: dict[int, int],
    staff: dict[int, list[int]],
    departments: dict[tuple[str, str], int],
    land: Territory,
) -> dict[str, int]:
    fushan_grid = land.children[land.children[FUSHAN][0]][0]
    huzhen_village = land.children[HUZHEN][0]
    huzhen_grid = land.children[huzhen_village][0]
    # The field staff's supervisors log in too: the grid worker's 社区两委, and the team leader's, head
    # of the grid head's village, is the huzhen command room.
    team_leader = heads.team_leader[huzhen_village]
    kc_traffic = departments[("traffic_police", KECHENG)]
    return {
        "qz-centre": heads.centre[QUZHOU],
        "kc-centre": heads.centre[KECHENG],
        "ly-centre": heads.centre[LONGYOU],
        "fushan": heads.command[FUSHAN],
        "huzhen": heads.command[HUZHEN],
        "village": heads.cadre[huzhen_village],
        "community": heads.cadre[land.children[FUSHAN][0]],
        "gridworker": heads.grid_worker[fushan_grid],
        "gridhead": heads.grid_head[huzhen_grid],
        "teamleader": team_leader,
        "partymember": heads.party_member[huzhen_grid][0],
        "kc-traffic": staff[kc_traffic][0],
        "kc-traffic-head": unit_heads[kc_traffic],
        "qj-hrss": staff[departments[("hrss", QUJIANG)]][0],
    }
