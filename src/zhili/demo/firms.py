"""The demo's enterprises: about 20,000 Quzhou firms with three years of department feeds, a month's warnings.

Drawn by `early_warning.synthetic` (the labelled generator of the benchmark): firms of Quzhou's mix in
the six counties, each placed at a point inside a grid of its county, with 36 months of electricity,
water, payroll, tax and social-insurance figures up to last month, legal and credit events and
complaints, seasons and harmless dips, and about 1.5 % a year drifting into wage arrears. Written
through the register's and the feeds' bulk loads, one batch per feed and month as a department
would deliver them. The detectors' cut-offs are then calibrated on the past year (a county sets
them to what its inspectors can check), last month is run through the loop (cases opened or joined),
a few hotline cases about firms in trouble come first so that warnings join them, and a few
warnings carry the labour unit's verdict.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
from shapely.geometry import shape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case
from zhili.core.auth import system_actor
from zhili.core.clock import Clock
from zhili.core.db import make_session_factory
from zhili.core.local_time import to_local
from zhili.core.months import Month
from zhili.demo.names import person_names, short_village_name
from zhili.early_warning import detector_store, industries, loop, register
from zhili.early_warning.detect.assess import score_history
from zhili.early_warning.detect.config import load_default
from zhili.early_warning.detect.grades import calibrate
from zhili.early_warning.feeds import store
from zhili.early_warning.feeds.packed import MONTHLY, store_arrays
from zhili.early_warning.feeds.schema import COMPLAINT_KINDS, FEEDS, LEGAL_EVENT_KINDS, FeedKind, Shape
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.run import run_month
from zhili.early_warning.synthetic import SyntheticPanel, SyntheticParams, generate
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.geo import LocatorCache
from zhili.org.models import Division, Person

FIRMS: Final = 20_000
MONTHS: Final = 36
RATES: Final = (600.0, 200.0, 60.0)  # yellow, orange, red warnings per 100,000 firms a month, set on the past year
STORIES: Final = 4  # hotline cases about firms already in trouble, before the run
STORY_REPORTER: Final = "陈立军"  # a worker who called on behalf of the others
VERDICTS: Final = 12
BRANDS: Final = ("恒达", "顺发", "鑫源", "华盛", "宏远", "金诚", "永兴", "瑞丰", "天成", "东方", "信达", "博远")
BRANDS_MORE: Final = ("汇通", "佳和", "创新", "盛世", "中联", "新华", "利民", "安泰", "衢源", "柯达", "江山", "龙腾")
KINDS: Final = {
    "C": ("机械", "电器", "五金", "纸业", "塑业", "化工", "食品", "纺织"),
    "E": ("建筑劳务", "建设工程", "装饰工程", "市政工程"),
    "F": ("商贸", "贸易", "超市", "建材"),
    "H": ("餐饮", "酒店", "农家乐"),
    "G": ("物流", "运输", "快递"),
}
SUFFIX: Final = "有限公司"
STREETS: Final = ("工业园区", "创业路", "兴业街", "经济开发区", "物流园", "商贸城", "新村路")
PLACE_LEVELS: Final = (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE)


@dataclass(frozen=True)
class DemoFirms:
    """What the demo's early warning holds."""

    firms: int
    firm_months: int
    events: int
    warnings: int
    cases_opened: int
    cases_joined: int


def build_demo_firms(
    session: Session, *, clock: Clock, seed: int, locators: LocatorCache, firms: int = FIRMS
) -> DemoFirms:
    """Register the firms, load their feeds, calibrate the detectors, run last month (commits as it goes).

    `locators` are the build's, shared by its steps (building them costs about a CPU-second).
    """
    last = Month.containing(to_local(clock.now()).date()) + -1
    synthetic = generate(SyntheticParams(firms=firms, months=MONTHS, first=last + (1 - MONTHS)), seed)
    rng = random.Random(seed)  # noqa: S311 - demo data
    register.insert_many(session, _register_rows(session, synthetic, rng, clock.now()))
    batches = _batches(session, synthetic, clock.now())
    columns, rows = _panel_rows(synthetic, batches)
    store.insert_panel(session, columns, rows)
    _pack(session, synthetic)
    events = _event_rows(synthetic, batches, rng)
    store.upsert_events(session, events)
    session.commit()
    _calibrate(session, synthetic, last, clock)
    _stories(session, synthetic, last, clock, locators)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    summary = run_month(
        make_session_factory(engine),
        month=last,
        clock=clock,
        locators=locators,
    )
    _history(session, synthetic, last, summary.run_id, clock)
    _verdicts(session, synthetic, last, clock)
    return DemoFirms(
        firms=firms,
        firm_months=len(rows),
        events=len(events),
        warnings=summary.warnings,
        cases_opened=summary.cases_opened,
        cases_joined=summary.cases_joined,
    )


