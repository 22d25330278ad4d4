"""Demo responses: the chosen shares read, claim and report over the window, set-based and deterministic."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.conftest import START, World
from typer.testing import CliRunner

from zhili.access.models import Account
from zhili.access.service import actor_for, create_account
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.models import Campaign, CampaignTask, TaskPhoto
from zhili.campaigns.tasks.history import task_history
from zhili.campaigns.tasks.service import claim_task
from zhili.cli import app
from zhili.core.audit import AuditRecord
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.db import make_engine
from zhili.core.errors import InvalidInputError
from zhili.demo.campaign_responses import Shares, apply_until, plan_task, start_simulation, step_instants
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division

HUZHEN = "330825101"


def test_shares_pick_the_same_people_every_time_and_report_within_claim() -> None:
    shares = Shares(claim=0.9, report=0.7, over=timedelta(hours=2))
    plans = [plan_task(task_id, START, shares) for task_id in range(1, 20_001)]
    again = [plan_task(task_id, START, shares) for task_id in range(1, 20_001)]
    assert plans == again
    claimed = [p for p in plans if p is not None and p[1] is not None]
    reported = [p for p in claimed if p[2] is not None]
    assert len(claimed) / len(plans) == pytest.approx(0.9, abs=0.01)
    assert len(reported) / len(plans) == pytest.approx(0.7, abs=0.01)
    for read_at, claimed_at, reported_at in reported:
        assert START <= read_at <= claimed_at <= reported_at <= START + timedelta(hours=2)  # type: ignore[operator]
    with pytest.raises(InvalidInputError):
        Shares(claim=0.5, report=0.7, over=timedelta(hours=1))


def test_responses_arrive_slice_by_slice_and_are_audited_once(session: Session) -> None:
    clock = FrozenClock(START)
    data = CampaignCreate(template="typhoon", divisions=[HUZHEN])
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=clock)
    shares = Shares(claim=0.8, report=0.5, over=timedelta(hours=2), seed=7)
    script = start_simulation(session, campaign_id=campaign.id, shares=shares, actor=system_actor("cli"), clock=clock)
    instants = step_instants(script, 4)
    assert len(instants) == 4
    moved = [apply_until(session, script, until) for until in instants]
    session.flush()
    assert all(n > 0 for n in moved)
    states = Counter(session.scalars(select(CampaignTask.state).where(CampaignTask.campaign_id == campaign.id)).all())
    total = campaign.recipients
    assert states["reported"] == pytest.approx(total * 0.5, rel=0.15)
    assert states["claimed"] + states["reported"] == pytest.approx(total * 0.8, rel=0.1)
    late = session.scalar(
        select(func.count()).where(
            CampaignTask.campaign_id == campaign.id, CampaignTask.claimed_at > START + timedelta(hours=2)
        )
    )
    assert late == 0
    assert apply_until(session, script, instants[-1]) == 0  # nothing left to move
    session.commit()  # the audit's links are made as the transaction commits
    records = session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(campaign.id))).all()
    assert records.count("campaign.simulated") == 1


def test_the_simulate_command_fills_a_demo_campaign(sqlite_world: World, tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite"
    original = sqlite_world.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(original)) as source, closing(sqlite3.connect(database)) as target:
        source.backup(target)
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine, expire_on_commit=False) as session:
        data = CampaignCreate(template="typhoon", divisions=[HUZHEN], roles=["grid_head"])
        campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=FrozenClock(START))
        campaign_id, recipients = campaign.id, campaign.recipients
    arguments = ["campaigns", "simulate", str(campaign_id), "--claim", "1", "--report", "0.5"]
    result = CliRunner().invoke(app, [*arguments, "--over", "1h", "--steps", "3", "--database", str(database)])
    assert result.exit_code == 0, result.output
    assert "step 3/3" in result.output
    with Session(engine) as session:
        states = Counter(session.scalars(select(CampaignTask.state).where(CampaignTask.campaign_id == campaign_id)))
    assert states["claimed"] + states["reported"] == recipients
    assert states["reported"] > 0
    unknown = CliRunner().invoke(app, ["campaigns", "simulate", "999999", "--database", str(database)])
    assert unknown.exit_code == 2
    engine.dispose()


def test_the_demo_leaves_its_logins_heat_tasks_to_them(session: Session) -> None:
    """The grid worker logs in to a heat task still to claim; the level above verifies what they report."""
    heat = select(Campaign.id).where(Campaign.source_key == "demo:heat:kecheng").scalar_subquery()
    person = select(Account.person_id).where(Account.username == "gridworker").scalar_subquery()
    mine = session.scalar(
        select(CampaignTask.state).where(CampaignTask.campaign_id == heat, CampaignTask.person_id == person)
    )
    assert mine == "notified"
    moved = session.scalar(
        select(func.count()).where(CampaignTask.campaign_id == heat, CampaignTask.state != "notified")
    )
    assert moved


def test_the_demo_leaves_the_village_logins_a_typhoon_task_of_their_role(session: Session) -> None:
    """The 三联 roles of 阳湖社区 each log in to a typhoon task still to claim (or decline); others have answered."""
    typhoon = select(Campaign.id).where(Campaign.source_key == "demo:typhoon:yanghu").scalar_subquery()
    theirs = session.execute(
        select(Account.username, CampaignTask.role, CampaignTask.state)
        .join(CampaignTask, CampaignTask.person_id == Account.person_id)
        .where(CampaignTask.campaign_id == typhoon)
    ).all()
    assert sorted(theirs) == [
        ("gridhead", "grid_head", "notified"),
        ("partymember", "party_member", "notified"),
        ("teamleader", "team_leader", "notified"),
    ]
    states = Counter(session.scalars(select(CampaignTask.state).where(CampaignTask.campaign_id == typhoon)))
    assert states["reported"]  # the village's other party members are under way
    assert states["claimed"]


def test_a_played_back_report_carries_its_evidence_and_its_steps(api: Any, session: Session) -> None:
    """The grid head verifies a party member's played-back report: its point in the grid, and who claimed and when."""
    typhoon = select(Campaign.id).where(Campaign.source_key == "demo:typhoon:yanghu").scalar_subquery()
    reported = session.scalars(
        select(CampaignTask).where(CampaignTask.campaign_id == typhoon, CampaignTask.state == "reported")
    ).first()
    assert reported is not None
    assert reported.report_lon is not None
    assert not reported.is_far
    api.login("gridhead")
    task = api.get(f"/api/v1/tasks/{reported.id}").json()
    assert task["report_point"] is not None
    steps = [(step["action"], step["who"]) for step in task["history"]]
    name = task["person_name"]
    assert steps[1:] == [("claim", name), ("report", name)]  # after 下发任务, at the row's own instants
    assert [step["at"] for step in task["history"]] == sorted(step["at"] for step in task["history"])
    page = api.get(f"/tasks/{reported.id}", headers={"accept": "text/html"}).text
    assert page.count('data-step="claim"') == page.count('data-step="report"') == 1


