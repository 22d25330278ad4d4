"""`POST /api/v1/alerts`: CAP XML in, the stored alert out; the same message twice answered the same; refusals."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.alerts.helpers import LONGYOU, demo_bytes, variant
from tests.conftest import Api
from zhili.alerts.cap import MAX_BYTES
from zhili.alerts.models import AlertRecord, AlertRefusal

CAP = {"Content-Type": "application/cap+xml"}


def post(api: Api, data: bytes, **headers: str) -> object:
    return api.send("POST", "/api/v1/alerts", content=data, headers={**CAP, **headers})


def test_a_centre_hands_in_the_longyou_warning_and_the_same_message_again_is_answered_the_same(
    api: Api, session: Session
) -> None:
    api.login("qz-centre")
    first = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers=CAP)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["sender"], body["status"], body["is_drill"], body["divisions"]) == (
        "衢州市气象台",
        "Actual",
        False,
        [LONGYOU],
    )
    assert first.headers["location"] == f"/api/v1/alerts/{body['id']}"
    again = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers={"Content-Type": "text/xml"})
    assert again.status_code == 201
    assert again.json() == body
    assert session.scalar(select(func.count()).select_from(AlertRecord)) == 1
    read = api.get(f"/api/v1/alerts/{body['id']}")
    assert read.status_code == 200
    assert read.json()["divisions"] == [{"code": LONGYOU, "name": "龙游县", "how": "geocode"}]
    raw = api.get(f"/api/v1/alerts/{body['id']}/cap.xml")
    assert raw.status_code == 200
    assert raw.content == demo_bytes()
    assert raw.headers["content-disposition"].startswith("attachment")


def test_a_retry_with_an_idempotency_key_is_replayed(api: Api) -> None:
    api.login("admin")
    first = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers={**CAP, "Idempotency-Key": "k-1"})
    replay = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers={**CAP, "Idempotency-Key": "k-1"})
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    other = api.send("POST", "/api/v1/alerts", content=variant(), headers={**CAP, "Idempotency-Key": "k-1"})
    assert other.status_code == 409  # the key reused for another message


def test_field_staff_may_not_hand_in_alerts(api: Api, session: Session) -> None:
    api.login("gridworker")
    refused = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers=CAP)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/alerts").status_code == 403
    assert session.scalar(select(func.count()).select_from(AlertRecord)) == 0


def test_bad_messages_get_a_problem_naming_what_is_wrong_and_are_kept(api: Api, session: Session) -> None:
    api.login("admin")
    plain = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    xxe = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    unsafe = api.send("POST", "/api/v1/alerts", content=xxe, headers=CAP)
    assert unsafe.status_code == 400
    assert "root:" not in unsafe.text
    wrong = api.send("POST", "/api/v1/alerts", content=variant(severity="Orange"), headers=CAP)
    assert wrong.status_code == 422
    problem = wrong.json()
    assert problem["errors"][0]["field"] == "alert.info[0].severity"
    assert "'Orange' is not one of" in problem["errors"][0]["message"]
    big = api.send("POST", "/api/v1/alerts", content=b" " * (MAX_BYTES + 1), headers=CAP)
    assert big.status_code == 413
    garbage = api.send("POST", "/api/v1/alerts", content=b"\xff\xfe<<", headers=CAP)
    assert garbage.status_code == 422
    assert session.scalar(select(func.count()).select_from(AlertRefusal)) == 3  # unsafe, wrong, garbage


def test_a_centre_reads_the_alerts_over_its_divisions_only(api: Api) -> None:
    api.login("admin")
    alert_id = api.send("POST", "/api/v1/alerts", content=demo_bytes(), headers=CAP).json()["id"]
    api.login("ly-centre")
    assert [a["id"] for a in api.get("/api/v1/alerts").json()["items"]] == [alert_id]
    assert api.get(f"/api/v1/alerts/{alert_id}").status_code == 200
    api.login("kc-centre")
    assert api.get("/api/v1/alerts").json()["items"] == []
    assert api.get(f"/api/v1/alerts/{alert_id}").status_code == 404
    api.login("qz-centre")  # the city's centre reads its counties' alerts
    assert api.get(f"/api/v1/alerts/{alert_id}").status_code == 200
