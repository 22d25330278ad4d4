"""A year of demo cases planned in memory: which matter, where, when, through which channel, by whom.

`plan_cases` is pure: it takes a `CaseWorld` (plain values read once from the database) and a seed
and returns plain rows with pre-assigned ids, so the same seed always gives the same cases.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import accumulate, count

import shapely
from shapely.geometry import MultiPolygon, Polygon

from zhili.cases.deadlines import phase_clock
from zhili.cases.routing import TOWNSHIP, Routing, handling_division
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.cases.states import Party
from zhili.cases.store import case_number, state_columns
from zhili.demo.lives import OFFICIAL, Agent, Cast, Ledger, Life, Row, Unit
from zhili.demo.names import person_names
from zhili.demo.pilot import ParkingPilot, Quota, parking_pilot
from zhili.demo.script import live
from zhili.matters.definition import AttributeDefinition, Datatype, MatterDefinition
from zhili.org import credit_code
from zhili.org.division_code import DivisionCode
from zhili.org.geometry import areal_from_geojson
from zhili.org.routing import ancestor_codes

DEMO_CASES = 10_000
YEAR = timedelta(days=365)
CHINA = timezone(timedelta(hours=8))

# How often each matter is reported (parking, noise and small businesses lead; wage arrears are rare).
MATTER_WEIGHTS = {
    "illegal_parking": 18, "urban_noise": 13, "small_food_businesses": 12, "unlicensed_business": 11,
    "dust_pollution": 6, "solid_waste": 5, "road_safety_hazard": 5, "state_land_illegal_building": 5,
    "rural_housing": 5, "urban_gas": 4, "campus_safety": 4, "cold_chain_food": 3, "off_campus_tutoring": 3,
    "illegal_refuelling": 2, "mineral_products": 2, "illegal_sand_mining": 1.5, "wage_arrears": 1.5,
}  # fmt: skip
# Town matters come mostly from subdistricts (街道), country matters from towns and villages.
URBAN = frozenset({"illegal_parking", "urban_noise", "urban_gas", "off_campus_tutoring", "cold_chain_food"})
RURAL = frozenset({"rural_housing", "illegal_sand_mining", "mineral_products", "solid_waste", "illegal_refuelling"})
LEANING = 4.0
CHANNELS = {"phone": 40, "hotline": 25, "web": 20, "open311": 5, "api": 5, "warning": 2, "alert": 1.5, "campaign": 1.5}
ROOM_CHANNELS = frozenset({"warning", "alert", "campaign"})
# Reports by hour of the day in Quzhou: few at night, a morning and an afternoon peak.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 8, 10, 11, 11, 10, 9, 8, 7, 6, 4, 3, 2)
PHRASES = {
    "illegal_parking": "有机动车违停，占用通道", "urban_noise": "噪声扰民，影响居民休息",
    "small_food_businesses": "小作坊小餐饮经营不规范", "unlicensed_business": "有无证无照经营",
    "dust_pollution": "扬尘污染明显", "solid_waste": "发现固体废物倾倒", "road_safety_hazard": "道路存在安全隐患",
    "state_land_illegal_building": "疑似违法建设", "rural_housing": "农村建房不规范",
    "urban_gas": "燃气使用存在安全隐患", "campus_safety": "学校周边存在安全隐患",
    "cold_chain_food": "进口冷链食品手续不全", "off_campus_tutoring": "校外培训机构违规办学",
    "illegal_refuelling": "有非法加油行为", "mineral_products": "疑似非法开采运输矿产品",
    "illegal_sand_mining": "河道疑似非法采砂", "wage_arrears": "有工人反映被拖欠工资",
}  # fmt: skip
NAME_SUFFIXES = {
    "school_name": "小学", "institution_name": "培训中心", "business_name": "商行", "site_name": "安置房项目",
    "premises_name": "饭店", "venue_name": "娱乐会所", "employer_name": "建设有限公司", "project_name": "安置小区工程",
    "contractor": "建筑工程有限公司", "river_name": "溪", "road_name": "路",
}  # fmt: skip
STRING_CHOICES = {
    "builder_name": ("王建国", "李国华", "张小平", "刘志强", "陈美玲", "徐卫东"),
    "owner_name": ("王建国", "衢州某建材有限公司", "刘志强", "某物流有限公司"),
    "product_name": ("冷冻牛肉", "冷冻虾仁", "冻鸡翅", "冷冻带鱼"),
    "origin_country": ("巴西", "阿根廷", "新西兰", "西班牙"),
}
OPTIONAL_FILLED = 0.5
NUMBER_RANGES = {"estimated_litres": (50, 2000), "estimated_tonnes": (1, 300), "amount_owed": (3000, 400_000),
                 "amount_prepaid": (2000, 200_000), "area_m2": (10, 600), "floor_area_m2": (60, 300)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class GridSpot:
    """A grid the demo can put cases in: its code, a short place name and its polygon (GeoJSON)."""

    code: str
    place: str
    geometry: str


@dataclass(frozen=True)
class CaseWorld:
    """Everything the plan needs from the database, as plain values."""

    matters: tuple[tuple[int, MatterDefinition], ...]  # (current version id, definition), by code
    villages: dict[str, tuple[str, ...]]  # county → its villages that have grids
    grids: dict[str, tuple[GridSpot, ...]]  # village → its grids
    subdistricts: frozenset[str]  # townships that are 街道
    names: dict[str, str]  # township and village names
    routes: dict[tuple[str, str], Routing]  # (matter, handling division) → routing
    contacts: dict[tuple[str, int], int]  # (grid, unit) → the unit's contact post for the grid
    units: dict[tuple[str, str], Unit]  # (kind, division) → unit
    grid_workers: dict[str, Agent]
    rooms: dict[str, Agent]  # township → its command room
    centres: dict[str, Agent]  # county or city → its governance centre
    staff: dict[int, tuple[Agent, ...]]  # unit → its staff


@dataclass
class CasePlan:
    """The planned rows, ready for bulk inserts."""

    cases: list[Row]
    ledger: Ledger

    def by(self, column: str) -> dict[str, int]:
        """How many cases have each value of a column (status, matter_code ...)."""
        return dict(sorted(Counter(str(row[column]) for row in self.cases).items()))


def plan_cases(
    world: CaseWorld,
    *,
    seed: int,
    now: datetime,
    first_ids: dict[str, int] | None = None,
    cases: int = DEMO_CASES,
    pilot: ParkingPilot | None = None,
) -> CasePlan:
    """Plan `cases` cases reported in the year before `now`, each driven as far as `now` allows.

    Kecheng's subdistricts get the parking pilot's stream of parking reports on top (scaled with
    `cases`), in place of those the general stream would put there (`demo.pilot`).
    `first_ids` gives the first id of each table (default 1), so the rows fit behind existing ones.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data
    pilot = pilot or parking_pilot(now)
    ledger = Ledger(ids={table: count(first) for table, first in (first_ids or {}).items()})
    pilot_rng = random.Random(seed + 2)  # noqa: S311 - demo data
    phones = random.Random(seed + 3)  # noqa: S311 - demo data
    # Each citizen calls from one number, so the 12345 desk finds a caller's earlier reports by it.
    citizens = [
        (name, f"13{phones.randrange(5, 10)}{phones.randrange(10**8):08d}")
        for name in person_names(2000, seed=seed + 1)
    ]
    planner = _Planner(world, rng, now, ledger, pilot, pilot_rng, pilot.switching(pilot_rng), citizens)
    matters = list(world.matters)
    weights = [MATTER_WEIGHTS.get(definition.code, 1.0) for _, definition in matters]
    parking = next((m for m in matters if m[1].code == pilot.matter), None)
    counties = sorted(world.villages)
    county_weights = [len(world.villages[c]) for c in counties]
    general: list[tuple[datetime, GridSpot | None]] = [(at, None) for at in _report_times(rng, now, cases)]
    planned = []
    stream = planner.stream(cases / DEMO_CASES) if parking else []
    # The stream's cases draw from a generator of their own: what the general stream does leaves them be.
    streamed = replace(planner, rng=random.Random(seed + 3))  # noqa: S311 - demo data
    for created_at, spot in sorted(general + stream, key=lambda report: report[0]):
        if spot is not None and parking is not None:
            planned.append(streamed.plan(parking, spot, created_at))
            continue
        matter = rng.choices(matters, weights=weights)[0]
        grid = planner.pick_grid(rng.choices(counties, weights=county_weights)[0], matter[1].code)
        planned.append(planner.plan(matter, grid, created_at))
    return CasePlan(cases=planned, ledger=planner.ledger)