def _register_rows(
    session: Session, synthetic: SyntheticPanel, rng: random.Random, now: datetime
) -> list[dict[str, Any]]:
    grids = _grid_points(session)
    codes = synthetic.credit_codes()
    people = _representatives(session, len(codes), seed=synthetic.seed)
    rows = []
    for row, code in enumerate(codes):
        county = str(synthetic.division[row])
        grid, place, (lon, lat) = rng.choice(grids[county])
        section = industries.CODES[int(synthetic.panel.industries[row])]
        size = synthetic.size_names[int(synthetic.size_class[row])]
        rows.append(
            {
                "id": int(synthetic.panel.firm_ids[row]),
                "credit_code": code,
                "name": _name(rng, section),
                "industry": section,
                "legal_representative": people[row],
                "address": f"{place}{rng.choice(STREETS)}{rng.randint(1, 199)}号",
                "division_code": grid,
                "grid_code": grid,
                "size": size if size in {"large", "medium", "small", "micro"} else "small",
                "employees": int(synthetic.headcount[row]),
                "lon": lon,
                "lat": lat,
                "registered_at": now,
                "updated_at": now,
            }
        )
    return rows


def _representatives(session: Session, count: int, *, seed: int) -> list[str]:
    """Legal representatives' names, none shared with a person or a reporter of the world (a name names one party)."""
    taken = set(session.scalars(select(Person.name))) | set(
        session.scalars(select(Case.reporter_name).where(Case.reporter_name.is_not(None)))
    )
    found: list[str] = []
    batch = 0
    while len(found) < count:
        found += [name for name in person_names(count, seed=seed + batch) if name not in taken]
        batch += 1
    return found[:count]


def _name(rng: random.Random, section: str) -> str:
    brand = rng.choice(BRANDS + BRANDS_MORE)
    kind = rng.choice(KINDS.get(section, ("实业", "科技", "服务")))
    return f"衢州市{brand}{kind}{SUFFIX}"


def _grid_points(session: Session) -> dict[str, list[tuple[str, str, tuple[float, float]]]]:
    """A point inside each grid of Quzhou with its place in words (county, township, village), by county."""
    names = dict(session.execute(select(Division.code, Division.name).where(Division.level != "grid")).all())
    found: dict[str, list[tuple[str, str, tuple[float, float]]]] = {}
    rows = session.execute(select(Division.code, Division.geometry).where(Division.level == "grid")).all()
    for code, geometry in rows:
        if geometry:
            point = shape(json.loads(geometry)).representative_point()
            grid = DivisionCode(code)
            place = "".join(short_village_name(names.get(str(grid.at(level)), "")) for level in PLACE_LEVELS)
            county = str(grid.at(DivisionLevel.COUNTY))
            found.setdefault(county, []).append((code, place, (round(point.x, 6), round(point.y, 6))))
    return found


def _batches(session: Session, synthetic: SyntheticPanel, now: datetime) -> dict[tuple[FeedKind, int], int]:
    """One batch per feed and month, as each department delivered it (the month after)."""
    found = {}
    panel = synthetic.panel
    for kind, feed in FEEDS.items():
        for column in range(panel.months):
            month = panel.first + column
            delivered = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(days=40)
            found[kind, column] = store.add_batch(
                session,
                kind=kind,
                mode="replace",
                source=f"demo-{kind.value}-{month}.csv",
                provider=feed.provider_zh,
                months=[month],
                accepted=len(panel.firm_ids),
                rejected=0,
                rejections=[],
                at=min(delivered, now),
                by="demo",
            )
    return found


