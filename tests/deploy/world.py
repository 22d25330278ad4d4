"""A small world in any database, through the services: Quzhou's places and units, three people with tokens.

The same world as the benchmarks' `_setup.build_world` (a grid worker of 府山街道, the 柯城区
governance centre, a 柯城区 traffic police officer named as the contact of 府山街道's grids), built
at a URL instead of a SQLite file so that it can live in PostgreSQL; and an API token for each of
the three, signed with `SECRET` (the servers under test get the same ZHILI_SECRET_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.deploy.pg import copied_database, derived_database
from zhili.access.service import create_account, issue_token
from zhili.core import migrate
from zhili.core.auth import system_actor
from zhili.core.clock import Clock, SystemClock
from zhili.core.db import make_engine
from zhili.demo.places import generate_places
from zhili.demo.world import DEFAULT_SEED, FUSHAN, KECHENG, QUZHOU
from zhili.matters.service import sync_catalog
from zhili.org.geometry import areal_from_geojson
from zhili.org.importing import import_catalogs, import_divisions, instantiate_departments
from zhili.org.models import Department, Division
from zhili.org.schemas import GridContactSet, PersonCreate, PositionCreate
from zhili.org.service import add_person, set_grid_contact

SECRET = "deploy-test-secret-0123456789abcdef"
PEOPLE = {
    "worker": ("网格员甲", "grid_worker"),
    "centre": ("中心值班员", "centre_staff"),
    "traffic": ("交警乙", "dept_staff"),
}


@dataclass
class SmallWorld:
    """The database, the grids of 府山街道 and a bearer token per person."""

    url: str
    engine: Engine
    grids: dict[str, Polygon | MultiPolygon]
    tokens: dict[str, str]


def build_small_world(url: str, *, clock: Clock | None = None) -> SmallWorld:
    """Migrate the empty database at `url` and fill it; about 10 s."""
    clock = clock or SystemClock()
    actor = system_actor("test")
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        import_catalogs(session, actor=actor, clock=clock)
        import_divisions(session, root=QUZHOU, actor=actor, clock=clock)
        generate_places(session, city=QUZHOU, seed=DEFAULT_SEED, progress=lambda _code, _n: None)
        session.commit()
        instantiate_departments(session, root=QUZHOU, actor=actor, clock=clock)
        sync_catalog(session, actor=actor, clock=clock)
        rows = session.execute(
            select(Division.code, Division.geometry).where(Division.code.startswith(FUSHAN), Division.level == "grid")
        )
        grids = {code: areal_from_geojson(geometry) for code, geometry in rows}
        traffic_unit = session.scalars(
            select(Department.id).where(Department.kind_code == "traffic_police", Department.division_code == KECHENG)
        ).one()
        tokens: dict[str, str] = {}
        for n, (name, (person_name, role)) in enumerate(PEOPLE.items()):
            post = {
                "worker": PositionCreate(role=role, division_code=min(grids)),
                "centre": PositionCreate(role=role, division_code=KECHENG),
                "traffic": PositionCreate(role=role, department_id=traffic_unit),
            }[name]
            person = add_person(
                session,
                data=PersonCreate(name=person_name, phone=f"1390000{n:04d}", position=post),
                actor=actor,
                clock=clock,
            )
            account = create_account(
                session,
                username=f"t-{name}",
                password=SECRET,
                person_id=person.id,
                is_admin=False,
                actor=actor,
                clock=clock,
            )
            _id, tokens[name] = issue_token(session, account=account, name="test", days=365, secret=SECRET, clock=clock)
            if name == "traffic":
                contact = GridContactSet(department_id=traffic_unit, position_id=person.positions[0].id)
                for grid in sorted(grids):
                    set_grid_contact(session, grid_code=grid, data=contact, actor=actor, clock=clock)
        session.commit()
    return SmallWorld(url, engine, grids, tokens)


_TEMPLATE: list[SmallWorld] = []


def small_world_copy(suffix: str) -> SmallWorld:
    """The small world in a database of its own, `<test database>_<suffix>`.

    Built once per session (about 10 s) into `<test database>_small_world`, then copied with
    CREATE DATABASE … TEMPLATE for each test module that asks: the same rows, grids and tokens.
    """
    if not _TEMPLATE:
        built = build_small_world(derived_database("small_world"))
        built.engine.dispose()  # a template database may have no open connections
        _TEMPLATE.append(built)
    template = _TEMPLATE[0]
    url = copied_database(suffix, template.url)
    return SmallWorld(url, make_engine(url), template.grids, template.tokens)
