"""Campaign scores: a hand-built typhoon campaign in 湖镇镇, scored per person and per unit in SQL (both backends)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.sweep_helpers import packaged, set_state, start_campaign, task_ids

from zhili.campaigns.lifecycle import TaskRecord, points
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.scores.scoring import Period, scores_by_person, scores_by_unit
from zhili.core.auth import Grant, Scope
from zhili.demo.people import LONGYOU
from zhili.demo.world import HUZHEN

TYPHOON = packaged("typhoon")
GRID_HEAD = TYPHOON.task_for("grid_head").points  # claimed 1, on time 3, verified 2, late -2, returned -1
AT = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
BEFORE_REPORT_TIME = AT + timedelta(minutes=300)  # grid heads report by AT + 360 min, party members by + 480
AFTER_REPORT_TIME = AT + timedelta(minutes=500)
EVERYTHING = Scope.everything()


def _minutes(minutes: int) -> datetime:
    return AT + timedelta(minutes=minutes)


def _hand_built(session: Session) -> tuple[int, dict[str, int]]:
    """Five grid heads: verified on time, late, returned twice, untouched, declined. Their task ids."""
    campaign = start_campaign(session, template=TYPHOON, roles=["grid_head", "party_member"], at=AT)
    verified, late, returned, untouched, declined = task_ids(session, campaign, "grid_head")[:5]
    set_state(session, [verified, late, returned], "claimed", claimed_at=_minutes(10))
    set_state(session, [verified], "verified", reported_at=_minutes(200), verified_at=_minutes(250))
    set_state(session, [late], "reported", reported_at=_minutes(400))
    set_state(session, [returned], "reported", reported_at=_minutes(300), returned_count=2)
    set_state(session, [declined], "declined", declined_at=_minutes(20))
    ids = {"verified": verified, "late": late, "returned": returned, "untouched": untouched, "declined": declined}
    return campaign, ids


def _record(task: CampaignTask) -> TaskRecord:
    return TaskRecord(
        state=task.state,  # type: ignore[arg-type]
        claimed_at=task.claimed_at,
        reported_at=task.reported_at,
        report_due_at=task.report_due_at,
        verified_at=task.verified_at,
        returned_count=task.returned_count,
    )


def _person_of(session: Session, task_id: int) -> int:
    task = session.get(CampaignTask, task_id)
    assert task is not None
    return task.person_id


@pytest.mark.parametrize(
    ("which", "before", "after"),
    [("verified", 6, 6), ("late", -1, -1), ("returned", 2, 2), ("untouched", 0, -2), ("declined", 0, 0)],
)
def test_points_of_the_hand_built_tasks(session: Session, which: str, before: int, after: int) -> None:
    campaign, ids = _hand_built(session)
    task = session.get(CampaignTask, ids[which])
    assert task is not None
    assert points(GRID_HEAD, _record(task), now=BEFORE_REPORT_TIME) == before
    assert points(GRID_HEAD, _record(task), now=AFTER_REPORT_TIME) == after
    period = Period(campaign_id=campaign)
    for now, expected in ((BEFORE_REPORT_TIME, before), (AFTER_REPORT_TIME, after)):
        rows = {row.person_id: row for row in scores_by_person(session, scope=EVERYTHING, now=now, period=period)}
        assert rows[task.person_id].points == expected


def test_scores_by_person_count_each_outcome(session: Session) -> None:
    campaign, ids = _hand_built(session)
    period = Period(campaign_id=campaign)
    rows = {
        row.person_id: row for row in scores_by_person(session, scope=EVERYTHING, now=AFTER_REPORT_TIME, period=period)
    }
    verified = rows[_person_of(session, ids["verified"])]
    assert (verified.tasks, verified.claimed, verified.on_time, verified.verified, verified.late) == (1, 1, 1, 1, 0)
    late = rows[_person_of(session, ids["late"])]
    assert (late.claimed, late.on_time, late.late, late.points) == (1, 0, 1, -1)
    assert rows[_person_of(session, ids["returned"])].returned == 2
    declined = rows[_person_of(session, ids["declined"])]
    assert (declined.tasks, declined.late, declined.points) == (1, 0, 0)
    assert list(rows.values()) == sorted(rows.values(), key=lambda row: (-row.points, row.person_id))


def test_sql_scores_equal_the_pure_rule_for_every_task(session: Session) -> None:
    campaign, _ids = _hand_built(session)
    tasks = session.scalars(select(CampaignTask).where(CampaignTask.campaign_id == campaign)).all()
    by_person: defaultdict[int, int] = defaultdict(int)
    by_village: defaultdict[str, int] = defaultdict(int)
    for task in tasks:
        earned = points(TYPHOON.task_for(task.role).points, _record(task), now=AFTER_REPORT_TIME)
        by_person[task.person_id] += earned
        by_village[task.division_code[:12]] += earned
    period = Period(campaign_id=campaign)
    people = scores_by_person(session, scope=EVERYTHING, now=AFTER_REPORT_TIME, period=period)
    assert {row.person_id: row.points for row in people} == by_person
    villages = scores_by_unit(session, level="village", scope=EVERYTHING, now=AFTER_REPORT_TIME, period=period)
    assert {row.division_code: row.points for row in villages} == by_village
    assert all(row.name for row in villages)
    (township,) = scores_by_unit(session, level="township", scope=EVERYTHING, now=AFTER_REPORT_TIME, period=period)
    assert (township.division_code, township.name, township.tasks) == (HUZHEN, "湖镇镇", len(tasks))
    assert township.points == sum(by_person.values())
    (county,) = scores_by_unit(session, level="county", scope=EVERYTHING, now=AFTER_REPORT_TIME, period=period)
    assert (county.division_code, county.points) == (LONGYOU, township.points)


def test_scores_stay_inside_the_scope_and_the_period(session: Session) -> None:
    campaign, ids = _hand_built(session)
    village = session.get(CampaignTask, ids["verified"])
    assert village is not None
    scope = Scope.of([Grant(division_prefix=village.division_code[:12])])
    period = Period(campaign_id=campaign)
    (only,) = scores_by_unit(session, level="village", scope=scope, now=AFTER_REPORT_TIME, period=period)
    assert only.division_code == village.division_code[:12]
    later = Period(since=AT + timedelta(seconds=1))
    assert scores_by_person(session, scope=EVERYTHING, now=AFTER_REPORT_TIME, period=later) == []
    # The demo's live campaigns went out two hours and forty minutes before.
    earlier = Period(since=AT - timedelta(minutes=30), until=AT)
    assert scores_by_unit(session, level="township", scope=EVERYTHING, now=AFTER_REPORT_TIME, period=earlier) == []


def test_the_scores_api_answers_within_the_callers_scope(api: Any, session: Session) -> None:
    campaign, _ids = _hand_built(session)
    api.login("huzhen")
    response = api.get(f"/api/v1/campaigns/scores?by=unit&level=township&campaign={campaign}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["by"] == "unit"
    assert [row["division_code"] for row in body["rows"]] == [HUZHEN]
    people = api.get(f"/api/v1/campaigns/scores?by=person&campaign={campaign}&limit=5").json()["rows"]
    assert len(people) == 5
    assert people[0]["person_id"] is not None
    api.login("fushan")
    outside = api.get(f"/api/v1/campaigns/scores?by=person&campaign={campaign}")
    assert outside.status_code == 200
    assert outside.json()["rows"] == []
    assert api.get("/api/v1/campaigns/scores?by=grid").status_code == 422
    assert api.get("/api/v1/campaigns/scores?by=unit&level=grid").status_code == 422
    assert api.get("/api/v1/campaigns/scores?since=2026-07-01T00:00:00").status_code == 422  # naive time
