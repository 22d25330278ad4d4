"""Shared setup of the case benchmarks: a fresh SQLite file with Quzhou's places, units, three people.

`build_world` migrates an empty database and fills it through the same services the product uses:
department kinds and enforcement items, the divisions under 衢州市 (3308) with their real county
polygons, synthetic township / village / grid polygons (the demo generator, so that a point lands in
a grid), the units of every kind, the matter catalog, and three people with logins — a grid worker of
府山街道 (the originator), a member of the 柯城区 governance centre (the dispatcher) and a member of
the 柯城区 traffic police (the lead, named as the contact officer of every 府山街道 grid). Each phase
is timed, so the scripts can print the setup separately from what they measure.

`create_bench_app` is the uvicorn factory the HTTP benchmark starts in a subprocess: it builds the
app from the ZHILI_ environment variables, as `zhili serve` does, and dumps every thread's stack to the
server log on SIGUSR1.
"""

from __future__ import annotations

import base64
import faulthandler
import importlib.util
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import shapely
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
# Lets the scripts run from a plain checkout, before the package is installed.
if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(ROOT / "src"))

from zhili.access.models import Account  # noqa: E402
from zhili.access.service import actor_for, create_account  # noqa: E402
from zhili.core import migrate  # noqa: E402
from zhili.core.auth import Actor, system_actor  # noqa: E402
from zhili.core.clock import Clock, SystemClock  # noqa: E402
from zhili.core.db import make_engine  # noqa: E402
from zhili.core.settings import Settings  # noqa: E402
from zhili.demo.places import generate_places  # noqa: E402
from zhili.demo.world import DEFAULT_SEED, FUSHAN, KECHENG, QUZHOU  # noqa: E402
from zhili.matters.service import sync_catalog  # noqa: E402
from zhili.org.geometry import areal_from_geojson  # noqa: E402
from zhili.org.importing import import_catalogs, import_divisions, instantiate_departments  # noqa: E402
from zhili.org.models import Department, Division  # noqa: E402
from zhili.org.schemas import GridContactSet, PersonCreate, PositionCreate  # noqa: E402
from zhili.org.service import add_person, set_grid_contact  # noqa: E402

if TYPE_CHECKING:
    from fastapi import FastAPI
    from shapely.geometry import MultiPolygon, Polygon

T = TypeVar("T")
PASSWORD = "zhili-bench-password"  # noqa: S105 - a throw-away database
# The illegal-parking matter needs a photo, a GPS fix and a text to close. The photo is uploaded to the
# case first and then cited by its id; a 1x1 PNG, because the loop is measured, not moving megabytes.
REPLY_EVIDENCE = (("gps", "118.8712,28.9361"), ("text", "现场已恢复"))
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
PARKING_ATTRIBUTES = {"plate_number": "浙H12345", "vehicle_type": "car", "parked_on": "pavement"}


@dataclass
class BenchWorld:
    """The database and what the benchmarks need from it."""

    url: str
    engine: Engine
    grids: dict[str, Polygon | MultiPolygon]  # the grids of 府山街道
    worker_grid: str  # the grid worker's own grid
    accounts: dict[str, Account]  # "worker", "centre", "traffic"
    actors: dict[str, Actor]
    traffic_unit_id: int
    phases: list[tuple[str, float]] = field(default_factory=list)

    @property
    def setup_seconds(self) -> float:
        """The whole setup."""
        return sum(seconds for _name, seconds in self.phases)