def _report_times(rng: random.Random, now: datetime, n: int, *, stratified: bool = False) -> list[datetime]:
    """`n` report times in the year before `now`, slowly growing in number, mostly in the daytime.

    Stratified: the i-th time falls in the i-th of `n` equal shares of the year's reports, so the
    counts per month are steadier than independent draws give.
    """
    start = now - YEAR
    times: list[datetime] = []
    while len(times) < n:
        quantile = (len(times) + rng.random()) / n if stratified else rng.random()
        share = (-0.8 + (0.64 + 0.8 * quantile) ** 0.5) / 0.4  # density 0.8 + 0.4 x over the year
        day = (start + YEAR * share).astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        at = (day + timedelta(hours=hour, seconds=rng.randrange(3600))).astimezone(UTC)
        if start <= at < now:
            times.append(at)
    return sorted(times)


@dataclass
class _Planner:
    """Plans one case after another, remembering what all cases of a place or a matter share."""

    world: CaseWorld
    rng: random.Random
    now: datetime
    ledger: Ledger
    pilot: ParkingPilot
    pilot_rng: random.Random  # the parking stream's times and the pilot's draws
    switching: Quota  # which piloted citizens' reports the grid worker makes instead
    citizens: list[tuple[str, str]] = field(default_factory=list)  # name and phone
    shapes: dict[str, Polygon | MultiPolygon] = field(default_factory=dict)
    pools: dict[tuple[str, int, bool], tuple[tuple[str, ...], list[float]]] = field(default_factory=dict)
    helpers: dict[tuple[str, str], tuple[tuple[Unit, Agent], ...]] = field(default_factory=dict)

    def pick_grid(self, county: str, matter: str) -> GridSpot:
        """A grid of the county: villages weighted towards subdistricts or the country by the matter.

        Subdistricts whose parking reports come from the pilot's stream are left out for parking.
        """
        leaning = 1 if matter in URBAN else -1 if matter in RURAL else 0
        streamed = self.pilot.streams_in(matter, county)
        pool = self.pools.get((county, leaning, streamed))
        if pool is None:
            villages, towns = self.world.villages[county], self.world.subdistricts
            weights = [_weight(_township(v) in towns, leaning, streamed=streamed) for v in villages]
            pool = self.pools[(county, leaning, streamed)] = (villages, list(accumulate(weights)))
        village = self.rng.choices(pool[0], cum_weights=pool[1])[0]
        return self.rng.choice(self.world.grids[village])

    def stream(self, scale: float) -> list[tuple[datetime, GridSpot | None]]:
        """The pilot's parking reports in the county's subdistricts: times and grids, the thinned left out."""
        pilot, rng = self.pilot, self.pilot_rng
        townships = sorted(t for t in self.world.subdistricts if pilot.streams_in(pilot.matter, t))
        grids: dict[str, list[GridSpot]] = {t: [] for t in townships}
        for village in self.world.villages.get(pilot.county, ()):
            grids.get(_township(village), []).extend(self.world.grids[village])
        reports: list[tuple[datetime, GridSpot | None]] = []
        thinning = pilot.thinning(rng)
        for township in townships:
            for at in _report_times(rng, self.now, pilot.yearly(township, scale), stratified=True):
                grid = rng.choice(grids[township])
                if not (pilot.is_piloted(pilot.matter, grid.code, at) and thinning.take()):
                    reports.append((at, grid))
        return reports

    def point_in(self, grid: GridSpot) -> tuple[float, float]:
        """A random point inside the grid's polygon (drawn in its bounding box until one falls inside)."""
        shape = self.shapes.get(grid.code)
        if shape is None:
            shape = self.shapes[grid.code] = areal_from_geojson(grid.geometry)
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        while True:
            xs = [self.rng.uniform(min_lon, max_lon) for _ in range(8)]
            ys = [self.rng.uniform(min_lat, max_lat) for _ in range(8)]
            for x, y, inside in zip(xs, ys, shapely.contains_xy(shape, xs, ys), strict=True):
                if inside:
                    return round(x, 6), round(y, 6)

    def plan(self, matter: tuple[int, MatterDefinition], grid: GridSpot, created_at: datetime) -> Row:
        """One case: routed as `cases.routing.route` does, reported, then lived up to now."""
        version_id, definition = matter
        point = self.point_in(grid)
        handling = handling_division(grid.code, definition.handling_level)
        routing = self.world.routes[(definition.code, handling)]
        lead = routing.lead_unit
        contact = self.world.contacts.get((grid.code, lead.id))
        channel = self.rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
        piloted = self.pilot.is_piloted(definition.code, grid.code, created_at)
        if piloted:
            channel = self.pilot.channel(channel, CITIZEN_CHANNELS, self.switching)
        reporter, party, citizen = self.reporter(channel, grid.code)
        case_id = self.ledger.next_id("cases")
        cast = self.cast(definition, routing, grid, reporter, party)
        life = Life(case_id, definition, routing.handler_level, cast, lead.id, point, self.now, self.rng, self.ledger)
        life.pace = self.pilot.pace if piloted else 1.0
        routed: Row = {"routed_unit_id": lead.id, "routed_unit": lead.name,
                       "dispatcher_division": routing.dispatcher_division, "handling_division": handling}  # fmt: skip
        life.report(created_at, routed, {"contact_position_id": contact, "grid_code": grid.code} if contact else None)
        live(life)
        return {
            "id": case_id, "number": case_number(case_id, created_at), "matter_code": definition.code,
            "matter_version_id": version_id, "channel": channel, "lon": point[0], "lat": point[1],
            "place_code": grid.code, "grid_code": grid.code, "handling_division": handling,
            "dispatcher_division": routing.dispatcher_division, "routed_unit_id": lead.id,
            "handler_level": routing.handler_level.value, "contact_position_id": contact,
            "originator_person_id": reporter.person_id, "originator_account_id": None,
            "reporter_name": citizen[0] if citizen else None, "reporter_phone": citizen[1] if citizen else None,
            "duplicate_of_id": None, "created_at": created_at, "updated_at": life.at, "closed_at": life.closed_at,
            **_texts(self.rng, definition, grid, created_at),
            **state_columns(
                definition,
                life.state,
                routing.handler_level.value,
                phase_clock(OFFICIAL, definition, life.state, routing.handler_level.value),
            ),
        }  # fmt: skip

    def reporter(self, channel: str, grid: str) -> tuple[Agent, Party, tuple[str, str] | None]:
        """Citizens call the hotline or use the web; grid workers use the app; warnings come from the room."""
        if channel in CITIZEN_CHANNELS:
            rng = self.rng
            name, phone = rng.choice(self.citizens)
            (
                rng.randrange(5, 10),
                rng.randrange(10**8),
            )  # the draws a number once took: the rest of the demo stays as it was
            audit_name = "hotline:12345" if channel == "hotline" else f"citizen:{phone[:3]}****{phone[-4:]}"
            return Agent(None, audit_name, "citizen"), Party.CITIZEN, (name, phone)
        agent = self.world.rooms[_township(grid)] if channel in ROOM_CHANNELS else self.world.grid_workers[grid]
        return agent, Party.ORIGINATOR, None

    def cast(
        self, definition: MatterDefinition, routing: Routing, grid: GridSpot, reporter: Agent, party: Party
    ) -> Cast:
        """Who acts on the case: its reporter, the command room that triages it, a member of the lead unit."""
        world, dispatching = self.world, routing.dispatcher_division
        return Cast(
            reporter=reporter,
            reporter_party=party,
            dispatcher=(world.rooms if DivisionCode(dispatching).level is TOWNSHIP else world.centres)[dispatching],
            lead=self.rng.choice(world.staff[routing.lead_unit.id]),
            helpers=self.helpers_for(definition, routing),
            township=(_township(grid.code), world.names[_township(grid.code)]),
        )

    def helpers_for(self, definition: MatterDefinition, routing: Routing) -> tuple[tuple[Unit, Agent], ...]:
        """The units of the matter's collaborating kinds serving the place (the nearest one up), each once."""
        key = (definition.code, routing.handling_division)
        if key not in self.helpers:
            found: dict[int, tuple[Unit, Agent]] = {}
            for kind in definition.collaborator_kinds:
                places = ancestor_codes(routing.handling_division)
                unit = next((u for code in places if (u := self.world.units.get((kind, code)))), None)
                if unit is not None and unit.id != routing.lead_unit.id and self.world.staff.get(unit.id):
                    found.setdefault(unit.id, (unit, self.world.staff[unit.id][0]))
            self.helpers[key] = tuple(found.values())
        return self.helpers[key]


