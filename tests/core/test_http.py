"""HTTP basics: problem details, request ids, size limits, idempotency keys, health."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from zhili.core.db import DEFER_COMMIT, commit, deferred_commit
from zhili.org.models import Division, Person


def _village(session: Session) -> str:
    return session.scalars(
        select(Division.code).where(Division.code.startswith("330825101"), Division.level == "village")
    ).first()


def test_health_answers_ok(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) == 32


def test_a_request_id_sent_is_echoed(app_client: TestClient) -> None:
    response = app_client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"


def test_unknown_routes_are_problems(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not Found"


def test_invalid_fields_are_named(api: Any) -> None:
    api.login("huzhen")
    response = api.send("POST", "/api/v1/org/people", json={"name": "", "phone": "abc", "position": {}})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"body.name", "body.phone", "body.position.role"} <= fields


def test_bad_query_values_are_422_not_500(api: Any) -> None:
    api.login("ly-centre")
    assert api.get("/api/v1/org/geo", params={"level": "planet"}).status_code == 422
    assert api.get("/api/v1/org/geo", params={"bbox": "1,2,3"}).status_code == 422
    assert api.get("/api/v1/org/geo", params={"bbox": "a,b,c,d"}).status_code == 422
    assert api.get("/api/v1/org/locate", params={"lon": 500, "lat": 0}).status_code == 422
    assert api.get("/api/v1/org/locate", params={"lon": "x", "lat": 0}).status_code == 422
    assert api.get("/api/v1/org/divisions/330825/children", params={"cursor": "!!"}).status_code == 422
    assert api.get("/api/v1/org/people", params={"limit": 0}).status_code == 422


def test_points_outside_every_county_are_404(api: Any) -> None:
    api.login("admin")
    response = api.get("/api/v1/org/locate", params={"lon": 2.35, "lat": 48.85})
    assert response.status_code == 404
    assert "outside every county" in response.json()["detail"]


def test_oversized_bodies_are_refused_with_413(api: Any) -> None:
    api.login("huzhen")
    response = api.send(
        "POST", "/api/v1/org/people", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_retried_create_with_the_same_key_acts_once(api: Any, session: Session) -> None:
    api.login("huzhen")
    body = {
        "name": "重试者",
        "phone": "13812345678",
        "position": {"role": "village_cadre", "division_code": _village(session)},
    }
    first = api.send("POST", "/api/v1/org/people", json=body, headers={"Idempotency-Key": "add-1"})
    second = api.send("POST", "/api/v1/org/people", json=body, headers={"Idempotency-Key": "add-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert session.scalar(select(func.count()).where(Person.phone == "13812345678")) == 1


def test_a_key_reused_for_another_request_is_a_conflict(api: Any, session: Session) -> None:
    api.login("huzhen")
    body = {
        "name": "甲",
        "phone": "13812340001",
        "position": {"role": "village_cadre", "division_code": _village(session)},
    }
    assert api.send("POST", "/api/v1/org/people", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    body["name"] = "乙"
    again = api.send("POST", "/api/v1/org/people", json=body, headers={"Idempotency-Key": "k"})
    assert again.status_code == 409


def test_a_duplicate_person_is_a_conflict_and_adds_nothing(api: Any, session: Session) -> None:
    api.login("huzhen")
    known = session.scalars(select(Person.phone).where(Person.phone.is_not(None))).first()
    body = {"name": "重复", "phone": known, "position": {"role": "village_cadre", "division_code": _village(session)}}
    before = session.scalar(select(func.count()).select_from(Person))
    response = api.send("POST", "/api/v1/org/people", json=body)
    assert response.status_code == 409
    assert "already registered" in response.json()["detail"]
    assert session.scalar(select(func.count()).select_from(Person)) == before


def test_the_openapi_document_lists_the_org_api(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    assert "/api/v1/org/locate" in paths
    assert "/api/v1/org/people" in paths


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(app_client: TestClient) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    app: FastAPI = app_client.app  # type: ignore[assignment]
    app.add_api_route("/api/v1/boom", boom)
    try:
        response = app_client.get("/api/v1/boom", headers={"X-Request-ID": "crash-1"})
    finally:  # the app is shared by the session's tests
        app.router.routes.pop()
    assert response.status_code == 500
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "crash-1"
    assert "boom" not in response.text


def test_a_name_cannot_be_nulled(api: Any, session: Session) -> None:
    api.login("huzhen")
    village = _village(session)
    created = api.send(
        "POST",
        "/api/v1/org/people",
        json={"name": "留名", "phone": "13811112222", "position": {"role": "village_cadre", "division_code": village}},
    )
    person_id = created.json()["id"]
    response = api.send("PATCH", f"/api/v1/org/people/{person_id}", json={"name": None})
    assert response.status_code == 422
    cleared = api.send("PATCH", f"/api/v1/org/people/{person_id}", json={"phone": None})
    assert cleared.status_code == 200
    assert cleared.json()["phone"] is None


def test_huge_ids_and_foreign_cursors_are_422(api: Any) -> None:
    api.login("admin")
    huge = "99999999999999999999"
    assert api.get(f"/api/v1/org/people/{huge}").status_code == 422
    assert api.get(f"/api/v1/org/departments/{huge}").status_code == 422
    assert api.get("/api/v1/org/people", params={"department": huge}).status_code == 422
    for cursor in ("W10", "WyJhIl0", "W3t9XQ", "W251bGxd", "WzFlNDAwXQ", "W3RydWVd"):
        assert api.get("/api/v1/org/people", params={"cursor": cursor}).status_code == 422, cursor
    assert api.get("/api/v1/org/divisions/3308/children", params={"cursor": "W10"}).status_code == 422
    body = {"name": "x", "position": {"role": "dept_staff", "department_id": 2**40}}
    assert api.send("POST", "/api/v1/org/people", json=body).status_code == 422


def test_control_characters_in_urls_are_400(api: Any) -> None:
    api.login("admin")
    for path in (
        "/api/v1/org/divisions?q=a%00",
        "/api/v1/org/places?q=%00",
        "/api/v1/org/divisions/33%00/children",
        "/api/v1/org/people?q=%1f",
    ):
        response = api.get(path)
        assert response.status_code == 400, path
        assert response.json()["detail"] == "control characters are not allowed in the URL"


def test_a_nul_in_a_login_name_is_just_a_failed_login(app_client: TestClient) -> None:
    page = app_client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = app_client.post("/login", data={"username": "a\x00b", "password": "whatever-1", "csrf_token": token})
    assert response.status_code == 401


def test_blank_and_control_character_names_are_refused(api: Any, session: Session) -> None:
    api.login("huzhen")
    village = _village(session)
    for name in ("   ", "", "a\x00b", "a\nb"):
        body = {"name": name, "position": {"role": "village_cadre", "division_code": village}}
        assert api.send("POST", "/api/v1/org/people", json=body).status_code == 422, repr(name)
    body = {"name": "  两边空格  ", "position": {"role": "village_cadre", "division_code": village}}
    assert api.send("POST", "/api/v1/org/people", json=body).json()["name"] == "两边空格"


def test_responses_carry_security_headers(api: Any) -> None:
    api.login("admin")
    response = api.get("/api/v1/me")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    page = api.get("/", headers={"accept": "text/html"})
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_commit_deferred_twice_waits_for_the_outermost_owner(session: Session) -> None:
    # An idempotent request (`run_once`) around a service that defers its own steps' commits
    # (`intake.report_with_photos`): the service's commit must wait for the response to be stored with it.
    with deferred_commit(session):
        with deferred_commit(session):  # the service's own block (`report_with_photos`) opens and ends
            assert session.info.get(DEFER_COMMIT)
        assert session.info.get(DEFER_COMMIT)
        committed: list[Session] = []
        record = committed.append
        event.listen(session, "after_commit", record)
        try:
            commit(session)
        finally:
            event.remove(session, "after_commit", record)
        assert committed == []
    assert not session.info.get(DEFER_COMMIT)