class _Timer:
    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    def run(self, name: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = work()
        self.phases.append((name, time.perf_counter() - started))
        return result


def migrated_database(url: str | None, tmp: Path, name: str) -> Engine:
    """A migrated empty database: a SQLite file `name`.sqlite in `tmp`, or the PostgreSQL database at `url` wiped."""
    if url is None:
        url = f"sqlite:///{tmp / f'{name}.sqlite'}"
    else:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    return make_engine(url)


def build_world(path: Path, *, clock: Clock | None = None) -> BenchWorld:
    """A fresh SQLite file at `path`, filled through the services; every phase timed."""
    url = f"sqlite:///{path}"
    clock = clock or SystemClock()
    actor = system_actor("bench")
    timer = _Timer()
    timer.run("migrate an empty database", lambda: migrate.upgrade(url))
    engine = make_engine(url, background_checkpoints=True)  # as `zhili serve`: benchmarks run `checkpointing`
    with Session(engine, expire_on_commit=False) as session:
        timer.run("catalogs (department kinds, enforcement items)", lambda: _catalogs(session, actor, clock))
        timer.run("divisions under 3308 with county polygons", lambda: _divisions(session, actor, clock))
        timer.run("grid polygons of 衢州市 (demo generator)", lambda: _grids(session))
        timer.run("units of every kind under 3308", lambda: _units(session, actor, clock))
        timer.run("matter catalog", lambda: sync_catalog(session, actor=actor, clock=clock))
        grids = _fushan_grids(session)
        worker_grid = min(grids)
        traffic_unit_id = _unit_id(session, "traffic_police", KECHENG)
        accounts = timer.run(
            "3 people, 3 logins (argon2), contacts of 府山街道's grids",
            lambda: _people(
                session,
                actor=actor,
                clock=clock,
                worker_grid=worker_grid,
                traffic_unit_id=traffic_unit_id,
                grids=sorted(grids),
            ),
        )
        actors = {name: actor_for(session, account) for name, account in accounts.items()}
    return BenchWorld(url, engine, grids, worker_grid, accounts, actors, traffic_unit_id, timer.phases)


def _catalogs(session: Session, actor: Actor, clock: Clock) -> None:
    import_catalogs(session, actor=actor, clock=clock)


def _divisions(session: Session, actor: Actor, clock: Clock) -> None:
    import_divisions(session, root=QUZHOU, actor=actor, clock=clock)


def _grids(session: Session) -> None:
    generate_places(session, city=QUZHOU, seed=DEFAULT_SEED, progress=lambda _code, _n: None)
    session.commit()


def _units(session: Session, actor: Actor, clock: Clock) -> None:
    instantiate_departments(session, root=QUZHOU, actor=actor, clock=clock)


def _fushan_grids(session: Session) -> dict[str, Polygon | MultiPolygon]:
    rows = session.execute(
        select(Division.code, Division.geometry).where(Division.code.startswith(FUSHAN), Division.level == "grid")
    )
    return {code: areal_from_geojson(geometry) for code, geometry in rows}


def _unit_id(session: Session, kind: str, division: str) -> int:
    return session.scalars(
        select(Department.id).where(Department.kind_code == kind, Department.division_code == division)
    ).one()


def _people(
    session: Session, *, actor: Actor, clock: Clock, worker_grid: str, traffic_unit_id: int, grids: list[str]
) -> dict[str, Account]:
    posts = {
        "worker": ("网格员甲", PositionCreate(role="grid_worker", division_code=worker_grid)),
        "centre": ("中心值班员", PositionCreate(role="centre_staff", division_code=KECHENG)),
        "traffic": ("交警乙", PositionCreate(role="dept_staff", department_id=traffic_unit_id)),
    }
    accounts: dict[str, Account] = {}
    for n, (name, (person_name, post)) in enumerate(posts.items()):
        person = add_person(
            session,
            data=PersonCreate(name=person_name, phone=f"1390000{n:04d}", position=post),
            actor=actor,
            clock=clock,
        )
        accounts[name] = create_account(
            session,
            username=f"bench-{name}",
            password=PASSWORD,
            person_id=person.id,
            is_admin=False,
            actor=actor,
            clock=clock,
        )
        if name == "traffic":
            contact = GridContactSet(department_id=traffic_unit_id, position_id=person.positions[0].id)
            for grid in grids:
                set_grid_contact(session, grid_code=grid, data=contact, actor=actor, clock=clock)
    return accounts


def points_in(geoms: list[Polygon | MultiPolygon], count: int, *, seed: int) -> list[tuple[float, float]]:
    """`count` random points, each inside one of `geoms` (chosen at random), by rejection sampling."""
    rng = random.Random(seed)
    for geom in geoms:
        shapely.prepare(geom)
    found: list[tuple[float, float]] = []
    while len(found) < count:
        geom = rng.choice(geoms)
        xmin, ymin, xmax, ymax = geom.bounds
        lon, lat = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if shapely.contains_xy(geom, lon, lat):
            found.append((lon, lat))
    return found


def create_bench_app() -> FastAPI:
    """The uvicorn factory: the app built from ZHILI_ variables, as `zhili serve` builds it."""
    from zhili.app import create_app  # noqa: PLC0415 - only the server process needs the web app

    # `kill -USR1 <worker pid>` writes every thread's stack to the server log: how a stall is diagnosed.
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    return create_app(Settings())
