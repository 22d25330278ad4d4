"""The demo world's year of cases: read the places and units once, plan in memory, insert in bulk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.cases import collaboration, meetings, photos, store
from zhili.cases.models import Case, CaseEvent, CasePhoto, CaseTask, CollaborationRequest, Meeting, MeetingAttendee
from zhili.cases.routing import COUNTY, TOWNSHIP, Routing, handling_division, route
from zhili.core import audit
from zhili.core.audit import AuditEntry
from zhili.core.auth import Actor
from zhili.core.db import commit
from zhili.demo.lives import Agent, Unit
from zhili.demo.names import short_village_name
from zhili.demo.pilot import ParkingPilot, parking_pilot
from zhili.demo.plan import DEMO_CASES, CasePlan, CaseWorld, GridSpot, plan_cases
from zhili.matters.definition import MatterDefinition
from zhili.matters.models import MatterVersion
from zhili.matters.queries import parse_stored
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, Division, GridContact, Person, Position
from zhili.org.roles import Role

VILLAGE = DivisionLevel.VILLAGE
MODELS = (Case, CaseEvent, CollaborationRequest, Meeting, MeetingAttendee, CaseTask, CasePhoto)


@dataclass(frozen=True)
class DemoCases:
    """What was made: rows per table and the cases by status and by matter."""

    cases: int
    events: int
    help_requests: int
    meetings: int
    tasks: int
    by_status: dict[str, int]
    by_matter: dict[str, int]
    pilot: ParkingPilot  # the parking pilot the cases play back


def build_demo_cases(
    session: Session, *, seed: int, clock_now: datetime, actor: Actor, cases: int = DEMO_CASES
) -> DemoCases:
    """Plan a year of cases before `clock_now` and insert them with one audit record each, in one commit."""
    world = load_case_world(session)
    first_ids = {model.__tablename__: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in MODELS}
    pilot = parking_pilot(clock_now)
    plan = plan_cases(world, seed=seed, now=clock_now, first_ids=first_ids, cases=cases, pilot=pilot)
    ledger = plan.ledger
    # Through the owners' bulk loads, parents first: one executemany per table.
    store.insert_many(session, plan.cases, ledger.events)
    collaboration.insert_requests(session, ledger.requests)
    meetings.insert_meetings(session, ledger.meetings, ledger.attendees, ledger.tasks)
    photos.insert_photos(session, ledger.photos)
    audit.record_many(session, _audit_entries(plan, actor), at=clock_now)
    commit(session)
    return DemoCases(
        cases=len(plan.cases),
        events=len(ledger.events),
        help_requests=len(ledger.requests),
        meetings=len(ledger.meetings),
        tasks=len(ledger.tasks),
        by_status=plan.by("status"),
        by_matter=plan.by("matter_code"),
        pilot=pilot,
    )


def _audit_entries(plan: CasePlan, actor: Actor) -> list[AuditEntry]:
    """One record per case, carrying its timeline (kind, time and actor of every event).

    The records are appended when the demo is built, so they carry the build time; the times of what
    happened are in the timeline. One record per case rather than per event keeps the chain, and
    every `audit verify`, an order of magnitude shorter.
    """
    timelines: dict[object, list[list[str]]] = defaultdict(list)
    for event in plan.ledger.events:
        at = event["at"]
        when = at.isoformat() if isinstance(at, datetime) else str(at)
        timelines[event["case_id"]].append([str(event["kind"]), when, str(event["actor"])])
    return [
        AuditEntry(
            actor=actor.audit_name,
            role=actor.audit_role,
            action="case.demo_history",
            entity_type="case",
            entity_id=str(case["id"]),
            after={
                "number": case["number"],
                "matter": case["matter_code"],
                "place": case["place_code"],
                "status": case["status"],
                "events": timelines[case["id"]],
            },
        )
        for case in plan.cases
    ]


def load_case_world(session: Session) -> CaseWorld:
    """Read what the plan needs: current matters, grids with polygons, routes, units and people."""
    matters = tuple(
        (version_id, parse_stored(text))
        for version_id, text in session.execute(
            select(MatterVersion.id, MatterVersion.definition)
            .where(MatterVersion.is_current)
            .order_by(MatterVersion.code)
        )
    )
    divisions = select(Division.code, Division.name).where(Division.level.in_(("township", "village")))
    names = dict(session.execute(divisions).all())
    grid_rows = session.execute(
        select(Division.code, Division.geometry).where(Division.level == "grid").order_by(Division.code)
    ).all()
    grids: dict[str, list[GridSpot]] = defaultdict(list)
    for code, geometry in grid_rows:
        if geometry:
            village = DivisionCode(code).at(VILLAGE).value
            grids[village].append(GridSpot(code, _place_name(names.get(village, "")), geometry))
    villages: dict[str, list[str]] = defaultdict(list)
    for village in grids:
        villages[DivisionCode(village).at(COUNTY).value].append(village)
    grid_workers, rooms, centres, staff = _agents(session)
    return CaseWorld(
        matters=matters,
        villages={county: tuple(codes) for county, codes in villages.items()},
        grids={village: tuple(spots) for village, spots in grids.items()},
        subdistricts=frozenset(
            code for code, name in names.items() if DivisionCode(code).level is TOWNSHIP and name.endswith("街道")
        ),
        names=names,
        routes=_routes(session, matters, [code for code, *_ in grid_rows]),
        contacts={
            (grid, unit): post
            for grid, unit, post in session.execute(
                select(GridContact.grid_code, GridContact.department_id, GridContact.position_id)
            )
        },
        units={
            (kind, division): Unit(unit_id, name)
            for unit_id, kind, division, name in session.execute(
                select(Department.id, Department.kind_code, Department.division_code, Department.name)
            )
        },
        grid_workers=grid_workers,
        rooms=rooms,
        centres=centres,
        staff=staff,
    )


def _place_name(village: str) -> str:
    """A village's everyday name: 全旺村村委会 → 全旺村 (not 全旺村村)."""
    short = short_village_name(village)
    return short[:-1] if short.endswith("村村") else short


