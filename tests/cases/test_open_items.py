"""Closing over open help requests and meeting tasks, and who may be asked for help; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, command, report_parking, underway, unit
from tests.demo_logins import first_of, login_for

from zhili.access.models import Account
from zhili.cases.models import CaseTask, CollaborationRequest
from zhili.core import audit
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification

CANCEL = "现场已处置完毕，无需继续协同"


def unit_login(session: Session, clock: FrozenClock, kind: str, username: str) -> int:
    """A login for a staff member of the 柯城区 unit of `kind`; the unit's id."""
    unit_id = unit(session, kind, "330802")
    login_for(session, first_of(session, unit_id), username, clock=clock)
    return unit_id


def reply_form(api: Any, case: dict[str, Any], **fields: str) -> dict[str, str]:
    """The case page's 回单 form as the traffic police fill it (text and GPS), with `fields` added or changed."""
    base = {"csrf_token": api.csrf, "command": "reply", "version": str(case["version"])}
    return {**base, "text": "已联系车主将车辆驶离", "evidence_gps": "118.87120,28.93610", **fields}


def handled_case(api: Any, session: Session, clock: FrozenClock) -> dict[str, Any]:
    """Illegal parking led by the traffic police, two units asked, a meeting task given to housing; in progress."""
    case = report_parking(api, session)
    case = underway(api, case)
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={
            "requests": [
                {"unit_id": enforcement, "deadline_hours": 24, "text": "请协助核查占道情况"},
                {"unit_id": housing, "deadline_hours": 48, "text": "请协助整改停车设施"},
            ]
        },
    )
    assert asked.status_code == 201, asked.text
    meeting = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/meetings",
        json={
            "title": "违停治理会商",
            "held_at": clock.now().isoformat(),
            "minutes": "交警牵头，住建配合。",
            "decisions": [
                {
                    "description": "增设临时停车引导",
                    "owner_unit_id": housing,
                    "deadline_at": (clock.now() + timedelta(days=3)).isoformat(),
                }
            ],
        },
    )
    assert meeting.status_code == 201, meeting.text
    return dict(meeting.json())


