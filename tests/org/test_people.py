"""People and posts through the API: several posts per person, audit records with request ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.audit import AuditRecord
from zhili.org.models import Department, Division, Position
from zhili.org.roles import Role

HUZHEN = "330825101"


def _grid(session: Session, prefix: str) -> str:
    return session.scalars(
        select(Division.code).where(Division.code.startswith(prefix), Division.level == "grid").order_by(Division.code)
    ).first()


def _grid_worker(session: Session, grid: str) -> int:
    return session.scalars(
        select(Position.person_id).where(Position.division_code == grid, Position.role == Role.GRID_WORKER)
    ).one()


def test_a_person_can_hold_a_second_post(api: Any, session: Session) -> None:
    api.login("huzhen")
    grid = _grid(session, HUZHEN)
    person = _grid_worker(session, grid)
    before = len(api.get(f"/api/v1/org/people/{person}").json()["positions"])
    response = api.send(
        "POST", f"/api/v1/org/people/{person}/positions", json={"role": "party_member", "division_code": grid}
    )
    assert response.status_code == 201, response.text
    roles = [p["role"] for p in response.json()["positions"]]
    assert len(roles) == before + 1
    assert "party_member" in roles


def test_a_second_post_outside_the_scope_is_refused(api: Any, session: Session) -> None:
    api.login("huzhen")
    person = _grid_worker(session, _grid(session, HUZHEN))
    response = api.send(
        "POST",
        f"/api/v1/org/people/{person}/positions",
        json={"role": "party_member", "division_code": _grid(session, "330802006")},
    )
    assert response.status_code == 404


def test_department_roles_need_a_department(api: Any, session: Session) -> None:
    api.login("huzhen")
    person = _grid_worker(session, _grid(session, HUZHEN))
    response = api.send(
        "POST", f"/api/v1/org/people/{person}/positions", json={"role": "dept_staff", "division_code": HUZHEN}
    )
    assert response.status_code == 422
    assert "department roles need department_id" in response.json()["detail"]
    admin = api.send("POST", f"/api/v1/org/people/{person}/positions", json={"role": "admin", "division_code": HUZHEN})
    assert admin.status_code == 403


def test_every_change_is_audited_with_its_request_id(api: Any, session: Session) -> None:
    api.login("huzhen")
    grid = _grid(session, HUZHEN)
    person = _grid_worker(session, grid)
    response = api.send(
        "PATCH",
        f"/api/v1/org/people/{person}",
        json={"phone": "13700000000"},
        headers={"X-Request-ID": "audit-trace-1"},
    )
    assert response.status_code == 200
    record = session.scalars(select(AuditRecord).where(AuditRecord.request_id == "audit-trace-1")).one()
    assert record.action == "org.person.updated"
    assert record.actor.endswith(":huzhen")
    assert '"phone":"13700000000"' in (record.after or "")
    assert record.before is not None


def test_a_post_for_a_person_outside_the_scope_is_refused(api: Any, session: Session) -> None:
    api.login("huzhen")
    outsider = _grid_worker(session, _grid(session, "330802006"))
    response = api.send(
        "POST",
        f"/api/v1/org/people/{outsider}/positions",
        json={"role": "party_member", "division_code": _grid(session, HUZHEN)},
    )
    assert response.status_code == 404
    assert "person" in response.json()["detail"]


def test_contacts_are_narrowed_to_the_callers_department(api: Any, session: Session) -> None:
    grid = _grid(session, "330802006")
    hrss = session.scalars(
        select(Position)
        .join(Department, Department.id == Position.department_id)
        .where(Department.kind_code == "hrss", Department.division_code == "330802", Position.role == "dept_staff")
        .order_by(Position.id)
    ).first()
    assert hrss is not None
    api.login("admin")
    put = api.send(
        "PUT",
        f"/api/v1/org/divisions/{grid}/contacts",
        json={"department_id": hrss.department_id, "position_id": hrss.id},
    )
    assert put.status_code == 204
    api.login("fushan")
    assert len(api.get(f"/api/v1/org/divisions/{grid}/contacts").json()) >= 2
    api.login("kc-traffic")
    seen = {c["department_name"] for c in api.get(f"/api/v1/org/divisions/{grid}/contacts").json()}
    assert seen == {"柯城区公安交警大队"}
