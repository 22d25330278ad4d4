"""A small world in any database, through the services: Quzhou's places and units, three people with tokens.

The same world as the benchmarks' `_setup.build_world` (a grid worker of 府山街道, the 柯城区
governance centre, a 柯城区 traffic police officer named as the contact of 府山街道's grids), built
at a URL instead of a SQLite file so that it can live in PostgreSQL; and an API token for each of
the three, signed with `SECRET` (the servers under test get the same ZHILI_SECRET_KEY).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from tests import world_cache
from tests.conftest import postgres_url
from tests.deploy.pg import copied_database
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


def _grids(session: Session) -> dict[str, Polygon | MultiPolygon]:
    """The grids of 府山街道 by code."""
    rows = session.execute(
        select(Division.code, Division.geometry).where(Division.code.startswith(FUSHAN), Division.level == "grid")
    )
    return {code: areal_from_geojson(geometry) for code, geometry in rows}


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
        grids = _grids(session)
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


SMALL_PREFIX = "zhili_small_"
SMALL_LOCK_ID = 2_023_110_602  # the advisory lock taken while the small world's template is built
_TEMPLATE: list[tuple[str, dict[str, str]]] = []  # the template's URL and tokens, once a session


def small_world_copy(suffix: str) -> SmallWorld:
    """The small world in a database of its own, `<test database>_<suffix>`.

    Copied with CREATE DATABASE … TEMPLATE from `zhili_small_<key>`, a template kept on the server across
    runs like the demo world's (tests/world_cache.py): its key hashes the package, this builder, the
    secret and today's date (the tokens and the rows are stamped with the day they were made).
    The bearer tokens are kept as the template's comment.
    """
    if not _TEMPLATE:
        _TEMPLATE.append(_small_template())
    template, tokens = _TEMPLATE[0]
    url = copied_database(suffix, template)
    engine = make_engine(url)
    with Session(engine) as session:
        grids = _grids(session)
    return SmallWorld(url, engine, grids, tokens)


def _small_template() -> tuple[str, dict[str, str]]:
    """The template of this code and day (built first if needed): its URL and the tokens."""
    today = SystemClock().now().date().isoformat()
    key = world_cache.source_key(f"small|{today}|{SECRET}", Path(__file__))
    template = SMALL_PREFIX + key
    base = postgres_url().rsplit("/", 1)[0]
    admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": SMALL_LOCK_ID})
            try:
                if world_cache.rebuild_forced() or not world_cache.database_exists(connection, template):
                    _build_small_template(connection, base, template)
                comment = connection.scalar(
                    text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                    {"name": template},
                )
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": SMALL_LOCK_ID})
    finally:
        admin.dispose()
    return f"{base}/{template}", json.loads(comment)


def _build_small_template(connection: Connection, base: str, template: str) -> None:
    """Build into a scratch database, keep the tokens as its comment, publish it under the template's name."""
    partial = template + "_partial"
    for statement in (f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)', f'CREATE DATABASE "{partial}"'):
        connection.execute(text(statement))
    built = build_small_world(f"{base}/{partial}")
    built.engine.dispose()  # a template database may have no open connections
    world_cache.analyze(f"{base}/{partial}")
    tokens = json.dumps(built.tokens).replace("'", "''")
    connection.execute(text(f"COMMENT ON DATABASE \"{partial}\" IS '{tokens}'"))
    world_cache.drop_other_templates(connection, keep=template, prefix=SMALL_PREFIX)
    connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    connection.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{template}"'))
