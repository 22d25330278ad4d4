"""Names and phones on the board's lists, their exports and the scores follow the org rule for people (both backends).

A person is named only to those who may open their person page: one of their posts in scope as a
unit. A department's strip (`kc-traffic`) counts every task in its county but names only its own
unit's staff; a township (`huzhen`) does not learn a county supervisor's name or phone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.board_helpers import insert_campaign
from tests.campaigns.task_helpers import actor_of
from tests.conftest import START, Api

from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.core.auth import Scope, system_actor
from zhili.core.clock import FrozenClock
from zhili.org.models import Person, Position

KECHENG = "330802"  # 柯城区: grid workers, village cadres, county departments (the traffic police among them)
HUZHEN = "330825101"  # 湖镇镇: one of its command-room posts answers to the county centre
WITHHELD = "（无权查看）"


def seen_people(session: Session, scope: Scope) -> set[int]:
    """Whom the scope may see, from the data-scope reference: one of their posts in scope as a unit."""
    posts = session.execute(select(Position.person_id, Position.division_code, Position.department_id))
    return {person for person, code, department in posts if scope.reaches_unit(code, department)}


def names_and_phones(session: Session, people: set[int]) -> set[str]:
    """The names and phones of these people (for looking them up in an answer)."""
    rows = session.execute(select(Person.name, Person.phone).where(Person.id.in_(people)))
    return {value for row in rows for value in row if value}


def pages(api: Api, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        response = api.get(path, params={**params, "cursor": cursor} if cursor else params)
        assert response.status_code == 200, response.text
        yield from response.json()["items"]
        if not (cursor := response.json()["next_cursor"]):
            return


def exported_cells(api: Api, campaign: int) -> set[str]:
    """Every cell of the unclaimed list's CSV and XLSX."""
    found: set[str] = set()
    response = api.get(f"/api/v1/campaigns/{campaign}/people.csv", params={"which": "unclaimed"})
    assert response.status_code == 200, response.text
    found |= {cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row}
    response = api.get(f"/api/v1/campaigns/{campaign}/people.xlsx", params={"which": "unclaimed"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    found |= {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None}
    return found


def check_list(api: Api, session: Session, campaign: int, username: str) -> list[dict[str, Any]]:
    """The unclaimed list as `username`: only people they may see are named, in the list and both exports."""
    api.login(username)
    seen = seen_people(session, actor_of(session, username).scope)
    rows = list(pages(api, f"/api/v1/campaigns/{campaign}/people", which="unclaimed", limit=500))
    assert rows
    for row in rows:
        if row["is_withheld"]:
            assert (row["person_id"], row["name"], row["phone"]) == (None, None, None)
        else:
            assert row["person_id"] in seen, row
        if row["supervisor_withheld"]:
            assert (row["supervisor_name"], row["supervisor_phone"]) == (None, None)
    hidden = {task["person_id"] for task in all_tasks(session, campaign)} - seen
    leaked = names_and_phones(session, hidden) - names_and_phones(session, seen)
    shown = {value for row in rows for value in row.values() if isinstance(value, str)}
    assert not (shown & leaked)
    assert not (exported_cells(api, campaign) & leaked)
    return rows


def all_tasks(session: Session, campaign: int) -> list[dict[str, Any]]:
    """Each task's person and their post's supervisor's person."""
    from zhili.campaigns.models import CampaignTask  # noqa: PLC0415 - only here

    boss = Position.__table__.alias("boss")
    post = Position.__table__.alias("post")
    rows = session.execute(
        select(CampaignTask.person_id, boss.c.person_id)
        .join(post, post.c.id == CampaignTask.position_id)
        .outerjoin(boss, boss.c.id == post.c.supervisor_id)
        .where(CampaignTask.campaign_id == campaign)
    ).all()
    return [{"person_id": person} for person, _boss in rows] + [{"person_id": b} for _p, b in rows if b]


@pytest.fixture
def kecheng(session: Session) -> int:
    """柯城区's grid workers and department staff, each with an unclaimed task."""
    return insert_campaign(session, owner=KECHENG, now=START, roles=("grid_worker", "dept_staff"))


def test_a_department_strip_sees_every_row_but_names_only_its_own_staff(
    api: Api, session: Session, kecheng: int
) -> None:
    rows = check_list(api, session, kecheng, "kc-traffic")
    unit = actor_of(session, "kc-traffic").scope.grants[0].department_id
    own = set(session.scalars(select(Position.person_id).where(Position.department_id == unit)))
    named = {row["person_id"] for row in rows if not row["is_withheld"]}
    assert named
    assert named <= own
    assert any(row["is_withheld"] and row["role"] == "grid_worker" for row in rows)
    assert all(row["is_withheld"] for row in rows if row["role"] == "grid_worker")
    board = api.get(f"/api/v1/campaigns/{kecheng}/board").json()
    assert board["totals"]["unclaimed"] == len(rows)  # the counts and the list agree
    page = api.get(f"/campaigns/{kecheng}/board")
    assert page.status_code == 200
    assert WITHHELD in page.text


def test_the_centre_still_names_everyone(api: Api, session: Session, kecheng: int) -> None:
    rows = check_list(api, session, kecheng, "kc-centre")
    assert not any(row["is_withheld"] or row["supervisor_withheld"] for row in rows)
    assert all(row["name"] for row in rows)
    assert any(row["supervisor_name"] and row["supervisor_phone"] for row in rows)


def test_a_township_does_not_learn_the_county_supervisors_name(api: Api, session: Session) -> None:
    campaign = insert_campaign(session, owner=HUZHEN, now=START, roles=("township_command", "village_cadre"))
    rows = check_list(api, session, campaign, "huzhen")
    assert not any(row["is_withheld"] for row in rows)  # everyone posted in the township is theirs
    assert any(row["supervisor_withheld"] for row in rows)  # a command-room post answers to the county
    api.login("ly-centre")
    centre = list(pages(api, f"/api/v1/campaigns/{campaign}/people", which="unclaimed", limit=500))
    assert not any(row["supervisor_withheld"] for row in centre)
    assert {row["task_id"] for row in centre} == {row["task_id"] for row in rows}


@pytest.fixture
def scored(session: Session) -> int:
    """The urgent notice to 柯城区's grid workers (a template with points, for the scores)."""
    data = CampaignCreate(template="urgent_notice", divisions=[KECHENG], roles=["grid_worker"], message="测试")
    return dispatch_campaign(session, data=data, actor=system_actor("test"), clock=FrozenClock(START)).id


def test_scores_by_person_name_only_people_in_the_callers_units(api: Api, session: Session, scored: int) -> None:
    grid_workers = set(session.scalars(select(Position.person_id).where(Position.role == "grid_worker")))
    api.login("kc-traffic")
    strip = api.get("/api/v1/campaigns/scores", params={"by": "person", "campaign": scored, "limit": 20000})
    assert strip.status_code == 200, strip.text
    assert strip.json()["rows"] == []
    assert not names_and_phones(session, grid_workers) & {row["name"] for row in strip.json()["rows"]}
    units = api.get("/api/v1/campaigns/scores", params={"by": "unit", "level": "county", "campaign": scored})
    assert [row["division_code"] for row in units.json()["rows"]] == [KECHENG]  # counted, not named
    api.login("kc-centre")
    centre = api.get("/api/v1/campaigns/scores", params={"by": "person", "campaign": scored, "limit": 20000}).json()
    assert {row["person_id"] for row in centre["rows"]} <= grid_workers
    assert 0 < len(centre["rows"]) <= units.json()["rows"][0]["tasks"]
    assert all(row["name"] for row in centre["rows"])


def test_scores_by_person_for_a_township_stay_with_its_people(api: Api, session: Session) -> None:
    data = CampaignCreate(template="typhoon", divisions=[HUZHEN], message="测试")
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=FrozenClock(START)).id
    api.login("huzhen")
    rows = api.get("/api/v1/campaigns/scores", params={"by": "person", "campaign": campaign, "limit": 20000}).json()
    seen = seen_people(session, actor_of(session, "huzhen").scope)
    assert rows["rows"]
    assert {row["person_id"] for row in rows["rows"]} <= seen


def test_who_dispatched_is_named_only_to_those_who_may_see_them(api: Api, session: Session) -> None:
    centre = actor_of(session, "kc-centre")
    data = CampaignCreate(template="urgent_notice", divisions=[KECHENG], roles=["grid_worker"], message="测试")
    campaign = dispatch_campaign(session, data=data, actor=centre, clock=FrozenClock(START)).id
    name = session.get(Person, centre.person_id).name  # type: ignore[union-attr]
    api.login("kc-traffic")
    strip = api.get(f"/api/v1/campaigns/{campaign}")
    assert strip.status_code == 200, strip.text
    assert (strip.json()["created_by_name"], strip.json()["created_by_withheld"]) == ("", True)
    page = api.get(f"/campaigns/{campaign}").text
    assert name not in page
    assert "柯城区派发" in page  # the level that sent it, not 无权查看
    assert "无权查看" not in page.split('id="summary"', 1)[1].split("</p>", 1)[0]
    assert "kc-centre" not in page
    api.login("kc-centre")
    seen = api.get(f"/api/v1/campaigns/{campaign}").json()
    assert (seen["created_by_name"], seen["created_by_withheld"]) == (name, False)
