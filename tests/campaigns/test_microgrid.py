"""Micro-grids (微网格, 17-digit codes) on the campaign board and in dispatch: every module agrees on the levels.

Before `org.division_code`, routing knew 17-digit micro-grids while the board stopped at 15 digits: a
micro-grid's tasks were folded into its grid's own row, opening the micro-grid was a 404, and a
campaign sent to one micro-grid was owned by its grid.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.board_helpers import seed_campaign
from tests.conftest import START, Api

from zhili.campaigns.board.counts import child_length
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import LEVELS, dispatch_campaign, owner_of
from zhili.cases.routing import handling_division
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import InvalidInputError
from zhili.org.models import Division, Person, Position

LONGYOU = "330825"
HUZHEN = "330825101"  # 湖镇镇


@pytest.fixture
def microgrid(session: Session) -> str:
    """A micro-grid under the first 湖镇镇 grid, with one party member's post in it."""
    grid = session.scalars(
        select(Division.code).where(Division.level == "grid", Division.code.like(f"{HUZHEN}%")).order_by(Division.code)
    ).first()
    assert grid is not None
    code = f"{grid}01"
    session.add(Division(code=code, name="测试微网格", level="microgrid", parent_code=grid, source="test"))
    person = Person(name="微网格党员")
    session.add(person)
    session.flush()
    session.add(Position(person_id=person.id, role="party_member", division_code=code))
    session.flush()
    return code


def test_the_board_drills_down_from_a_grid_into_its_micro_grid(api: Api, session: Session, microgrid: str) -> None:
    grid, village = microgrid[:15], microgrid[:12]
    campaign = seed_campaign(session, owner=village, now=START, roles=("party_member",))
    api.login("ly-centre")

    at_grid = api.get(f"/api/v1/campaigns/{campaign}/board", params={"division": grid})
    assert at_grid.status_code == 200, at_grid.text
    children = {child["code"]: child for child in at_grid.json()["children"]}
    assert set(children) == {grid, microgrid}  # the micro-grid is a row of its own, not folded into the grid
    assert children[microgrid]["level"] == "microgrid"
    assert children[microgrid]["total"] == 1
    assert not children[microgrid]["can_drill"]  # nothing lies below a micro-grid
    assert children[grid]["is_self"]

    at_micro = api.get(f"/api/v1/campaigns/{campaign}/board", params={"division": microgrid})
    assert at_micro.status_code == 200, at_micro.text
    body = at_micro.json()
    assert body["division"] == {"code": microgrid, "name": "测试微网格", "level": "microgrid"}
    assert [step["code"] for step in body["path"]] == [village, grid, microgrid]  # from the owner down
    assert body["totals"]["total"] == 1
    assert [(child["code"], child["is_self"]) for child in body["children"]] == [(microgrid, True)]


def test_another_township_cannot_open_the_micro_grid(api: Api, session: Session, microgrid: str) -> None:
    campaign = seed_campaign(session, owner=HUZHEN, now=START, roles=("party_member",))
    api.login("huzhen")
    assert api.get(f"/api/v1/campaigns/{campaign}/board", params={"division": microgrid}).status_code == 200
    api.login("kc-centre")
    assert api.get(f"/api/v1/campaigns/{campaign}/board", params={"division": microgrid}).status_code == 404


def test_a_campaign_sent_to_one_micro_grid_is_owned_by_it(session: Session, microgrid: str) -> None:
    data = CampaignCreate(template="typhoon", divisions=[microgrid], roles=["party_member"], message="测试")
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=FrozenClock(START))
    assert campaign.owner_division == microgrid
    assert campaign.recipients == 1
    assert owner_of([microgrid, microgrid[:15]]) == microgrid[:15]
    assert owner_of(["330825101", "330825102"]) == LONGYOU
    assert owner_of(["330825", "330802"]) == "3308"


def test_a_micro_grid_page_shows_its_whole_path(api: Api, microgrid: str) -> None:
    api.login("ly-centre")
    response = api.get(f"/api/v1/org/divisions/{microgrid}")
    assert response.status_code == 200, response.text
    path = [step["code"] for step in response.json()["path"]]
    assert path == ["33", "3308", LONGYOU, HUZHEN, microgrid[:12], microgrid[:15], microgrid]


def test_case_routing_the_board_and_dispatch_know_the_micro_grid_level() -> None:
    micro = "33082510120100107"
    assert handling_division(micro, "grid") == micro[:15]
    assert handling_division(micro, "township") == HUZHEN
    assert handling_division("330825101201", "grid") == "330825101201"  # no point: handled where reported
    with pytest.raises(InvalidInputError):
        handling_division(LONGYOU, "grid")
    assert child_length(micro[:15]) == 17
    assert child_length(micro) is None
    assert owner_of([micro]) == micro
    assert owner_of(["330825", "340100"]) == "33"  # no shared ancestor: the first code's province
    assert "microgrid" in LEVELS