def _routes(
    session: Session, matters: tuple[tuple[int, MatterDefinition], ...], grids: list[str]
) -> dict[tuple[str, str], Routing]:
    """Route once per matter and handling division: lead, level and dispatcher depend on nothing finer.

    The grid's contact, the one thing that does, is looked up per case in `CaseWorld.contacts`.
    """
    routes: dict[tuple[str, str], Routing] = {}
    for _version_id, definition in matters:
        for grid in grids:
            key = (definition.code, handling_division(grid, definition.handling_level))
            if key not in routes:
                routes[key] = route(session, definition, grid)
    return routes


Agents = tuple[dict[str, Agent], dict[str, Agent], dict[str, Agent], dict[int, tuple[Agent, ...]]]


def _agents(session: Session) -> Agents:
    """The first grid worker of each grid, command room of each township, centre of each county; unit staff."""
    roles = (Role.GRID_WORKER, Role.TOWNSHIP_COMMAND, Role.CENTRE_STAFF, Role.DEPT_STAFF, Role.DEPT_HEAD)
    rows = session.execute(
        select(Position.role, Position.division_code, Position.department_id, Person.id, Person.name)
        .join(Person, Person.id == Position.person_id)
        .where(Position.role.in_([r.value for r in roles]))
        .order_by(Position.id)
    )
    first: dict[str, dict[str, Agent]] = {Role.GRID_WORKER: {}, Role.TOWNSHIP_COMMAND: {}, Role.CENTRE_STAFF: {}}
    staff: dict[int, list[Agent]] = defaultdict(list)
    heads: dict[int, Agent] = {}
    for role, division, unit, person_id, name in rows:
        agent = Agent(person_id, f"person:{person_id}:{name}", role)
        if role in first:
            first[role].setdefault(division, agent)
        elif role == Role.DEPT_STAFF and unit is not None:
            staff[unit].append(agent)
        elif unit is not None:
            heads.setdefault(unit, agent)
    return (
        first[Role.GRID_WORKER],
        first[Role.TOWNSHIP_COMMAND],
        first[Role.CENTRE_STAFF],
        {unit: tuple(staff.get(unit) or [head]) for unit, head in heads.items()},
    )