def _weight(subdistrict: bool, leaning: int, *, streamed: bool) -> float:
    """A village's weight: none where the pilot's stream reports the matter, more where the matter leans."""
    if streamed and subdistrict:
        return 0.0
    return LEANING if leaning and subdistrict == (leaning > 0) else 1.0


def _township(code: str) -> str:
    return DivisionCode(code).at(TOWNSHIP).value


def _as_said(question: str, key: str, answer: str) -> str | None:
    """A chosen value as a reporter would write it: a yes to 是否影响通行 is 影响通行, a no is left unsaid."""
    if question.startswith("是否") and key in {"yes", "no"}:
        return question.removeprefix("是否") if key == "yes" else None
    return answer


def _texts(rng: random.Random, definition: MatterDefinition, grid: GridSpot, created_at: datetime) -> Row:
    """Description, address and intake attributes that fit the matter's definition."""
    attributes = {
        a.code: _attribute(rng, a, grid.place, created_at)
        for a in definition.attributes
        if a.required or rng.random() < OPTIONAL_FILLED
    }
    chosen: list[str] = []
    for a in definition.attributes:
        picked = attributes.get(a.code)
        values = [v for v in a.values if v.key == picked or (isinstance(picked, list) and v.key in picked)]
        chosen += [said for v in values if (said := _as_said(a.name_zh, v.key, v.name_zh))]
    phrase = PHRASES.get(definition.code, definition.name_zh)
    details = f"（{'、'.join(chosen[:3])}）" if chosen else ""
    return {
        "description": f"{grid.place}附近{phrase}{details}，请尽快处理。",
        "address": f"{grid.place}{rng.randint(1, 300)}号",
        "attributes": attributes,
    }


