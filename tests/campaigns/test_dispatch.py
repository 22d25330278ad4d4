"""Dispatch: one click to 龙游县's 11,124 three-links people, cascades, refusals (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch import fanout
from zhili.campaigns.models import Campaign, CampaignForward, CampaignTask
from zhili.campaigns.templates_service import packaged_templates
from zhili.clocks.models import Timer
from zhili.matters.catalog import load_catalog
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Division, Position

LONGYOU = "330825"
HUZHEN = "330825101"  # 湖镇镇
SEED_RECIPIENTS = 263 + 561 + 10_300


def dispatch(api: Any, **body: Any) -> Any:
    return api.send("POST", "/api/v1/campaigns", json={"template": "typhoon", "divisions": [LONGYOU], **body})


def test_the_typhoon_template_reaches_all_of_longyou_in_one_click(api: Any, session: Session) -> None:
    api.login("ly-centre")
    response = dispatch(api, message="台风“烟花”将于今夜登陆，请立即行动。")
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["recipients"] == SEED_RECIPIENTS
    # Numbered in the one INSERT, from the id taken first (no placeholder number written and replaced).
    assert re.fullmatch(rf"SL20\d\d{campaign['id']:06d}", campaign["number"]), campaign["number"]
    assert campaign["counts"] == {"notified": SEED_RECIPIENTS}
    rows = session.execute(
        select(CampaignTask.role, func.count().label("n"))
        .where(CampaignTask.campaign_id == campaign["id"])
        .group_by(CampaignTask.role)
    )
    by_role = {row.role: row.n for row in rows}
    assert by_role == {"team_leader": 263, "grid_head": 561, "party_member": 10_300}
    inboxes = session.scalar(
        select(func.count())
        .select_from(InboxItem)
        .join(Notification)
        .where(Notification.subject == f"campaign:{campaign['id']}")
    )
    assert inboxes == SEED_RECIPIENTS
    api.login("partymember")
    items = api.get("/api/v1/inbox").json()["items"]
    assert any(item["topic"] == "campaign.task" and "联户党员" in item["title"] for item in items)


def test_the_same_alert_dispatched_twice_is_one_campaign(api: Any, session: Session) -> None:
    api.login("ly-centre")
    first = dispatch(api, roles=["grid_head"], source_key="cap:typhoon-2107")
    second = dispatch(api, roles=["grid_head"], source_key="cap:typhoon-2107")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    tasks = session.scalar(
        select(func.count()).select_from(CampaignTask).where(CampaignTask.campaign_id == first.json()["id"])
    )
    assert tasks == 561


def test_a_scope_that_matches_nobody_is_refused_with_the_reason(api: Any, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Campaign))
    api.login("kc-centre")
    response = api.send(
        "POST", "/api/v1/campaigns", json={"template": "typhoon", "divisions": ["330802"], "roles": ["team_leader"]}
    )
    assert response.status_code == 422
    assert "matches nobody" in response.json()["detail"]
    assert session.scalar(select(func.count()).select_from(Campaign)) == before


@pytest.mark.parametrize(
    ("username", "body", "status"),
    [
        ("huzhen", {"template": "typhoon", "divisions": [LONGYOU]}, 404),  # a township cannot reach the county
        ("kc-centre", {"template": "typhoon", "divisions": [LONGYOU]}, 404),  # another county
        ("ly-centre", {"template": "hurricane", "divisions": [LONGYOU]}, 404),
        ("ly-centre", {"template": "typhoon", "divisions": ["339999"]}, 422),
        ("ly-centre", {"template": "typhoon", "divisions": [LONGYOU], "roles": ["grid_worker"]}, 422),
        ("ly-centre", {"template": "typhoon", "divisions": [], "roles": None}, 422),
        ("ly-centre", {"template": "typhoon", "divisions": [LONGYOU], "mode": "broadcast"}, 422),
    ],
)
def test_dispatch_refusals(api: Any, username: str, body: dict[str, Any], status: int) -> None:
    api.login(username)
    response = api.send("POST", "/api/v1/campaigns", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_village_committee_sees_its_village_but_may_not_dispatch(api: Any, session: Session) -> None:
    village = session.scalars(
        select(Division.code).where(Division.parent_code == HUZHEN).order_by(Division.code)
    ).first()
    api.login("village")
    response = api.send("POST", "/api/v1/campaigns", json={"template": "typhoon", "divisions": [village]})
    assert response.status_code == 403, response.text


def test_a_failure_during_dispatch_leaves_no_campaign(
    api: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    original = fanout.notify

    def fail_on_second_role(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            message = "the server went down mid-dispatch"
            raise ConnectionError(message)
        return original(*args, **kwargs)

    monkeypatch.setattr(fanout, "notify", fail_on_second_role)
    counts = select(func.count()).select_from(Campaign), select(func.count()).select_from(CampaignTask)
    before = [session.scalar(count) for count in counts]
    api.login("ly-centre")
    assert dispatch(api).status_code == 500
    assert [session.scalar(count) for count in counts] == before


def test_a_cascade_goes_county_township_village_and_records_the_path(api: Any, session: Session) -> None:
    api.login("ly-centre")
    response = dispatch(api, mode="cascade", roles=["grid_head"])
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["recipients"] == 0
    forwarded = api.send(
        "POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{LONGYOU}", json={"instructions": "县：全面部署"}
    )
    assert forwarded.status_code == 200, forwarded.text
    townships = {f["division_code"] for f in forwarded.json() if f["parent_id"] is not None}
    assert HUZHEN in townships
    again = api.send("POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{LONGYOU}", json={})
    assert again.status_code == 409

    api.login("huzhen")
    village = session.scalars(
        select(Division.code).where(Division.parent_code == HUZHEN).order_by(Division.code)
    ).first()
    assert village is not None
    assert api.send("POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{LONGYOU}", json={}).status_code == 404
    assert (
        api.send(
            "POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{HUZHEN}", json={"instructions": "镇：重点巡查山塘"}
        ).status_code
        == 200
    )

    api.login("village")
    response = api.send(
        "POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{village}", json={"instructions": "村：今晚值守"}
    )
    assert response.status_code == 200, response.text
    heads = session.scalar(
        select(func.count())
        .select_from(Position)
        .where(Position.role == "grid_head", Position.division_code.startswith(village))
    )
    tasks = session.scalars(select(CampaignTask).where(CampaignTask.campaign_id == campaign["id"])).all()
    assert len(tasks) == heads
    path = []
    forward = session.get(CampaignForward, tasks[0].forward_id)
    while forward is not None:
        path.append(forward.division_code)
        forward = session.get(CampaignForward, forward.parent_id) if forward.parent_id else None
    assert path == [village, HUZHEN, LONGYOU]


def test_the_dispatching_level_closes_a_campaign_and_its_sweeps_go(api: Any, session: Session) -> None:
    api.login("ly-centre")
    campaign = dispatch(api, roles=["team_leader"]).json()
    sweeps = (
        select(func.count())
        .select_from(Timer)
        .where(Timer.kind == "campaign.sweep", Timer.subject_id == campaign["id"])
    )
    assert session.scalar(sweeps)
    api.login("huzhen")
    assert api.send("POST", f"/api/v1/campaigns/{campaign['id']}/close").status_code == 403
    api.login("ly-centre")
    closed = api.send("POST", f"/api/v1/campaigns/{campaign['id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert session.scalar(sweeps) == 0
    assert api.send("POST", f"/api/v1/campaigns/{campaign['id']}/close").status_code == 409
    # Everyone whose task was still waiting is told it is over, with a link to it; once, however often it is closed.
    waiting = set(session.scalars(select(CampaignTask.person_id).where(CampaignTask.campaign_id == campaign["id"])))
    told = session.scalars(
        select(InboxItem.person_id)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.key == f"campaign:{campaign['id']}:closed")
    ).all()
    assert sorted(told) == sorted(waiting)  # 263 team leaders, none had claimed yet
    notice = session.scalars(select(Notification).where(Notification.key == f"campaign:{campaign['id']}:closed")).one()
    assert notice.title.startswith("三联工程已结束：")
    assert notice.link == f"/campaigns/{campaign['id']}/my-task"


def test_a_township_the_county_sent_its_campaign_to_may_not_close_it(api: Any) -> None:
    fushan = "330802006"
    api.login("kc-centre")
    sent = api.send(
        "POST",
        "/api/v1/campaigns",
        json={"template": "heat", "divisions": [fushan], "roles": ["grid_worker"], "mode": "cascade"},
    )
    assert sent.status_code == 201, sent.text
    campaign = sent.json()
    assert campaign["owner_division"] == "330802"  # the county dispatched it, to one township
    close, page = f"/api/v1/campaigns/{campaign['id']}/close", f"/campaigns/{campaign['id']}"
    api.login("fushan")
    forwarded = api.send("POST", f"/api/v1/campaigns/{campaign['id']}/forwards/{fushan}", json={"instructions": "转发"})
    assert forwarded.status_code == 200, forwarded.text  # the township forwards what it received
    assert f'action="{page}/close"' not in api.get(page, headers={"accept": "text/html"}).text
    assert api.send("POST", close).status_code == 403
    api.login("kc-traffic-head")  # a department's head over the county: a strip, not the dispatching level
    assert api.send("POST", close).status_code == 403
    api.login("kc-centre")
    assert f'action="{page}/close"' in api.get(page, headers={"accept": "text/html"}).text
    api.login("qz-centre")  # the level above the dispatching division may close it too
    closed = api.send("POST", close)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"


def test_campaigns_are_listed_to_those_whose_blocks_they_reach(api: Any) -> None:
    api.login("ly-centre")
    campaign = dispatch(api, roles=["team_leader"]).json()
    for username, sees in (("ly-centre", True), ("huzhen", True), ("kc-centre", False)):
        api.login(username)
        listed = api.get("/api/v1/campaigns", params={"limit": 200})
        assert listed.status_code == 200
        assert (campaign["id"] in {c["id"] for c in listed.json()["items"]}) is sees, username


def test_a_departments_head_dispatches_nothing_to_the_places_it_serves(api: Any) -> None:
    # 三联工程 reaches the territorial network (team leaders, grid heads, party members): its dispatchers are the
    # centres and command rooms that hold a place whole, not a unit's head whose strip runs over the county.
    api.login("kc-traffic-head")
    body = {"template": "typhoon", "divisions": ["330802"], "roles": ["party_member"]}
    refused = api.send("POST", "/api/v1/campaigns", json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["reason"] == "not_managed"
    page = api.get("/campaigns", headers={"accept": "text/html"}).text
    assert 'id="dispatch-form"' not in page
    api.login("kc-centre")
    assert 'id="dispatch-form"' in api.get("/campaigns", headers={"accept": "text/html"}).text


def test_the_packaged_templates_name_only_matters_of_the_packaged_catalog() -> None:
    named = {code for template in packaged_templates() for code in template.matters}
    assert named  # typhoon, flood and epidemic name theirs
    assert named <= {matter.code for matter in load_catalog()}


def test_a_template_names_only_matters_of_the_catalog(api: Any) -> None:
    # 同时上报问题 offers the template's matters first: a code the catalog does not hold is refused by its field.
    api.login("admin")
    typhoon = api.get("/api/v1/campaigns/templates/typhoon").json()
    assert typhoon["matters"] == ["road_safety_hazard", "rural_housing"]
    path = "/api/v1/campaigns/templates/typhoon"
    refused = api.send("PUT", path, json={**typhoon, "matters": ["road_safety_hazard", "fallen_trees"]})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "body.matters", "message": "not in the matter catalog: fallen_trees"}]
    assert api.get(path).json()["matters"] == ["road_safety_hazard", "rural_housing"]  # nothing stored
    twice = api.send("PUT", path, json={**typhoon, "matters": ["rural_housing", "rural_housing"]})
    assert twice.status_code == 422
    assert [error["field"] for error in twice.json()["errors"]] == ["body.matters"]
    saved = api.send("PUT", path, json={**typhoon, "matters": ["rural_housing"]})
    assert saved.status_code == 200, saved.text
    assert api.get(path).json()["matters"] == ["rural_housing"]
