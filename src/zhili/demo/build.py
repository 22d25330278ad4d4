"""The demo: the Quzhou world plus a login for every demo role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.service import create_account
from zhili.analytics.projector import refresh
from zhili.campaigns.templates_service import seed_templates
from zhili.core import statistics
from zhili.core.auth import system_actor
from zhili.core.clock import Clock
from zhili.core.credentials import hash_password
from zhili.demo.alert_rules import seed_demo_alert_rules
from zhili.demo.assessment import build_demo_assessment
from zhili.demo.case_timers import schedule_demo_timers
from zhili.demo.cases import DemoCases, build_demo_cases
from zhili.demo.command_groups import build_demo_groups
from zhili.demo.firms import FIRMS, build_demo_firms
from zhili.demo.live_campaign import HEAT, TYPHOON, dispatch_live_campaign
from zhili.demo.pilot import parking_pilot, register_demo_pilot
from zhili.demo.plan import DEMO_CASES
from zhili.demo.world import DEFAULT_SEED, DemoWorld, Step, build_demo_world
from zhili.matters.service import sync_catalog
from zhili.org.geo import LocatorCache
from zhili.org.models import Department, Position
from zhili.org.roles import Role

DEMO_PASSWORD = "zhili-demo"  # noqa: S105 - printed on purpose; demo databases only

LOGIN_LABELS = {
    "admin": "系统管理员 Administrator",
    "qz-centre": "衢州市社会治理中心 City governance centre",
    "kc-centre": "柯城区社会治理中心 Kecheng governance centre",
    "ly-centre": "龙游县社会治理中心 Longyou governance centre",
    "fushan": "府山街道指挥室 Fushan command room",
    "huzhen": "湖镇镇指挥室 Huzhen command room",
    "village": "湖镇镇村两委 Village committee",
    "community": "府山街道社区两委 Community committee (the grid worker's supervisor)",
    "gridworker": "府山街道网格员 Grid worker",
    "gridhead": "湖镇镇网格长 Grid head",
    "teamleader": "湖镇镇组团联村团长 Team leader",
    "partymember": "湖镇镇联户党员 Party member",
    "kc-traffic": "柯城交警 Kecheng traffic police",
    "kc-traffic-head": "柯城交警负责人 Traffic police head",
    "qj-hrss": "衢江区人社 Qujiang HR & social security",
    "kc-enforcement": "柯城区综合行政执法队 Kecheng law enforcement (collaborator)",
    "kc-housing": "柯城区住建局 Kecheng housing & construction (collaborator)",
}
# Staff of units that collaborate on illegal parking in 柯城区, so every party of the loop can log in.
UNIT_LOGINS = {"kc-enforcement": ("enforcement", "330802"), "kc-housing": ("housing", "330802")}


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and what it stands for."""

    username: str
    label: str


def build_demo(
    session: Session,
    *,
    clock: Clock,
    seed: int = DEFAULT_SEED,
    step: Step | None = None,
    firms: int = FIRMS,
    cases: int = DEMO_CASES,
) -> tuple[DemoWorld, list[DemoLogin], DemoCases]:
    """Build the demo world into an empty database, load the matter catalog and a year of cases, create the logins.

    `firms` and `cases` scale the feeds and the year of cases (a quick look or a test); the defaults are the demo's.
    """
    actor = system_actor("demo")
    say = step or _quiet
    locators = LocatorCache()  # the point locators, built once for the steps that report cases
    world = build_demo_world(session, actor=actor, clock=clock, seed=seed, step=step)
    say("matter catalog")
    sync_catalog(session, actor=actor, clock=clock)
    say(f"a year of cases; {parking_pilot(clock.now()).describe()}")
    built = build_demo_cases(session, seed=seed, clock_now=clock.now(), actor=actor, cases=cases)
    say("task templates")
    seed_templates(session, actor=actor, clock=clock)
    say("alert trigger rules: a typhoon warning for 龙游县 dispatches the typhoon campaign")
    seed_demo_alert_rules(session, actor=actor, clock=clock)
    say("running clocks")
    schedule_demo_timers(session, now=clock.now())
    session.commit()
    say("a live campaign in 柯城区 (heat wave)")
    logged_in = frozenset(session.scalars(select(Position.person_id).where(Position.id.in_(world.logins.values()))))
    heat = dispatch_live_campaign(session, HEAT, actor=actor, now=clock.now(), leave=logged_in)
    say("assessment: cards, last month's ratings, closed months")
    build_demo_assessment(session, seed=seed, now=clock.now())
    say(f"{firms:,} firms, three years of department feeds, last month's warnings")
    build_demo_firms(session, clock=clock, seed=seed, locators=locators, firms=firms)
    say("KPI cells and the parking pilot")
    refresh(session, now=clock.now(), full=True)
    register_demo_pilot(session, parking_pilot(clock.now()), actor=actor, now=clock.now())
    say("demo logins")
    hashed = hash_password(DEMO_PASSWORD)  # one password for every demo login: hashed once
    people: dict[str, int | None] = {"admin": None}  # the administrator is no one's post
    for username, position_id in {**world.logins, **_unit_logins(session)}.items():
        post = session.get(Position, position_id)
        assert post is not None  # noqa: S101 - the world was just built
        people[username] = post.person_id
    logins = []
    for username, person_id in people.items():
        create_account(
            session,
            username=username,
            password=DEMO_PASSWORD,
            person_id=person_id,
            is_admin=username == "admin",
            actor=actor,
            clock=clock,
            hashed=hashed,
        )
        logins.append(DemoLogin(username, LOGIN_LABELS.get(username, username)))
    say("command groups: 府山 rainstorm (active), 柯城 heat (stable), 龙游 typhoon (closed)")
    build_demo_groups(session, now=clock.now(), campaign_id=heat, locators=locators)
    refresh(session, now=clock.now())  # the flood case the rainstorm group was opened from
    # After the groups' history (some of it weeks old): inboxes list by arrival, so its notices come out on top.
    say("a live campaign in 阳湖社区 (typhoon)")
    dispatch_live_campaign(session, TYPHOON, actor=actor, now=clock.now(), leave=logged_in)
    say("planner statistics")
    statistics.gather(session)
    session.commit()
    return world, logins, built


def _quiet(_message: str) -> None:
    """No progress to tell."""


def _unit_logins(session: Session) -> dict[str, int]:
    """A staff post in each unit of `UNIT_LOGINS` (the first by id)."""
    found: dict[str, int] = {}
    for username, (kind, division) in UNIT_LOGINS.items():
        post = session.scalar(
            select(Position.id)
            .join(Department, Department.id == Position.department_id)
            .where(Department.kind_code == kind, Department.division_code == division, Position.role == Role.DEPT_STAFF)
            .order_by(Position.id)
            .limit(1)
        )
        if post is not None:
            found[username] = post
    return found
