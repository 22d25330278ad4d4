"""Case points for the map: only cases the caller sees, in the box, with the queue's light (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_flow import report_parking

from zhili.cases.models import Case
from zhili.cases.queries import OPEN_STATUSES

KECHENG = "330802"
LONGYOU = "330825"


def points(api: Any, query: str = "") -> dict[str, Any]:
    response = api.get(f"/api/v1/cases/points{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def places(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(Case.id, Case.place_code).where(Case.id.in_(ids))).all())


def test_a_county_centre_gets_only_its_county_cases(api: Any, session: Session) -> None:
    api.login("ly-centre")
    body = points(api, "?closed=true")
    ids = [p["id"] for p in body["points"]]
    assert ids
    assert all(code.startswith(LONGYOU) for code in places(session, ids).values())
    api.login("kc-centre")
    kecheng = [p["id"] for p in points(api, "?closed=true")["points"]]
    assert kecheng
    assert not set(ids) & set(kecheng)
    assert all(code.startswith(KECHENG) for code in places(session, kecheng).values())


def test_open_cases_only_by_default_with_their_light(api: Any, session: Session) -> None:
    api.login("ly-centre")
    body = points(api)
    statuses = dict(session.execute(select(Case.id, Case.status).where(Case.place_code.startswith(LONGYOU))).all())
    assert all(statuses[p["id"]] in OPEN_STATUSES and p["light"] in {"green", "yellow", "red"} for p in body["points"])
    closed = [p for p in points(api, "?closed=true")["points"] if not p["is_open"]]
    assert closed
    assert all(p["light"] is None for p in closed)


def test_the_matter_filter_and_the_box_narrow_the_points(api: Any) -> None:
    api.login("qz-centre")
    everything = points(api, "?closed=true")["points"]
    matter = everything[0]["matter_code"]
    only = points(api, f"?closed=true&matter={matter}")["points"]
    assert only
    assert {p["matter_code"] for p in only} == {matter}
    first = everything[0]
    box = f"{first['lon'] - 0.001},{first['lat'] - 0.001},{first['lon'] + 0.001},{first['lat'] + 0.001}"
    near = points(api, f"?closed=true&bbox={box}")["points"]
    assert first["id"] in [p["id"] for p in near]
    assert len(near) < len(everything)


def test_a_grid_worker_sees_their_grid_and_their_own_reports_never_others(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("gridworker")
    body = points(api, "?closed=true")
    ids = [p["id"] for p in body["points"]]
    assert case["id"] in ids
    grid = case["grid_code"]
    reporter = session.scalar(select(Case.originator_account_id).where(Case.id == case["id"]))
    rows = session.execute(select(Case.place_code, Case.originator_account_id).where(Case.id.in_(ids))).all()
    assert all(code.startswith(grid) or originator == reporter for code, originator in rows)
    api.login("partymember")
    assert case["id"] not in [p["id"] for p in points(api, "?closed=true")["points"]]


def test_bad_boxes_are_problems_not_server_errors(api: Any) -> None:
    api.login("ly-centre")
    for box in ("1,2,3", "a,b,c,d", "120,30,119,29", "0,0,0,200"):
        response = api.get(f"/api/v1/cases/points?bbox={box}")
        assert response.status_code == 422, (box, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_locate_answer_outside_the_area_is_a_problem(api: Any) -> None:
    api.login("gridworker")
    response = api.get("/api/v1/org/locate?lon=119.2&lat=29.0")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
