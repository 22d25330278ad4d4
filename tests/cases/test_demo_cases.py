"""The demo world's year of cases: spread, lifecycle, record and determinism, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

import shapely
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from tests.conftest import START, World

from zhili.cases.attributes import validate_attributes
from zhili.cases.models import Case, CaseEvent, CasePhoto, CaseTask, CollaborationRequest, Meeting, MeetingAttendee
from zhili.cases.states import ROUTING_ACTOR, CommandKind
from zhili.command_groups.models import CommandGroup
from zhili.core import audit
from zhili.core.audit import AuditRecord
from zhili.demo.cases import load_case_world
from zhili.demo.firms import STORIES
from zhili.demo.plan import DEMO_CASES, plan_cases
from zhili.demo.world import DEFAULT_SEED
from zhili.matters import queries as matters
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Department, Division, Person

OPEN_STAGES = {"reported", "accepted", "dispatched", "signed", "in_progress", "feedback", "suspended", "rejected"}
COMMANDS = {kind.value for kind in CommandKind}
# The case the 府山 rainstorm group was opened from, reported through the services (demo.command_groups).
FROM_A_GROUP = Case.id.in_(select(CommandGroup.origin_case_id).where(CommandGroup.origin_case_id.is_not(None)))
# The planned year; early warning's cases are opened at the clock.
PLANNED = (Case.created_at < START) & ~FROM_A_GROUP


def _count_by(session: Session, column: ColumnElement[Any], *where: ColumnElement[bool]) -> dict[str, int]:
    return dict(session.execute(select(column, func.count()).where(*where).group_by(column)).all())


def test_every_matter_and_every_county_has_cases(session: Session) -> None:
    by_matter = _count_by(session, Case.matter_code)
    assert set(by_matter) == {m.code for m in matters.list_current(session)}
    assert by_matter["illegal_parking"] > by_matter["wage_arrears"] * 5
    counties = {code[:6] for code in session.scalars(select(Division.code).where(Division.level == "grid"))}
    assert len(counties) == 6
    assert set(_count_by(session, func.substr(Case.place_code, 1, 6))) == counties
    # The planned year of cases (before the clock), then early warning's at the clock: workers'
    # hotline calls about firms in trouble, and the cases the month's run opened.
    # The general stream, beside the parking pilot's stream of Kecheng's subdistricts (demo.pilot).
    subdistricts = select(Division.code).where(Division.level == "township", Division.name.like("%街道"))
    streamed = (Case.matter_code == "illegal_parking") & func.substr(Case.place_code, 1, 9).in_(
        subdistricts.where(Division.code.like("330802%"))
    )
    assert sum(_count_by(session, Case.matter_code, PLANNED, ~streamed).values()) == DEMO_CASES
    assert sum(_count_by(session, Case.matter_code, PLANNED, streamed).values()) > 2000
    early = _count_by(session, Case.channel, ~PLANNED, ~FROM_A_GROUP)
    assert early["hotline"] == STORIES
    assert early["warning"] > 0
    assert set(early) == {"hotline", "warning"}


def test_statuses_spread_over_the_lifecycle(session: Session) -> None:
    by_status = _count_by(session, Case.status)
    assert OPEN_STAGES | {"rated", "archived"} <= set(by_status)
    assert by_status["archived"] > sum(by_status.values()) / 2
    finished = select(func.count()).where(Case.status.in_(["rated", "archived"]))
    assert session.scalar(finished.where(Case.created_at < START - timedelta(days=90))) == session.scalar(
        select(func.count()).where(Case.created_at < START - timedelta(days=90))
    )


def test_cases_fall_in_the_year_before_the_demo_clock(session: Session) -> None:
    first, last = session.execute(select(func.min(Case.created_at), func.max(Case.created_at))).one()
    assert START - timedelta(days=365) <= first
    assert last == START  # early warning's cases, opened as the demo starts
    assert session.scalar(select(func.max(CaseEvent.at))) <= START
    assert session.scalar(select(func.count()).where(Case.updated_at < Case.created_at)) == 0


def test_most_are_satisfied_and_the_dissatisfied_were_reopened(session: Session) -> None:
    ratings = _count_by(session, Case.rating)
    rated = sum(n for rating, n in ratings.items() if rating)
    assert (ratings["very_satisfied"] + ratings["satisfied"]) / rated >= 0.95
    reopened = dict(
        session.execute(select(Case.status, func.count()).where(Case.reopen_count > 0).group_by(Case.status)).all()
    )
    assert sum(reopened.values()) > 20
    dissatisfied = select(func.count()).where(Case.rating == "dissatisfied")
    assert session.scalar(dissatisfied.where(Case.reopen_count == 0)) == 0
    assert reopened.get("archived", 0) + reopened.get("rated", 0) > 0
    assert session.scalar(select(func.count()).where(Case.rework_count > 0)) > 0
    assert session.scalar(select(func.count()).where(Case.granted_extension_hours > 0)) > 0


def test_lead_units_are_of_the_lead_kind_or_the_township_enforcement_team(session: Session) -> None:
    leads = session.execute(
        select(Case.matter_code, Department.kind_code, func.length(Department.division_code))
        .join(Department, Department.id == Case.lead_unit_id)
        .distinct()
    ).all()
    kinds = {m.code: m.lead_kind for m in matters.list_current(session)}
    assert leads
    for matter, kind, length in leads:
        assert kind == kinds[matter] or (kind == "enforcement" and length == 9), (matter, kind, length)
    assert session.scalar(select(func.count()).where(Case.routed_unit_id.is_(None))) == 0


def test_events_are_ordered_and_end_in_the_case_status(session: Session) -> None:
    cases = {
        cid: (status, version) for cid, status, version in session.execute(select(Case.id, Case.status, Case.version))
    }
    timelines: dict[int, list[tuple[int, str, object, str]]] = defaultdict(list)
    for case_id, seq, kind, at, status_after in session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.kind, CaseEvent.at, CaseEvent.status_after).order_by(
            CaseEvent.case_id, CaseEvent.seq
        )
    ):
        timelines[case_id].append((seq, kind, at, status_after))
    assert set(timelines) == set(cases)
    for case_id, events in timelines.items():
        status, version = cases[case_id]
        assert [e[0] for e in events] == list(range(1, len(events) + 1))
        assert [e[2] for e in events] == sorted(e[2] for e in events)
        assert events[0][1] == "report"
        assert events[-1][3] == status
        assert sum(1 for e in events if e[1] in COMMANDS) == version  # report is version 1, each command one more


def test_side_work_is_recorded_with_the_case(session: Session) -> None:
    requests = session.execute(
        select(CollaborationRequest.unit_id, Case.lead_unit_id, CollaborationRequest.status).join(
            Case, Case.id == CollaborationRequest.case_id
        )
    ).all()
    assert {status for _, _, status in requests} == {"requested", "replied"}
    assert all(unit != lead for unit, lead, _ in requests)
    assert session.scalar(select(func.count()).select_from(Meeting)) > 0
    assert session.scalar(select(func.count()).select_from(MeetingAttendee)) > session.scalar(
        select(func.count()).select_from(Meeting)
    )
    assert session.scalar(select(func.count()).select_from(CaseTask).where(CaseTask.status == "done")) > 0


def test_photo_evidence_cites_photos_of_the_same_case(session: Session) -> None:
    photos = dict(session.execute(select(CasePhoto.id, CasePhoto.case_id)).all())
    cited = 0
    for case_id, evidence in session.execute(select(Case.id, Case.evidence).where(Case.evidence != "[]")):
        for item in json.loads(evidence):
            if item["kind"] == "photo":
                assert photos[int(item["ref"].removeprefix("photo:"))] == case_id
                cited += 1
    assert cited > DEMO_CASES / 2


def test_channels_and_originators(session: Session) -> None:
    channels = _count_by(session, Case.channel, PLANNED)
    assert set(channels) == {"phone", "hotline", "web", "open311", "api", "warning", "alert", "campaign"}
    assert max(channels, key=channels.__getitem__) == "phone"
    citizens = select(func.count()).where(PLANNED, Case.channel.in_(["hotline", "web", "open311"]))
    assert session.scalar(citizens.where(Case.originator_person_id.is_not(None))) == 0
    assert session.scalar(citizens.where(Case.reporter_phone.is_(None))) == 0
    assert session.scalar(select(func.count()).where(Case.channel == "phone", Case.originator_person_id.is_(None))) == 0
    planned = select(Case.id).where(PLANNED)
    actors = set(session.scalars(select(CaseEvent.actor).where(CaseEvent.case_id.in_(planned)).distinct()))
    assert {actor.split(":", 1)[0] for actor in actors} == {"person", "citizen", "hotline", "system"}
    assert {actor for actor in actors if actor.startswith("system:")} == {ROUTING_ACTOR}  # the routing lines
    people = {int(actor.split(":")[1]) for actor in actors if actor.startswith("person:")}
    assert session.scalar(select(func.count()).where(Person.id.in_(people))) == len(people)


def test_points_lie_in_their_grid_and_attributes_fit_the_matter(session: Session) -> None:
    rows = session.execute(
        select(Case.lon, Case.lat, Division.geometry, Case.matter_version_id, Case.attributes)
        .join(Division, Division.code == Case.grid_code)
        .where(Case.id % 37 == 0)
    ).all()
    assert len(rows) > 200
    for lon, lat, geometry, version_id, attributes in rows:
        assert shapely.contains_xy(areal_from_geojson(geometry), lon, lat)
        given = attributes
        assert validate_attributes(matters.definition_by_version_id(session, version_id), given) == given


def test_the_audit_chain_holds_one_record_per_case(session: Session) -> None:
    report = audit.verify(session)
    assert report.is_intact, report.problems[:5]
    recorded = select(func.count()).where(AuditRecord.action == "case.demo_history")
    assert session.scalar(recorded) == session.scalar(select(func.count()).where(PLANNED))


def test_the_same_seed_plans_the_same_rows(session: Session) -> None:
    world = load_case_world(session)
    first = plan_cases(world, seed=7, now=START, cases=400)
    second = plan_cases(world, seed=7, now=START, cases=400)
    assert first.cases == second.cases
    assert first.ledger.events == second.ledger.events
    assert first.ledger.requests == second.ledger.requests
    assert plan_cases(world, seed=8, now=START, cases=400).cases != first.cases


def test_a_second_generation_matches_the_demo_world(sqlite_world: World) -> None:
    with Session(sqlite_world.engine) as session:
        plan = plan_cases(load_case_world(session), seed=DEFAULT_SEED, now=START)
        # The demo's own cases: browser tests add cases of their own to the shared world.
        last = session.scalar(select(Case.id).where(Case.number == plan.cases[-1]["number"]))
        assert last is not None
        demo = Case.id <= last
        assert plan.by("status") == _count_by(session, Case.status, demo)
        assert plan.by("matter_code") == _count_by(session, Case.matter_code, demo)
        assert [c["number"] for c in plan.cases[-3:]] == list(
            session.scalars(select(Case.number).where(demo).order_by(Case.id.desc()).limit(3))
        )[::-1]


def test_a_demo_description_says_a_yes_as_words_not_as_a_bare_yes(session: Session) -> None:
    """是否影响通行 = 是 reads 影响通行 in the description; a 否 is left unsaid (was: 占用通道（客车、人行道、是）)."""
    answers = ("、是）", "（是）", "、否）", "（否）", "、是、", "、否、")
    bare = or_(*(Case.description.contains(word) for word in answers))
    assert session.scalar(select(func.count()).select_from(Case).where(bare)) == 0
    said = session.scalar(select(func.count()).select_from(Case).where(Case.description.contains("影响通行")))
    assert said
