"""The issue's "done when" flow through the API, on SQLite and PostgreSQL.

Report illegal parking at a point in 府山街道 → routed to the Kecheng traffic police with the grid's
contact officer informed → the lead asks two units for help → a consultation meeting → reply →
verify → close → rate; every step on the timeline and in the audit record.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.access.models import Account
from zhili.cases.models import Case, CaseEvent
from zhili.core import audit
from zhili.core.audit import AuditRecord
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Department, Division, Person

FUSHAN = "330802006"
# A real 1×1 PNG (the photo check decodes the bytes, checksums included).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415478da63f8cfc0000003010100f70341430000000049454e44ae426082"
)


def fushan_point(session: Session) -> tuple[str, dict[str, float]]:
    """A grid of 府山街道 that has a traffic-police contact, and a point inside it."""
    grid = session.scalars(
        select(Division).where(Division.code.startswith(FUSHAN), Division.level == "grid").order_by(Division.code)
    ).first()
    assert grid is not None
    point = areal_from_geojson(grid.geometry).representative_point()
    return grid.code, {"lon": point.x, "lat": point.y}


def unit(session: Session, kind: str, division: str) -> int:
    return session.scalars(
        select(Department.id).where(Department.kind_code == kind, Department.division_code == division)
    ).one()


PARKING = {"plate_number": "浙H12345", "vehicle_type": "car", "parked_on": "pavement"}


def report_body(
    point: dict[str, float],
    *,
    matter: str = "illegal_parking",
    description: str = "人行道上停了一辆车，挡住了盲道",
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of a report by phone: illegal parking unless told otherwise."""
    chosen = PARKING if attributes is None else attributes
    return {"matter": matter, "point": point, "description": description, "channel": "phone", "attributes": chosen}


def report_parking(api: Any, session: Session) -> dict[str, Any]:
    grid, point = fushan_point(session)
    api.login("gridworker")
    body = report_body(point)
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 201, response.text
    brief = response.json()
    assert response.headers["location"] == brief["links"]["self"] == f"/api/v1/cases/{brief['id']}"
    case = api.get(response.headers["location"]).json()
    assert {key: case[key] for key in ("id", "number", "status", "version", "grid_code", "routed_unit")} == {
        key: brief[key] for key in ("id", "number", "status", "version", "grid_code", "routed_unit")
    }
    assert case["grid_code"] == grid
    return case


