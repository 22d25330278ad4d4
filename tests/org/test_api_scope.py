"""Scoped access through the API: a grid worker, a township, a department — and their denials."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.org.models import Department, Division, Person, Position
from zhili.org.roles import Role

FUSHAN = "330802006"
HUZHEN = "330825101"
PROBLEM = "application/problem+json"


def _person_in(session: Session, prefix: str, role: Role) -> int:
    return session.scalars(
        select(Position.person_id)
        .where(Position.division_code.startswith(prefix), Position.role == role.value)
        .order_by(Position.id)
    ).first()


def _first(session: Session, parent: str, level: str = "village") -> str:
    return session.scalars(
        select(Division.code).where(Division.code.startswith(parent), Division.level == level).order_by(Division.code)
    ).first()


def _grid_of(api: Any) -> str:
    positions = api.get("/api/v1/me").json()
    return positions["scope"][0]


def _department(session: Session, kind: str, division: str) -> Department:
    return session.scalars(
        select(Department).where(Department.kind_code == kind, Department.division_code == division)
    ).one()


def _new_person(
    division: str | None = None, department: int | None = None, role: str = "grid_worker", phone: str = "13800000001"
) -> dict[str, Any]:
    return {
        "name": "新同志",
        "phone": phone,
        "position": {"role": role, "division_code": division, "department_id": department},
    }


def test_anonymous_requests_get_401_problems(api: Any) -> None:
    response = api.get("/api/v1/org/divisions/33")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert "log in" in response.json()["detail"]


class TestGridWorker:
    """A grid worker of one grid in 府山街道."""

    def test_sees_their_grid_and_nothing_beside_it(self, api: Any, session: Session) -> None:
        api.login("gridworker")
        grid = _grid_of(api)
        assert len(grid) == 15
        assert grid.startswith(FUSHAN)
        assert api.get(f"/api/v1/org/divisions/{grid}").status_code == 200
        neighbour = (
            session.scalars(
                select(Division.code).where(Division.parent_code == grid[:12], Division.code != grid)
            ).first()
            or f"{FUSHAN}002001"
        )
        for code in (neighbour, FUSHAN, "330802", HUZHEN):
            response = api.get(f"/api/v1/org/divisions/{code}")
            assert response.status_code == 404, code
            assert response.headers["content-type"] == PROBLEM

    def test_lists_only_people_of_their_grid(self, api: Any, session: Session) -> None:
        api.login("gridworker")
        grid = _grid_of(api)
        people = api.get("/api/v1/org/people", params={"limit": 500}).json()["items"]
        assert people
        assert all(p["division_code"].startswith(grid) for person in people for p in person["positions"])
        outsider = _person_in(session, HUZHEN, Role.PARTY_MEMBER)
        assert api.get(f"/api/v1/org/people/{outsider}").status_code == 404

    def test_cannot_add_or_change_people(self, api: Any, session: Session) -> None:
        api.login("gridworker")
        grid = _grid_of(api)
        created = api.send("POST", "/api/v1/org/people", json=_new_person(grid))
        assert created.status_code == 403
        assert "may change the organisation" in created.json()["detail"]
        colleague = _person_in(session, grid, Role.GRID_WORKER)
        patched = api.send("PATCH", f"/api/v1/org/people/{colleague}", json={"name": "改名"})
        assert patched.status_code == 403

    def test_map_layers_and_locate_stay_inside_the_grid(self, api: Any) -> None:
        api.login("gridworker")
        grid = _grid_of(api)
        grids = api.get("/api/v1/org/geo", params={"level": "grid"}).json()["features"]
        assert [f["properties"]["code"] for f in grids] == [grid]
        assert api.get("/api/v1/org/geo", params={"level": "county"}).json()["features"] == []
        response = api.get("/api/v1/org/locate", params={"lon": 119.17, "lat": 29.03})
        assert response.status_code == 404
        assert "outside your area" in response.json()["detail"]
        assert response.json()["outside"] == "area"  # in a county all the same: a report may go there
        at_sea = api.get("/api/v1/org/locate", params={"lon": 123.5, "lat": 27.0})
        assert at_sea.status_code == 404
        assert at_sea.json()["outside"] == "counties"


class TestTownship:
    """The command room of 湖镇镇 in 龙游县."""

    def test_cannot_read_another_county(self, api: Any, session: Session) -> None:
        api.login("huzhen")
        assert api.get(f"/api/v1/org/divisions/{HUZHEN}").status_code == 200
        assert api.get(f"/api/v1/org/divisions/{FUSHAN}").status_code == 404
        assert api.get("/api/v1/org/divisions/330825").status_code == 404
        kecheng_person = _person_in(session, FUSHAN, Role.GRID_WORKER)
        assert api.get(f"/api/v1/org/people/{kecheng_person}").status_code == 404
        found = api.get("/api/v1/org/divisions", params={"q": "府山"}).json()
        assert found == []

    def test_adds_people_inside_and_is_refused_outside(self, api: Any, session: Session) -> None:
        api.login("huzhen")
        village = _first(session, HUZHEN)
        inside = api.send("POST", "/api/v1/org/people", json=_new_person(village, role="village_cadre"))
        assert inside.status_code == 201, inside.text
        assert inside.json()["positions"][0]["division_code"] == village
        outside = api.send("POST", "/api/v1/org/people", json=_new_person(_first(session, FUSHAN), phone="13800000002"))
        assert outside.status_code == 404
        kecheng_person = _person_in(session, FUSHAN, Role.GRID_WORKER)
        before = session.get(Person, kecheng_person)
        patched = api.send("PATCH", f"/api/v1/org/people/{kecheng_person}", json={"name": "越权"})
        assert patched.status_code == 404
        session.expire_all()
        assert session.get(Person, kecheng_person).name == before.name  # type: ignore[union-attr]

    def test_sees_only_departments_of_the_township(self, api: Any) -> None:
        api.login("huzhen")
        departments = api.get("/api/v1/org/departments").json()
        assert departments
        assert {d["division_code"] for d in departments} == {HUZHEN}


class TestDepartment:
    """Staff of the 柯城区 traffic police: a strip inside one county."""

    def test_sees_only_its_own_department(self, api: Any, session: Session) -> None:
        api.login("kc-traffic")
        traffic = _department(session, "traffic_police", "330802")
        assert [d["id"] for d in api.get("/api/v1/org/departments").json()] == [traffic.id]
        hrss = _department(session, "hrss", "330802")
        assert api.get(f"/api/v1/org/departments/{hrss.id}").status_code == 404
        people = api.get("/api/v1/org/people", params={"limit": 500}).json()["items"]
        assert people
        assert {p["department_id"] for person in people for p in person["positions"]} == {traffic.id}
        hrss_person = session.scalars(select(Position.person_id).where(Position.department_id == hrss.id)).first()
        assert api.get(f"/api/v1/org/people/{hrss_person}").status_code == 404
        grid_worker = _person_in(session, FUSHAN, Role.GRID_WORKER)
        assert api.get(f"/api/v1/org/people/{grid_worker}").status_code == 404

    def test_sees_the_places_of_its_county_but_not_beyond(self, api: Any) -> None:
        api.login("kc-traffic")
        assert api.get(f"/api/v1/org/divisions/{FUSHAN}").status_code == 200
        assert api.get(f"/api/v1/org/divisions/{HUZHEN}").status_code == 404

    def test_staff_cannot_name_contacts_but_the_head_can_for_its_own_unit_only(
        self, api: Any, session: Session
    ) -> None:
        traffic = _department(session, "traffic_police", "330802")
        hrss = _department(session, "hrss", "330802")
        grid = session.scalars(
            select(Division.code).where(Division.code.startswith(FUSHAN), Division.level == "grid")
        ).first()
        officer = session.scalars(
            select(Position.id).where(Position.department_id == traffic.id, Position.role == "dept_staff")
        ).first()
        body = {"department_id": traffic.id, "position_id": officer}
        api.login("kc-traffic")
        assert api.send("PUT", f"/api/v1/org/divisions/{grid}/contacts", json=body).status_code == 403
        api.login("kc-traffic-head")
        assert api.send("PUT", f"/api/v1/org/divisions/{grid}/contacts", json=body).status_code == 204
        contacts = api.get(f"/api/v1/org/divisions/{grid}/contacts").json()
        assert [c["position_id"] for c in contacts if c["department_id"] == traffic.id] == [officer]
        other = api.send(
            "PUT", f"/api/v1/org/divisions/{grid}/contacts", json={"department_id": hrss.id, "position_id": officer}
        )
        assert other.status_code == 404
        huzhen_grid = _first(session, HUZHEN, "grid")
        assert api.send("PUT", f"/api/v1/org/divisions/{huzhen_grid}/contacts", json=body).status_code == 404


@pytest.mark.parametrize("username", ["gridworker", "huzhen", "kc-traffic"])
def test_cookie_writes_without_csrf_token_are_refused(api: Any, session: Session, username: str) -> None:
    api.login(username)
    response = api.client.post("/api/v1/org/people", json=_new_person(_first(session, HUZHEN)))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