def test_a_played_back_report_whose_role_asks_for_a_photo_carries_one(session: Session, clock: FrozenClock) -> None:
    """A grid worker's heat report asks for a photo: played back, it has one, taken just before it was sent."""
    data = CampaignCreate(template="heat", divisions=["330825101"], roles=["grid_worker", "party_member"])
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=clock)
    shares = Shares(claim=1, report=1, over=timedelta(hours=1))
    script = start_simulation(session, campaign_id=campaign.id, shares=shares, actor=system_actor("t"), clock=clock)
    tasks = session.execute(
        select(CampaignTask.id, CampaignTask.role).where(CampaignTask.campaign_id == campaign.id)
    ).all()
    workers = [row.id for row in tasks if row.role == "grid_worker"]
    assert len(workers) > 1
    # One grid worker reports by hand before the playback reaches them: the played-back report and photo pass them by.
    session.execute(
        update(CampaignTask)
        .where(CampaignTask.id == workers[0])
        .values(state="reported", read_at=clock.now(), claimed_at=clock.now(), reported_at=clock.now())
    )
    apply_until(session, script, clock.now() + timedelta(hours=2))
    photos = dict(
        session.execute(
            select(TaskPhoto.task_id, func.count())
            .where(TaskPhoto.task_id.in_([row.id for row in tasks]))
            .group_by(TaskPhoto.task_id)
        ).all()
    )
    assert {task_id: photos.get(task_id) for task_id in workers[1:]} == dict.fromkeys(workers[1:], 1)
    assert workers[0] not in photos
    assert not any(photos.get(row.id) for row in tasks if row.role == "party_member")  # their task asks for none
    # Taken two minutes before the report, but never before the task was claimed (only a claimed task takes photos).
    shots = session.execute(
        select(TaskPhoto.uploaded_at, CampaignTask.claimed_at, CampaignTask.reported_at)
        .join(CampaignTask, CampaignTask.id == TaskPhoto.task_id)
        .where(TaskPhoto.task_id.in_(workers[1:]))
    ).all()
    assert all(taken == max(claimed, reported - timedelta(minutes=2)) for taken, claimed, reported in shots)
    assert any(reported - taken == timedelta(minutes=2) for taken, _claimed, reported in shots)


