"""The work calendar API: a county's month, and overrides only its centre (or an administrator) may set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.clocks.overrides import forget_cached
from zhili.core.audit import AuditRecord


def days(body: dict[str, Any]) -> dict[str, bool]:
    return {day["on"]: day["is_workday"] for day in body["days"]}


def test_a_month_shows_national_day_and_the_make_up_saturday(api: Any) -> None:
    api.login("gridworker")
    response = api.get("/api/v1/calendar/330802", params={"month": "2026-10"})
    assert response.status_code == 200, response.text
    month = days(response.json())
    assert not month["2026-10-05"]
    assert month["2026-10-08"]
    assert month["2026-10-10"]  # a Saturday, made up for the holiday
    assert not month["2026-10-11"]
    assert response.json()["working_days"] == sum(month.values())


def test_the_county_centre_closes_a_day_and_it_is_audited(api: Any, session: Session) -> None:
    forget_cached()
    api.login("kc-centre")
    before = api.get("/api/v1/calendar/330802", params={"month": "2026-10"}).json()["working_days"]
    response = api.send("PUT", "/api/v1/calendar/330802/2026-10-09", json={"is_workday": False, "reason": "台风停工"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["working_days"] == before - 1
    closed = next(day for day in body["days"] if day["on"] == "2026-10-09")
    assert closed == {"on": "2026-10-09", "is_workday": False, "is_override": True, "reason": "台风停工"}
    actions = session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == "330802:2026-10-09")).all()
    assert actions == ["calendar.override"]
    forget_cached()


def test_others_may_not_change_a_county_calendar(api: Any) -> None:
    for username in ("gridworker", "kc-traffic-head", "fushan", "ly-centre"):
        api.login(username)
        response = api.send("PUT", "/api/v1/calendar/330802/2026-10-09", json={"is_workday": False, "reason": "x"})
        assert response.status_code == 403, (username, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_bad_calendar_requests_are_4xx(api: Any) -> None:
    api.login("kc-centre")
    assert api.get("/api/v1/calendar/999999", params={"month": "2026-10"}).status_code == 404
    assert api.get("/api/v1/calendar/330802", params={"month": "2026-13"}).status_code == 422
    assert (
        api.send("PUT", "/api/v1/calendar/330802/2026-02-30", json={"is_workday": True, "reason": "x"}).status_code
        == 422
    )
    assert api.send("PUT", "/api/v1/calendar/330802/2026-10-09", json={"is_workday": True}).status_code == 422
    assert (
        api.send("PUT", "/api/v1/calendar/999999/2026-10-09", json={"is_workday": True, "reason": "x"}).status_code
        == 404
    )
