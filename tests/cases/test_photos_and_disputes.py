"""Photos (size and type checked by content), duplicates merged, responsibility disputes decided above."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import command, report_parking, underway, unit

from zhili.cases.disputes import lead_dispute_open
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Position
from zhili.org.routing import centre_posts

HTML = {"accept": "text/html"}


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_photo_is_stored_and_served_back(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    response = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", _png(), "image/png")})
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["content_type"] == "image/png"
    assert photo["ref"] == f"photo:{photo['id']}"
    served = api.get(f"/api/v1/cases/photos/{photo['id']}")
    assert served.content == _png()
    api.login("huzhen")
    assert api.get(f"/api/v1/cases/photos/{photo['id']}").status_code == 404


def test_a_photo_of_the_wrong_type_is_415_whatever_it_claims(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    fake = api.send(
        "POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.jpg", b"MZ\x90\x00not a photo", "image/jpeg")}
    )
    assert fake.status_code == 415


def test_a_photo_over_the_limit_is_413(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    big = _png() + b"\x00" * (5 * 1024 * 1024)
    response = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("big.png", big, "image/png")})
    assert response.status_code == 413


def test_a_duplicate_is_merged_into_the_first_report(api: Any, session: Session) -> None:
    first = report_parking(api, session)
    second = report_parking(api, session)
    assert first["id"] in api.get(f"/api/v1/cases/{second['id']}").json()["probable_duplicates"]
    api.login("gridworker")
    assert (
        api.send("POST", f"/api/v1/cases/{second['id']}/merge", json={"into_case_id": first["id"]}).status_code == 403
    )
    api.login("kc-centre")
    offered = api.get(f"/cases/{second['id']}", headers={"accept": "text/html"}).text.split('id="duplicates"', 1)[1]
    offered = offered.split("</div>", 1)[0]
    assert f"并入 {first['number']}" in offered  # by its number and what was reported, not by its row id
    assert first["description"][:20] in offered
    assert f"#{first['id']}" not in offered
    merged = api.send("POST", f"/api/v1/cases/{second['id']}/merge", json={"into_case_id": first["id"]})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["status"] == "rejected"
    assert body["duplicate_of_id"] == first["id"]
    assert body["timeline"][-1]["kind"] == "merged"
    assert body["timeline"][-1]["details"]["reason"] == f"重复上报，已并入 {first['number']}"
    page = api.get(f"/cases/{second['id']}", headers={"accept": "text/html"}).text
    assert "duplicate of" not in page
    listed = api.get("/cases", headers={"accept": "text/html"}).text.split(f'data-case="{second["id"]}"', 1)[1]
    assert "已并案" in listed.split("</tr>", 1)[0]  # the queue and the 12345 desk: merged, not 不予受理


def test_a_merged_duplicate_offers_no_command_group_nor_photo_and_refuses_both(api: Any, session: Session) -> None:
    first = report_parking(api, session)
    second = report_parking(api, session)
    api.login("kc-centre")
    page = api.get(f"/cases/{second['id']}", headers={"accept": "text/html"}).text
    assert 'id="open-group-link"' in page  # before the merge, both are offered
    assert 'id="add-photo"' in page
    merged = api.send("POST", f"/api/v1/cases/{second['id']}/merge", json={"into_case_id": first["id"]})
    assert merged.status_code == 200, merged.text
    page = api.get(f"/cases/{second['id']}", headers={"accept": "text/html"}).text
    assert 'id="open-group-link"' not in page
    assert 'id="add-photo"' not in page
    assert 'id="duplicates"' not in page
    notice = page.split('id="merged-into"', 1)[1].split("</p>", 1)[0]
    assert f'<a href="/cases/{first["id"]}" translate="no">{first["number"]}</a>' in notice
    assert 'data-command="archive"' in page  # what the lifecycle still allows stays
    joined = api.get(f"/cases/{first['id']}", headers={"accept": "text/html"}).text
    here = joined.split('id="merged-here"', 1)[1].split("</div>", 1)[0]  # the case answers for the duplicate too
    assert f'<a href="/cases/{second["id"]}" translate="no">{second["number"]}</a>' in here
    photo = api.send("POST", f"/api/v1/cases/{second['id']}/photos", files={"photo": ("p.png", _png(), "image/png")})
    assert photo.status_code == 409, photo.text
    group = {"title": "违停处置指挥组", "area": "330802006", "case_id": second["id"]}
    refused = api.send("POST", "/api/v1/groups", json=group)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "case"
    form = api.get(f"/groups/new?case={second['id']}", headers={"accept": "text/html"}).text
    assert "已作为重复件并入其他办件" in form
    opened = api.send("POST", "/api/v1/groups", json={**group, "case_id": first["id"]})
    assert opened.status_code == 201, opened.text  # the case it joined opens a group


def test_an_archived_case_offers_no_command_group_nor_photo_and_refuses_a_photo(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, case, "reject", reason="不属于本级受理范围")
    rejected = api.get(f"/cases/{case['id']}", headers={"accept": "text/html"}).text
    assert 'id="add-photo"' not in rejected  # not taken: no work to show a photo of
    refused = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", _png(), "image/png")})
    assert refused.status_code == 409
    case = command(api, case, "archive")
    assert case["status"] == "archived"
    page = api.get(f"/cases/{case['id']}", headers={"accept": "text/html"}).text
    assert 'id="open-group-link"' not in page
    assert 'id="add-photo"' not in page
    photo = api.send("POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", _png(), "image/png")})
    assert photo.status_code == 409, photo.text
    assert "archived" in photo.json()["detail"]


def test_a_dispute_over_the_lead_is_decided_by_the_level_above(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "return", reason="背街小巷不属交警管辖")
    assert case["status"] == "accepted"
    assert case["lead_unit"] is None
    enforcement = unit(session, "enforcement", "330802")
    api.login("kc-traffic")
    refused = api.send(
        "POST", f"/api/v1/cases/{case['id']}/decide-lead", json={"lead_unit_id": enforcement, "reason": "x"}
    )
    assert refused.status_code == 403
    api.login("qz-centre")
    decided = api.send(
        "POST",
        f"/api/v1/cases/{case['id']}/decide-lead",
        json={"lead_unit_id": enforcement, "reason": "开放式小区违停由执法队牵头"},
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["lead_unit"]["id"] == enforcement
    assert body["status"] == "dispatched"
    last = body["timeline"][-1]
    assert last["kind"] == "lead_decided"
    assert last["details"]["reason"] == "开放式小区违停由执法队牵头"
    # The county centre, whose dispatch was disputed, learns how it was decided: a notice of its own, which the
    # new lead's sign does not settle (it asks the centre nothing).
    api.login("kc-enforcement")
    command(api, body, "sign")
    told = api.login("kc-centre").get("/api/v1/inbox", params={"limit": 200}).json()["items"]
    known = [i for i in told if i["topic"] == "case.lead_decided_known" and i["subject"] == f"case:{case['id']}"]
    assert [(i["link"], i["read_at"], i["settled_by"]) for i in known] == [
        (f"/cases/{case['id']}#timeline", None, None)
    ]
    assert known[0]["title"].startswith("牵头单位已裁定：")
    assert "开放式小区违停由执法队牵头" in known[0]["body"]


def test_escalation_hands_the_case_to_the_level_above(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, command(api, case, "sign"), "escalate", reason="涉及多个区县")
    assert case["status"] == "accepted"
    assert case["dispatcher_division"] == "3308"
    api.login("kc-centre")
    assert "dispatch" not in api.get(f"/api/v1/cases/{case['id']}").json()["allowed_commands"]
    api.login("qz-centre")
    assert "dispatch" in api.get(f"/api/v1/cases/{case['id']}").json()["allowed_commands"]


def test_dispatch_to_a_unit_that_does_not_serve_the_place_is_422(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, case, "accept")
    for unit_id in (unit(session, "hrss", "330803"), 2**31 - 1):
        response = api.send(
            "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "dispatch", "lead_unit_id": unit_id}
        )
        assert response.status_code == 422, response.text


def test_photo_evidence_must_be_photos_of_the_case(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    evidence = [{"kind": "photo", "ref": "photo:99999"}, {"kind": "text", "ref": "x"}, {"kind": "gps", "ref": "1,2"}]
    bad = api.send(
        "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "reply", "text": "done", "evidence": evidence}
    )
    assert bad.status_code == 422
    photo = api.send(
        "POST", f"/api/v1/cases/{case['id']}/photos", files={"photo": ("p.png", _png(), "image/png")}
    ).json()
    evidence[0]["ref"] = photo["ref"]
    good = api.send(
        "POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "reply", "text": "done", "evidence": evidence}
    )
    assert good.status_code == 200, good.text


def test_a_shared_place_name_means_the_reporters_own_or_is_refused(api: Any) -> None:
    body = {
        "matter": "illegal_parking",
        "description": "违停",
        "attributes": {"plate_number": "浙H1", "vehicle_type": "car", "parked_on": "pavement"},
    }
    api.login("admin")  # at home everywhere: 府山街道 of 柯城区 or of 绍兴's 越城区?
    response = api.send("POST", "/api/v1/cases", json={**body, "place": "府山街道"})
    assert response.status_code == 422
    assert "ambiguous" in response.json()["detail"]
    assert "越城区府山街道" in response.json()["detail"]
    api.login("gridworker")  # works in 柯城区: their own county's 府山街道
    own = api.send("POST", "/api/v1/cases", json={**body, "place": "府山街道"})
    assert own.status_code == 201, own.text
    assert own.json()["place_code"] == "330802006"
    clear = api.send("POST", "/api/v1/cases", json={**body, "place": "柯城区府山街道"})
    assert clear.json()["routed_unit"]["name"] == "柯城区公安交警大队"


def test_unknown_status_filters_are_422(api: Any) -> None:
    api.login("kc-centre")
    assert api.get("/api/v1/cases", params={"status": "lost"}).status_code == 422
    assert api.get("/api/v1/cases", params={"status": "reported"}).status_code == 200


def test_a_lead_dispute_is_open_only_after_a_return_not_yet_followed_by_a_dispatch() -> None:
    reported = ["report", "route"]
    assert not lead_dispute_open("accepted", [*reported, "accept"])
    assert lead_dispute_open("accepted", [*reported, "accept", "dispatch", "return", "photo_added", "urge"])
    assert not lead_dispute_open("dispatched", [*reported, "accept", "dispatch", "return", "dispatch"])
    escalated = [*reported, "accept", "dispatch", "return", "dispatch", "sign", "escalate"]
    assert not lead_dispute_open("accepted", escalated)
    assert lead_dispute_open("accepted", ["accept", "dispatch", "return", "lead_decided", "return"])
    assert not lead_dispute_open("rejected", ["accept", "dispatch", "return"])


def test_the_command_room_refers_a_dispute_and_the_level_above_is_told_where_to_decide(
    api: Any, session: Session
) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    case = command(api, command(api, case, "accept"), "dispatch")
    api.login("kc-traffic")
    case = command(api, case, "return", reason="背街小巷不属交警管辖")
    page = f"/cases/{case['id']}"
    api.login("kc-centre")
    assert 'id="refer-dispute"' in api.get(page, headers=HTML).text
    blank = api.send("POST", f"{page}/refer-dispute", data={"reason": ""}, headers=HTML)
    assert blank.status_code == 422
    assert 'id="refer-dispute"' in blank.text
    referred = api.send("POST", f"{page}/refer-dispute", data={"reason": "交警与执法队均称非本单位职责"})
    assert referred.status_code == 200  # back on the case page
    city = set(session.scalars(select(Position.person_id).where(centre_posts("3308"))))
    notes = session.scalars(
        select(Notification).where(
            Notification.subject == f"case:{case['id']}", Notification.topic == "case.dispute_referred"
        )
    ).all()
    assert len(notes) == 1
    assert notes[0].link == f"{page}#actions"
    told = set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notes[0].id)))
    assert city
    assert told == city
    waiting = api.get(page, headers=HTML).text
    assert 'id="refer-dispute"' not in waiting  # referred once
    assert 'id="dispute-referred"' in waiting  # and the page says it waits on the level above
    assert "提请上级裁定牵头部门，等待裁定" in waiting
    again = api.send("POST", f"/api/v1/cases/{case['id']}/refer-dispute", json={"reason": "再次"})
    assert again.status_code == 409  # the API refers as the page does, once
    api.login("kc-traffic")
    assert api.send("POST", f"{page}/refer-dispute", data={"reason": "x"}).status_code in {403, 404}
    api.login("qz-centre")
    deciding = api.get(page, headers=HTML).text
    assert 'id="decide-lead"' in deciding
    assert 'id="dispute-referred"' not in deciding  # the level above decides: no "waiting" note for it