def _everyone_answers(session: Session, clock: FrozenClock, *, division: str, role: str) -> Campaign:
    """A typhoon campaign to one role in one division, every recipient's report played back within the hour."""
    data = CampaignCreate(template="typhoon", divisions=[division], roles=[role])
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=clock)
    shares = Shares(claim=1, report=1, over=timedelta(hours=1))
    script = start_simulation(session, campaign_id=campaign.id, shares=shares, actor=system_actor("t"), clock=clock)
    apply_until(session, script, clock.now() + timedelta(hours=2))
    return campaign


def test_played_back_reports_of_one_grid_stand_at_points_of_their_own_inside_it(
    session: Session, clock: FrozenClock
) -> None:
    campaign = _everyone_answers(session, clock, division="330825101003", role="party_member")
    rows = session.execute(
        select(CampaignTask.division_code, CampaignTask.report_lon, CampaignTask.report_lat).where(
            CampaignTask.campaign_id == campaign.id
        )
    ).all()
    by_grid: dict[str, list[tuple[float, float]]] = {}
    for code, lon, lat in rows:
        by_grid.setdefault(code, []).append((lon, lat))
    crowded = max(by_grid.values(), key=len)
    assert len(crowded) > 1
    assert len(set(crowded)) == len(crowded)  # each its own point
    polygons = dict(session.execute(select(Division.code, Division.geometry).where(Division.code.in_(by_grid))).all())
    assert all(
        areal_from_geojson(polygons[code]).contains(Point(lon, lat))
        for code, points in by_grid.items()
        for lon, lat in points
    )


def test_a_played_back_checklist_ticks_every_item_of_the_role(session: Session, clock: FrozenClock) -> None:
    """A team leader's report (text and checklist) played back has every checklist item done."""
    campaign = _everyone_answers(session, clock, division="330825101", role="team_leader")
    checklists = session.scalars(
        select(CampaignTask.report_checklist).where(CampaignTask.campaign_id == campaign.id)
    ).all()
    assert checklists
    assert all(
        checklist == dict.fromkeys(campaign.template.task_for("team_leader").checklist, True)
        for checklist in checklists
    )


def test_a_step_the_service_took_is_listed_once_and_a_later_played_back_one_too(
    session: Session, clock: FrozenClock
) -> None:
    """Only a row instant with no audited step at that instant is added (a report played back after a return)."""
    data = CampaignCreate(template="typhoon", divisions=["330825101003"], roles=["party_member"])
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=clock)
    task = session.scalars(select(CampaignTask).where(CampaignTask.campaign_id == campaign.id).limit(1)).one()
    account = session.scalars(select(Account).where(Account.person_id == task.person_id)).first()
    recipient = actor_for(session, account) if account else None
    if recipient is None:  # a party member with no login: act as them through a login of their own
        account = create_account(
            session,
            username="pm-history",
            password="x" * 12,
            person_id=task.person_id,
            is_admin=False,
            actor=system_actor("test"),
            clock=clock,
        )
        recipient = actor_for(session, account)
    claimed = claim_task(session, task_id=task.id, actor=recipient, clock=clock)
    later = clock.now() + timedelta(hours=1)
    steps = task_history(
        session, task.id, sent=None, moved=(("claim", claimed.claimed_at), ("report", later)), recipient="某某"
    )
    assert [(step.action, step.actor.startswith("account:")) for step in steps] == [("claim", True), ("report", False)]
    assert (steps[1].at, steps[1].who) == (later, "某某")


def test_the_demo_typhoon_heads_the_village_logins_inboxes(api: Any, session: Session) -> None:
    """Dispatched after the command groups' history (weeks old, some of it): newest first, it is on top."""
    typhoon = session.scalars(select(Campaign.id).where(Campaign.source_key == "demo:typhoon:yanghu")).one()
    for username in ("partymember", "gridhead", "teamleader"):
        api.login(username)
        (first,) = api.get("/api/v1/inbox", params={"limit": 1}).json()["items"]
        assert (first["topic"], first["subject"]) == ("campaign.task", f"campaign:{typhoon}"), username
