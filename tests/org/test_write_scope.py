"""Writes are authorised by managing posts only; reading does not grant writing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.models import Account
from zhili.org.models import Division


def _own_person(session: Session, username: str) -> int:
    return session.scalars(select(Account.person_id).where(Account.username == username)).one()


def test_a_department_head_cannot_give_itself_a_territorial_post(api: Any, session: Session) -> None:
    api.login("kc-traffic-head")
    me = _own_person(session, "kc-traffic-head")
    response = api.send(
        "POST", f"/api/v1/org/people/{me}/positions", json={"role": "township_command", "division_code": "330802006"}
    )
    assert response.status_code == 403
    assert "outside the part of the organisation you manage" in response.json()["detail"]
    assert api.get("/api/v1/me").json()["scope"] == ["330802"]


def test_a_department_head_cannot_register_territorial_people(api: Any, session: Session) -> None:
    api.login("kc-traffic-head")
    grid = session.scalars(
        select(Division.code).where(Division.code.startswith("330802006"), Division.level == "grid")
    ).first()
    response = api.send(
        "POST", "/api/v1/org/people", json={"name": "冒名", "position": {"role": "grid_worker", "division_code": grid}}
    )
    assert response.status_code == 403


def test_a_department_head_staffs_its_own_unit(api: Any, session: Session) -> None:
    api.login("kc-traffic-head")
    unit = api.get("/api/v1/org/departments").json()[0]["id"]
    response = api.send(
        "POST", "/api/v1/org/people", json={"name": "新交警", "position": {"role": "dept_staff", "department_id": unit}}
    )
    assert response.status_code == 201
    del session


def test_a_township_cannot_staff_a_county_department(api: Any) -> None:
    api.login("ly-centre")
    county_unit = next(d["id"] for d in api.get("/api/v1/org/departments").json() if d["division_code"] == "330825")
    api.login("huzhen")
    response = api.send(
        "POST",
        "/api/v1/org/people",
        json={"name": "越级", "position": {"role": "dept_staff", "department_id": county_unit}},
    )
    assert response.status_code == 404


def test_an_account_without_posts_sees_nothing(api: Any, session: Session, clock: Any) -> None:
    from zhili.access.service import create_account  # noqa: PLC0415
    from zhili.core.auth import system_actor  # noqa: PLC0415

    create_account(
        session,
        username="nobody",
        password="nobody-password",
        person_id=None,
        is_admin=False,
        actor=system_actor("test"),
        clock=clock,
    )
    api.login("nobody", "nobody-password")
    assert api.get("/api/v1/org/divisions").json() == []
    assert api.get("/api/v1/org/divisions/33").status_code == 404
    assert api.get("/api/v1/me").json()["scope"] == []


def test_me_tells_where_one_may_write(api: Any) -> None:
    api.login("gridworker")
    assert api.get("/api/v1/me").json()["manages"] == []
    api.login("kc-traffic-head")
    assert api.get("/api/v1/me").json()["manages"] == ["330802"]
    api.login("admin")
    assert api.get("/api/v1/me").json()["manages"] == [""]