def _attribute(rng: random.Random, attribute: AttributeDefinition, place: str, created_at: datetime) -> object:
    keys = [value.key for value in attribute.values]
    match attribute.datatype:
        case Datatype.SINGLEVALUELIST:
            return rng.choice(keys)
        case Datatype.MULTIVALUELIST:
            return sorted(rng.sample(keys, rng.randint(1, min(2, len(keys)))))
        case Datatype.NUMBER:
            low, high = NUMBER_RANGES.get(attribute.code, (1, 40))
            return rng.randint(low, high)
        case Datatype.DATETIME:
            return (created_at - timedelta(minutes=rng.randint(5, 240))).isoformat()
    return _text(rng, attribute, place, created_at)


def _text(rng: random.Random, attribute: AttributeDefinition, place: str, created_at: datetime) -> str:
    code = attribute.code
    if "plate" in code:
        return f"浙H{rng.choice('ABCDEFGHJK')}{rng.randrange(10_000):04d}"
    if code in STRING_CHOICES:
        return rng.choice(STRING_CHOICES[code])
    if code == "credit_code":
        # A valid code (check characters and all), as the matter's format asks: 衢州市 (330800), a company (91).
        return credit_code.compose("9", "1", "330800", f"MA{rng.randrange(10**8) % 10**6:06d}")
    if code in {"approval_number", "batch_number"}:
        return f"{created_at:%Y}{rng.randrange(10**6):06d}"
    return f"{place}{NAME_SUFFIXES.get(code, attribute.name_zh)}"