def underway(api: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The case accepted and dispatched by `kc-centre`, signed for and started by `kc-traffic` (still logged in)."""
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    return command(api, command(api, case, "sign"), "start")


def command(api: Any, case: dict[str, Any], name: str, **body: Any) -> dict[str, Any]:
    response = api.send(
        "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": name, "version": case["version"], **body}
    )
    assert response.status_code == 200, f"{name}: {response.text}"
    return response.json()


def test_illegal_parking_goes_round_the_closed_loop(api: Any, session: Session, clock: Any) -> None:
    case = report_parking(api, session)
    assert case["status"] == "reported"
    assert case["routed_unit"]["name"] == "柯城区公安交警大队"
    assert case["contact_name"] is None  # the reporter's grid does not reach the traffic police's people
    assert [e["kind"] for e in case["timeline"]] == ["report", "routed", "contact_informed"]

    api.login("kc-centre")
    case = command(api, case, "accept")
    assert case["contact_name"]
    case = command(api, case, "dispatch")
    assert case["lead_unit"]["name"] == "柯城区公安交警大队"

    api.login("kc-traffic")
    case = command(api, case, "sign")
    case = command(api, case, "start")
    enforcement, housing = unit(session, "enforcement", "330802"), unit(session, "housing", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={
            "requests": [
                {"unit_id": enforcement, "deadline_hours": 24, "text": "请协助核查占道情况", "stage": "investigation"},
                {"unit_id": housing, "deadline_hours": 48, "text": "请协助整改停车设施", "stage": "rectification"},
            ]
        },
    )
    assert asked.status_code == 201, asked.text
    requests = asked.json()["collaboration"]
    assert {r["unit"]["id"] for r in requests} == {enforcement, housing}

    clock.advance(timedelta(hours=2))
    meeting = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/meetings",
        json={
            "title": "违停治理会商",
            "held_at": clock.now().isoformat(),
            "place": "府山街道指挥室",
            "minutes": "交警牵头，执法队与住建配合。",
            "attendee_unit_ids": [enforcement, housing],
            "attendee_divisions": [FUSHAN],
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
    detail = meeting.json()
    assert detail["meetings"][0]["attendees"] == ["柯城区综合行政执法队", "柯城区住房和城乡建设局", "府山街道"]
    assert detail["tasks"][0]["status"] == "open"

    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", PNG, "image/png")})
    assert photo.status_code == 201, photo.text
    case = api.get(f"/api/v1/cases/{case['id']}").json()
    case = command(
        api,
        case,
        "reply",
        text="车辆已拖离，人行道已清理",
        evidence=[
            {"kind": "photo", "ref": photo.json()["ref"]},
            {"kind": "text", "ref": "现场已恢复"},
            {"kind": "gps", "ref": "118.8712,28.9361"},
        ],
    )
    assert case["status"] == "feedback"

    api.login("gridworker")
    case = command(api, case, "verify")
    api.login("kc-traffic")
    # The two help requests and the meeting's task are still open: closing cancels them with a reason.
    case = command(api, case, "close", cancel_reason="现场已处置完毕，无需继续协同")
    assert case["status"] == "closed"
    api.login("gridworker")
    case = command(api, case, "rate", rating="very_satisfied")
    assert case["status"] == "rated"

    kinds = [e["kind"] for e in case["timeline"]]
    assert kinds == [
        "report",
        "routed",
        "contact_informed",
        "accept",
        "dispatch",
        "sign",
        "start",
        "help_requested",
        "meeting_held",
        "photo_added",
        "reply",
        "verify",
        "help_cancelled",
        "help_cancelled",
        "task_cancelled",
        "close",
        "rate",
    ]
    # Each line names its actor by the person behind the login; the system's lines name nobody.
    who = {e["kind"]: (e["actor"].split(":")[0], e["who"]) for e in case["timeline"]}
    gridworker = session.scalar(select(Person.name).join(Account).where(Account.username == "gridworker"))
    assert who["report"] == who["rate"] == ("account", gridworker)
    assert who["accept"][1] == session.scalar(select(Person.name).join(Account).where(Account.username == "kc-centre"))
    assert who["routed"] == ("system", None)
    actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(case["id"]))))
    assert {"case.reported", "case.accept", "case.dispatch", "case.reply", "case.close", "case.rate"} <= actions
    assert audit.verify(session).is_intact


def test_collaborators_answer_their_own_request_only(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    housing = unit(session, "housing", "330802")
    asked = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/help-requests",
        json={"requests": [{"unit_id": housing, "deadline_hours": 24, "text": "请协助"}]},
    ).json()
    request_id = asked["collaboration"][0]["id"]
    assert api.send("POST", f"/api/v1/cases/help-requests/{request_id}/reply", json={"text": "越权"}).status_code == 404
    api.login("qj-hrss")
    assert api.send("POST", f"/api/v1/cases/help-requests/{request_id}/reply", json={"text": "越权"}).status_code == 404


def test_wrong_party_wrong_state_and_stale_version(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-traffic")
    refused = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "accept"})
    assert refused.status_code == 403
    assert "accept" not in refused.json()["allowed"]
    api.login("kc-centre")
    wrong_state = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "close"})
    assert wrong_state.status_code == 409
    assert "accept" in wrong_state.json()["allowed"]
    accepted = command(api, case, "accept")
    stale = api.send(
        "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "dispatch", "version": case["version"]}
    )
    assert stale.status_code == 409
    assert accepted["version"] == case["version"] + 1


def test_a_retried_report_with_its_key_is_answered_again_not_reported_twice(api: Any, session: Session) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = report_body(
        point, description="重试的上报", attributes={**PARKING, "plate_number": "浙H54321", "parked_on": "lane"}
    )
    headers = {"Idempotency-Key": "report-retried-1"}
    first = api.send("POST", "/api/v1/cases", json=body, headers=headers)
    again = api.send("POST", "/api/v1/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["location"] == first.headers["location"] == f"/api/v1/cases/{first.json()['id']}"
    stored = session.scalar(select(func.count()).select_from(Case).where(Case.description == "重试的上报"))
    assert stored == 1


def test_attributes_are_checked_against_the_matter(api: Any, session: Session) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    response = api.send(
        "POST",
        "/api/v1/cases",
        json={
            "matter": "illegal_parking",
            "point": point,
            "description": "违停",
            "attributes": {"plate_number": "", "no_such_field": 1},
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"attributes.plate_number", "attributes.no_such_field"} <= fields


def test_a_report_with_neither_point_nor_place_names_the_point(api: Any) -> None:
    api.login("gridworker")
    body = {key: value for key, value in report_body({"lon": 0.0, "lat": 0.0}).items() if key != "point"}
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.point"]  # the rule's field, not the body


def test_cases_outside_the_scope_are_404(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("huzhen")
    assert api.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert case["id"] not in [c["id"] for c in api.get("/api/v1/cases", params={"limit": 500}).json()["items"]]
    api.login("fushan")
    assert case["id"] in [c["id"] for c in api.get("/api/v1/cases").json()["items"]]


def test_the_record_names_the_people_the_demo_wrote_and_nobody_for_the_system(api: Any, session: Session) -> None:
    # The demo's lines name their people as `person:<id>:<name>`: `who` says whom; a system line names nobody.
    line = session.execute(
        select(CaseEvent.case_id, CaseEvent.actor)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.actor.like("person:%"), Case.place_code.like("330802%"))
        .limit(1)
    ).one()
    person_id = int(line.actor.split(":")[1])
    api.login("kc-centre")
    timeline = api.get(f"/api/v1/cases/{line.case_id}").json()["timeline"]
    named = {e["actor"]: e["who"] for e in timeline}
    assert named[line.actor] == session.scalar(select(Person.name).where(Person.id == person_id))
    assert all(who is None for actor, who in named.items() if not actor.startswith(("person:", "account:")))