def verified(api: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The lead replies with photo, GPS and text; the grid worker verifies; back as the lead."""
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    evidence = [
        {"kind": "photo", "ref": photo.json()["ref"]},
        {"kind": "text", "ref": "现场已恢复"},
        {"kind": "gps", "ref": "118.8712,28.9361"},
    ]
    case = command(api, case, "reply", text="车辆已拖离", evidence=evidence)
    api.login("gridworker")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    return case


def test_closing_over_open_work_is_refused_without_a_decision(api: Any, session: Session, clock: FrozenClock) -> None:
    case = verified(api, handled_case(api, session, clock))
    refused = api.send(
        "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "close", "version": case["version"]}
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/open-items")
    assert len(problem["open_help_requests"]) == 2
    assert len(problem["open_tasks"]) == 1
    again = api.get(f"/api/v1/cases/{case['id']}").json()
    assert again["status"] == "verified"
    assert {r["status"] for r in again["collaboration"]} == {"requested"}
    page = api.get(f"/cases/{case['id']}", headers={"accept": "text/html"}).text
    assert '<p class="alert warning" id="open-items">还有 2 项协同待回复、1 项会商任务未完成。' in page


def test_closing_cancels_open_work_with_the_reason(api: Any, session: Session, clock: FrozenClock) -> None:
    case = verified(api, handled_case(api, session, clock))
    closed = command(api, case, "close", cancel_reason=CANCEL)
    assert closed["status"] == "closed"
    assert {r["status"] for r in closed["collaboration"]} == {"cancelled"}
    assert {t["status"] for t in closed["tasks"]} == {"cancelled"}
    kinds = [e["kind"] for e in closed["timeline"]]
    assert kinds[-4:] == ["help_cancelled", "help_cancelled", "task_cancelled", "close"]
    cancelled = [e for e in closed["timeline"] if e["kind"].endswith("_cancelled")]
    assert {e["details"]["reason"] for e in cancelled} == {CANCEL}
    ids = {str(r["id"]) for r in closed["collaboration"]} | {str(t["id"]) for t in closed["tasks"]}
    actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id.in_(ids))))
    assert {"case.help_cancelled", "case.task_cancelled"} <= actions
    assert audit.verify(session).is_intact
    # the asked units' 部门协同待回复 and the owner's 会商任务待完成 no longer wait: called off by the closer
    asked = select(Notification.id).where(
        Notification.subject == f"case:{case['id']}",
        Notification.topic.in_(["case.help_requested", "case.meeting_held"]),
    )
    items = session.scalars(select(InboxItem).where(InboxItem.notification_id.in_(asked))).all()
    assert items
    closer = session.scalar(select(Account.person_id).where(Account.username == "kc-traffic"))
    assert {(item.settled_by, item.settled_as, item.read_at is not None) for item in items} == {
        (closer, "cancelled", True)
    }


def test_cancelled_work_takes_no_reply_and_is_not_done(api: Any, session: Session, clock: FrozenClock) -> None:
    case = verified(api, handled_case(api, session, clock))
    unit_login(session, clock, "housing", "kc-housing-a")
    command(api, case, "close", cancel_reason=CANCEL)
    request = session.scalars(
        select(CollaborationRequest).where(
            CollaborationRequest.case_id == case["id"],
            CollaborationRequest.unit_id == unit(session, "housing", "330802"),
        )
    ).one()
    task = session.scalars(select(CaseTask).where(CaseTask.case_id == case["id"])).one()
    api.login("kc-housing-a")
    reply = api.send("POST", f"/api/v1/cases/help-requests/{request.id}/reply", json={"text": "已整改"})
    assert reply.status_code == 409
    done = api.send("POST", f"/api/v1/cases/tasks/{task.id}/done", json={"note": "已完成"})
    assert done.status_code == 409


def test_a_close_with_nothing_open_needs_no_reason(api: Any, session: Session, clock: FrozenClock) -> None:
    case = verified(api, handled_case(api, session, clock))
    enforcement_login, housing_login = "kc-enforce-b", "kc-housing-b"
    unit_login(session, clock, "enforcement", enforcement_login)
    unit_login(session, clock, "housing", housing_login)
    for login in (enforcement_login, housing_login):
        api.login(login)
        mine = [r for r in api.get(f"/api/v1/cases/{case['id']}").json()["collaboration"] if r["status"] == "requested"]
        mine_ids = {r["id"] for r in mine}
        for request_id in sorted(mine_ids):
            answered = api.send(
                "POST",
                f"/api/v1/cases/help-requests/{request_id}/reply",
                json={"text": "已协助", "evidence": [{"kind": "gps", "ref": "118.87,28.93"}]},
            )
            if answered.status_code != 404:  # the other unit's request is not ours to see
                assert answered.status_code == 200, answered.text
    task = api.get(f"/api/v1/cases/{case['id']}").json()["tasks"][0]
    assert api.send("POST", f"/api/v1/cases/tasks/{task['id']}/done", json={"note": "引导牌已设"}).status_code == 200
    api.login("kc-traffic")
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    assert command(api, case, "close")["status"] == "closed"


def test_help_goes_only_to_the_units_offered(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    details = []
    for unit_id in (unit(session, "hrss", "330802"), 999_999, unit(session, "housing", "330803")):
        refused = api.send(
            "POST",
            f"/api/v1/cases/{case['id']}/help-requests",
            json={"requests": [{"unit_id": unit_id, "deadline_hours": 24, "text": "请协助"}]},
        )
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        details.append(problem["detail"])
        said = [problem["detail"], *(error["message"] for error in problem["errors"])]
        assert all(str(unit_id) not in words for words in said)  # not the request id, which may hold the digits
    assert len(set(details)) == 1


def test_a_help_reply_cites_this_cases_photos_and_a_real_gps_fix(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    case = handled_case(api, session, clock)
    unit_login(session, clock, "enforcement", "kc-enforce-c")
    request_id = next(
        r["id"] for r in case["collaboration"] if r["unit"]["id"] == unit(session, "enforcement", "330802")
    )
    api.login("kc-enforce-c")
    url = f"/api/v1/cases/help-requests/{request_id}/reply"
    bad_gps = api.send("POST", url, json={"text": "已核查", "evidence": [{"kind": "gps", "ref": "路口东侧"}]})
    assert bad_gps.status_code == 422
    bad_photo = api.send("POST", url, json={"text": "已核查", "evidence": [{"kind": "photo", "ref": "photo:999999"}]})
    assert bad_photo.status_code == 422
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text
    evidence = [{"kind": "photo", "ref": photo.json()["ref"]}, {"kind": "gps", "ref": "118.8712,28.9361"}]
    answered = api.send("POST", url, json={"text": "已核查，占道属实", "evidence": evidence})
    assert answered.status_code == 200, answered.text
