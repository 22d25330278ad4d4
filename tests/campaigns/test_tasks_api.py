"""The task API (/api/v1/tasks) on SQLite and PostgreSQL: the phone's flow and every bad input of the issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import (
    dispatch_typhoon,
    gridhead_report,
    png,
    point_far_from,
    point_in,
    task_of,
)
from tests.conftest import Api

from zhili.campaigns.models import Campaign, CampaignTask
from zhili.cases.models import Case
from zhili.core.clock import FrozenClock
from zhili.org.models import Division


def _division_name(session: Session, code: str) -> str:
    return str(session.scalars(select(Division.name).where(Division.code == code)).one())


def send(api: Api, task: CampaignTask, action: str, **body: Any) -> Any:
    return api.send("POST", f"/api/v1/tasks/{task.id}/{action}", json=body or None)


def upload(api: Api, task: CampaignTask, data: bytes) -> Any:
    return api.send("POST", f"/api/v1/tasks/{task.id}/photos", files={"photo": ("p.png", data, "image/png")})


def campaign_and_tasks(session: Session, clock: FrozenClock) -> tuple[Campaign, CampaignTask, CampaignTask]:
    campaign = dispatch_typhoon(session, clock)
    return campaign, task_of(session, campaign, "partymember"), task_of(session, campaign, "gridhead")


def test_the_phone_flow_list_claim_report_verify_rate(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    mine = api.get("/api/v1/tasks").json()  # newest first: then the demo's live typhoon task
    assert [(t["id"], t["state"], t["campaign"]["number"]) for t in mine["items"][:1]] == [
        (task.id, "notified", campaign.number)
    ]
    assert [t["campaign"]["title"] for t in mine["items"][1:]] == ["阳湖社区防台风（演示）"]
    assert mine["items"][0]["allowed_actions"] == ["read", "claim", "decline"]
    detail = api.get(f"/api/v1/tasks/{task.id}").json()
    assert detail["instructions"].startswith("逐户提醒")
    assert detail["evidence"] == ["text", "gps"]
    assert detail["campaign"]["message"] == "台风“烟花”今夜登陆。"
    claimed = send(api, task, "claim")
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["state"], claimed.json()["allowed_actions"]) == ("claimed", ["report"])
    reported = send(api, task, "report", text="12户已提醒", point=point_in(session, task.division_code))
    assert reported.status_code == 200, reported.text
    assert (reported.json()["state"], reported.json()["is_far"]) == ("reported", False)
    api.login("gridhead")
    to_verify = api.get("/api/v1/tasks", params={"view": "above", "state": "reported", "campaign": campaign.id}).json()
    assert [t["id"] for t in to_verify["items"]] == [task.id]
    assert send(api, task, "verify", note="属实").json()["state"] == "verified"
    rated = send(api, task, "rate", rating="good")
    assert (rated.json()["state"], rated.json()["rating"], rated.json()["points"]) == ("rated", "good", 4)


def test_claiming_twice_is_409(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    assert send(api, task, "claim").status_code == 200
    again = send(api, task, "claim")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["allowed"] == ["report"]


def test_claiming_someone_elses_task_is_404(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    assert send(api, head_task, "claim").status_code == 404
    assert api.get(f"/api/v1/tasks/{head_task.id}").status_code == 404
    api.login("gridworker")  # 柯城区: another county altogether
    assert send(api, task, "claim").status_code == 404
    api.login("gridhead")  # the level above sees it, but it is not theirs to claim
    refused = send(api, task, "claim")
    assert refused.status_code == 403
    assert refused.json()["allowed"] == []


def test_reporting_before_claiming_is_409(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    early = send(api, task, "report", text="已走访", point=point_in(session, task.division_code))
    assert early.status_code == 409
    assert early.json()["allowed"] == ["read", "claim", "decline"]


def test_a_report_missing_evidence_is_422_naming_each_field(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, _task, head_task = campaign_and_tasks(session, clock)
    api.login("gridhead")
    send(api, head_task, "claim")
    missing = send(api, head_task, "report", text=" ")
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body.text", "body.photo_ids", "body.point"]


def test_a_report_far_outside_the_grid_is_flagged_not_refused(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    send(api, task, "claim")
    far = send(api, task, "report", text="已走访", point=point_far_from(session, task.division_code))
    assert far.status_code == 200, far.text
    assert (far.json()["state"], far.json()["is_far"]) == ("reported", True)
    api.login("gridhead")
    flagged = api.get("/api/v1/tasks", params={"view": "above", "state": "reported"}).json()["items"]
    assert [t["is_far"] for t in flagged if t["id"] == task.id] == [True]


def test_photos_then_report_then_a_return_and_a_second_report(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, _task, head_task = campaign_and_tasks(session, clock)
    api.login("gridhead")
    assert upload(api, head_task, png()).status_code == 409  # photos belong to a report: claim first
    send(api, head_task, "claim")
    assert upload(api, head_task, b"MZ\x90\x00not a photo").status_code == 415
    assert upload(api, head_task, png() + b"\x00" * (5 * 1024 * 1024)).status_code == 413
    photo = upload(api, head_task, png())
    assert photo.status_code == 201, photo.text
    url = photo.json()["url"]
    assert api.get(url).content == png()
    reported = send(api, head_task, "report", **gridhead_report(session, head_task, [photo.json()["id"]]))
    assert reported.status_code == 200, reported.text
    assert [p["id"] for p in reported.json()["photos"]] == [photo.json()["id"]]
    api.login("partymember")
    assert api.get(url).status_code == 404
    api.login("village")  # the village committee over the grid head
    returned = send(api, head_task, "return", reason="照片看不清")
    assert (returned.json()["state"], returned.json()["returned_count"]) == ("claimed", 1)
    assert send(api, head_task, "verify").status_code == 409
    api.login("gridhead")
    again = send(api, head_task, "report", **gridhead_report(session, head_task, [photo.json()["id"]]))
    assert again.json()["state"] == "reported"
    api.login("village")
    assert send(api, head_task, "verify").json()["state"] == "verified"


def test_the_recipient_may_not_verify_and_a_return_needs_a_reason(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    send(api, task, "claim")
    send(api, task, "report", text="已走访", point=point_in(session, task.division_code))
    assert send(api, task, "verify").status_code == 403
    api.login("gridhead")
    assert send(api, task, "return").status_code == 422
    assert send(api, task, "rate", rating="excellent").status_code == 422
    assert send(api, task, "rate", rating="good").status_code == 409  # rated only once verified


def test_a_report_raises_the_fallen_tree_as_a_case(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, _task, head_task = campaign_and_tasks(session, clock)
    api.login("gridhead")
    send(api, head_task, "claim")
    photo = upload(api, head_task, png()).json()
    fallen_tree = {
        "matter": "road_safety_hazard",
        "description": "大树倒伏压住半幅路面",
        "attributes": {"hazard_type": "obstruction", "road_name": "湖镇大道", "lanes_blocked": "partial"},
    }
    body = {**gridhead_report(session, head_task, [photo["id"]]), "raise_case": fallen_tree}
    reported = send(api, head_task, "report", **body)
    assert reported.status_code == 200, reported.text
    case_id = reported.json()["case_id"]
    case = session.scalars(select(Case).where(Case.id == case_id)).one()
    assert (case.channel, case.matter_code) == ("campaign", "road_safety_hazard")
    assert campaign.number in case.description
    assert api.get(f"/api/v1/cases/{case_id}").status_code == 200
    wrong = {**fallen_tree, "attributes": {}}
    api.login("partymember")
    task = task_of(session, campaign, "partymember")
    send(api, task, "claim")
    refused = send(api, task, "report", text="有倒树", point=point_in(session, task.division_code), raise_case=wrong)
    assert refused.status_code == 422
    assert api.get(f"/api/v1/tasks/{task.id}").json()["state"] == "claimed"


def test_decline_with_a_reason(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    assert send(api, task, "decline").status_code == 422
    declined = send(api, task, "decline", reason="住院中")
    assert (declined.json()["state"], declined.json()["reason"]) == ("declined", "住院中")
    assert send(api, task, "claim").status_code == 409


def test_reading_twice_changes_nothing_and_the_list_pages(api: Api, session: Session, clock: FrozenClock) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    first = send(api, task, "read").json()
    assert send(api, task, "read").json()["read_at"] == first["read_at"]
    api.login("gridhead")
    page = api.get("/api/v1/tasks", params={"view": "above", "limit": 2}).json()
    assert len(page["items"]) == 2
    rest = api.get("/api/v1/tasks", params={"view": "above", "cursor": page["next_cursor"]}).json()
    assert not {t["id"] for t in rest["items"]} & {t["id"] for t in page["items"]}
    assert api.get("/api/v1/tasks", params={"cursor": "not-ours"}).status_code == 422


def test_a_closed_campaign_takes_no_more_claims_or_reports(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign, task, head_task = campaign_and_tasks(session, clock)
    api.login("gridhead")
    assert send(api, head_task, "claim").status_code == 200
    campaign.status = "closed"
    session.flush()
    api.login("partymember")
    refused = send(api, task, "claim")
    assert refused.status_code == 409
    assert "closed" in refused.json()["detail"]
    api.login("gridhead")
    assert (
        send(api, head_task, "report", text="巡查完毕", point=point_in(session, head_task.division_code)).status_code
        == 409
    )


def test_the_level_above_is_told_a_report_waits_for_verification(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    api.login("partymember")
    assert send(api, task, "claim").status_code == 200
    assert send(api, task, "report", text="12户已提醒", point=point_in(session, task.division_code)).status_code == 200
    api.login("gridhead")
    items = api.get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    waiting = [
        item
        for item in items
        if item["topic"] == "campaign.task.reported" and item["link"] == f"/tasks/{task.id}#the-report"
    ]
    assert len(waiting) == 1
    assert waiting[0]["title"].startswith("待核验")
    assert waiting[0]["body"].startswith("吴林 · ")  # who, of the 20 a grid head answers for, and where
    assert waiting[0]["body"].endswith("12户已提醒")


def test_the_level_above_is_told_a_task_was_declined_and_why(api: Api, session: Session, clock: FrozenClock) -> None:
    # The level above is the one to find someone else: it learns at once, with the reason.
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    assert send(api.login("partymember"), task, "decline", reason="住院中，无法走访").status_code == 200
    items = api.login("gridhead").get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    declined = [item for item in items if item["topic"] == "campaign.task.declined"]
    assert len(declined) == 1
    assert declined[0]["title"].startswith("任务被拒领：")
    assert declined[0]["body"] == f"吴林 · {_division_name(session, task.division_code)}\n拒领理由：住院中，无法走访"
    assert declined[0]["link"] == f"/tasks/{task.id}#reassign"  # where the 改派 form is


def test_a_post_with_no_supervisor_tells_the_nearest_managing_posts_above(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    # An imported post may name no supervisor: its decline and its report still reach someone who may act,
    # the village committee over the grid, and not the grid head, who no longer supervises it.
    _campaign, task, _head_task = campaign_and_tasks(session, clock)
    session.execute(update(CampaignTask).where(CampaignTask.id == task.id).values(supervisor_position_id=None))
    session.commit()
    assert send(api.login("partymember"), task, "decline", reason="住院中，无法走访").status_code == 200
    assert "campaign.task.declined" not in topics(api.login("gridhead"))
    village = api.login("village")
    assert topics(village).count("campaign.task.declined") == 1
    item = next(i for i in inbox(village) if i["topic"] == "campaign.task.declined")
    assert item["link"] == f"/tasks/{task.id}#reassign"
    assert village.get(f"/api/v1/tasks/{task.id}").json()["allowed_actions"] == ["reassign", "overrule"]
    assert send(village, task, "overrule", reason="请坚持走访").status_code == 200
    api.login("partymember")
    assert send(api, task, "claim").status_code == 200
    reported = send(api, task, "report", text="12户已提醒", point=point_in(session, task.division_code))
    assert reported.status_code == 200, reported.text
    assert topics(api.login("village")).count("campaign.task.reported") == 1
    assert "campaign.task.reported" not in topics(api.login("gridhead"))


def inbox(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/inbox", params={"limit": 200}).json()["items"])


def topics(api: Api) -> list[str]:
    return [item["topic"] for item in inbox(api)]