def _panel_rows(
    synthetic: SyntheticPanel, batches: dict[tuple[FeedKind, int], int]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every firm-month with every monthly indicator (None where the department did not deliver), as tuples."""
    panel = synthetic.panel
    monthly = [feed for feed in FEEDS.values() if feed.shape is Shape.MONTHLY]
    indicators = [indicator for feed in monthly for indicator in feed.indicators]
    names = ["enterprise_id", "month", *(i.value for i in indicators), *(store.batch_column(f.kind) for f in monthly)]
    cells = []
    for indicator in indicators:
        values = panel.values[indicator].astype(np.float64)
        rounded = np.round(values, 2).astype(object)
        rounded[np.isnan(values)] = None
        cells.append(rounded)
    firm_ids = panel.firm_ids.tolist()
    rows: list[tuple[Any, ...]] = []
    for column in range(panel.months):
        month = (panel.first + column).index
        batch = tuple(batches[feed.kind, column] for feed in monthly)
        columns = [values[:, column].tolist() for values in cells]
        rows.extend((firm, month, *row, *batch) for firm, *row in zip(firm_ids, *columns, strict=True))
    return names, rows


def _pack(session: Session, synthetic: SyntheticPanel) -> None:
    """The panel's packed columns, straight from the arrays (what `packed.refresh` would make)."""
    panel = synthetic.panel
    for column in range(panel.months):
        packed = {indicator: (panel.firm_ids, panel.values[indicator][:, column]) for indicator in MONTHLY}
        store_arrays(session, panel.first + column, packed)


def _event_rows(
    synthetic: SyntheticPanel, batches: dict[tuple[FeedKind, int], int], rng: random.Random
) -> list[dict[str, Any]]:
    """The legal and credit events and complaints the panel counts, each with a kind, a day and a number."""
    panel = synthetic.panel
    rows: list[dict[str, Any]] = []
    for kind, indicator, choices in (
        (FeedKind.LEGAL_EVENTS, Indicator.LEGAL_EVENTS, LEGAL_EVENT_KINDS),
        (FeedKind.COMPLAINTS, Indicator.COMPLAINTS, COMPLAINT_KINDS),
    ):
        counts = np.nan_to_num(panel.values[indicator]).astype(np.int64)
        for row, column in zip(*np.nonzero(counts), strict=True):
            month = panel.first + int(column)
            rows.extend(
                {
                    "enterprise_id": int(panel.firm_ids[row]),
                    "feed": kind.value,
                    "kind": rng.choice(choices),
                    "month": month.index,
                    "occurred_on": date(month.year, month.month, rng.randint(1, 28)),
                    "reference": f"{kind.value[:1].upper()}{month.year}{month.month:02d}-{int(row):05d}-{n + 1}",
                    "authority": None,
                    "workers": rng.randint(2, 30) if kind is FeedKind.COMPLAINTS else None,
                    "batch_id": batches[kind, int(column)],
                }
                for n in range(int(counts[row, column]))
            )
    return rows


def _calibrate(session: Session, synthetic: SyntheticPanel, last: Month, clock: Clock) -> None:
    """Cut-offs set on the past year, to warnings a county's inspectors can check (`RATES`)."""
    config = load_default()
    history = score_history(synthetic.panel, config, last + -12, last + -1)
    calibrated = calibrate(config, history, RATES).model_dump(mode="json")
    note = "按近一年数据校准：每10万户企业每月黄色及以上600、橙色及以上200、红色60 / calibrated on the past year"
    detector_store.current(session, now=clock.now())
    detector_store.save(session, actor=system_actor("demo"), clock=clock, config=calibrated, note=note)


def _stories(session: Session, synthetic: SyntheticPanel, last: Month, clock: Clock, locators: LocatorCache) -> None:
    """Workers of a few firms already in trouble called the hotline: the run's warnings join these cases."""
    panel = synthetic.panel
    troubled = [row for row in range(len(panel.firm_ids)) if synthetic.arrears_on(row) in {last, last + -1}]
    actor = replace(system_actor("hotline"), display_name="12345 热线")
    for row in troubled[:STORIES]:
        firm = register.load(session, int(panel.firm_ids[row]))
        data = CaseCreate(
            matter="wage_arrears",
            point=Point(lon=firm.lon, lat=firm.lat) if firm.lon is not None and firm.lat is not None else None,
            address=firm.address,
            description=f"{firm.name}拖欠工人工资两个月，多名工人来电反映。",
            channel="hotline",
            reporter_name=STORY_REPORTER,
            attributes={
                "employer_name": firm.name,
                "credit_code": firm.credit_code,
                "workers_affected": 12,
                "months_owed": 2,
                "employment_type": "construction_project" if firm.industry == "E" else "manufacturing",
            },
        )
        report_case(session, data=data, actor=actor, clock=clock, locators=locators)


def _history(session: Session, synthetic: SyntheticPanel, last: Month, run_id: int, clock: Clock) -> None:
    """The eleven months before the run, scored the same way, for the firm pages' charts."""
    _config_id, config = detector_store.current(session, now=clock.now())
    first = last + -11
    history = score_history(synthetic.panel, config, first, last + -1)
    loop.store_history(
        session, run_id=run_id, first=first, firm_ids=synthetic.panel.firm_ids, scores=history, cutoffs=config.grades
    )
    session.commit()


def _verdicts(session: Session, synthetic: SyntheticPanel, last: Month, clock: Clock) -> None:
    """The labour unit has checked a few warnings: arrears found where the firm was failing, else a false alarm."""
    truth = {int(f): synthetic.arrears_on(row) for row, f in enumerate(synthetic.panel.firm_ids)}
    warnings = loop.month_warnings(session, last)
    step = max(1, len(warnings) // VERDICTS)
    for warning in warnings[::step][:VERDICTS]:  # across the grades, not only the surest
        arrears = truth.get(warning.enterprise_id)
        right = arrears is not None and arrears - last <= 3  # noqa: PLR2004 - the horizon
        verdict = loop.Verdict.CONFIRMED if right else loop.Verdict.FALSE_ALARM
        note = "经核实，企业拖欠工资" if right else "经核实，企业生产经营正常，系季节性波动"
        loop.record_verdict(
            session, actor=system_actor("demo"), clock=clock, warning_id=warning.id, verdict=verdict, note=note
        )
