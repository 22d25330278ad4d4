"""Deadlines across 1 January 2027: counted on the loaded year when there is one, marked when the year is unknown.

And the warning: administrators and the centres see a banner once the coming 60 days reach an unknown year.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.cases.test_flow import fushan_point, report_body

from zhili.cases.deadlines import pending_ladder
from zhili.clocks.overrides import forget_cached
from zhili.core.clock import FrozenClock

HTML = {"accept": "text/html"}
# Thursday 31 December 2026, 15:00 in Quzhou; dust pollution is accepted within 1 working day.
NEW_YEARS_EVE = datetime(2026, 12, 31, 7, 0, tzinfo=UTC)
FIRST_OF_JANUARY_CLOSE = "2027-01-01T09:30:00Z"  # Friday 17:30: New Year's Day counted as a working day
FOURTH_OF_JANUARY_CLOSE = "2027-01-04T09:30:00Z"  # Monday 17:30
NEW_YEAR = {
    "year": 2027,
    "source": "测试：元旦放假",
    "holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"}],
}


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    forget_cached()
    yield
    forget_cached()


def set_clock(clock: FrozenClock, at: datetime) -> None:
    clock.advance(at - clock.now())


def report_dust(api: Any, session: Session) -> dict[str, Any]:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    attributes = {"source_type": "construction_site"}
    body = report_body(point, matter="dust_pollution", description="工地未覆盖裸土，扬尘严重", attributes=attributes)
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 201, response.text
    return dict(api.get(response.headers["location"]).json())


def ladder_bases(session: Session, case_id: int) -> set[str | None]:
    """The calendar bases of the case's waiting rungs (its ladder timer holds them)."""
    waiting = pending_ladder(session, case_id)
    assert waiting is not None
    return {rung.basis for rung in waiting.rungs}


def test_a_deadline_across_an_unknown_new_year_is_counted_monday_to_friday_and_marked(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    set_clock(clock, NEW_YEARS_EVE)
    case = report_dust(api, session)
    assert case["phase_due_at"].replace("+00:00", "Z") == FIRST_OF_JANUARY_CLOSE
    assert case["phase_calendar_basis"] == "2026:library,2027:unknown"
    assert "2026:library,2027:unknown" in ladder_bases(session, case["id"])
    page = api.get(f"/cases/{case['id']}", headers=HTML)
    assert page.status_code == 200
    assert 'id="calendar-unknown"' in page.text
    assert "工作日历未知" in page.text
    assert "Calendar unknown" in api.get(f"/cases/{case['id']}?lang=en", headers=HTML).text


def test_a_loaded_year_that_closes_new_years_day_moves_the_deadline(
    api: Any, session: Session, clock: FrozenClock
) -> None:
    api.login("admin")
    assert api.send("PUT", "/api/v1/calendar/years/2027", json=NEW_YEAR).status_code == 200
    set_clock(clock, NEW_YEARS_EVE)
    case = report_dust(api, session)
    assert case["phase_due_at"].replace("+00:00", "Z") == FOURTH_OF_JANUARY_CLOSE
    assert case["phase_calendar_basis"] == "2026:library,2027:loaded"
    assert ladder_bases(session, case["id"]) <= {"2026:library,2027:loaded"}
    assert 'id="calendar-unknown"' not in api.get(f"/cases/{case['id']}", headers=HTML).text


def test_a_deadline_inside_a_library_year_records_the_library(api: Any, session: Session, clock: FrozenClock) -> None:
    set_clock(clock, datetime(2026, 9, 29, 7, 0, tzinfo=UTC))  # Tuesday; National Day follows
    case = report_dust(api, session)
    assert case["phase_calendar_basis"] == "2026:library"
    assert 'id="calendar-unknown"' not in api.get(f"/cases/{case['id']}", headers=HTML).text


@pytest.mark.parametrize(
    ("username", "days_before", "expected"),
    [
        ("kc-centre", 45, (True, False)),
        ("fushan", 45, (True, False)),  # a township command room is a centre post too
        ("admin", 45, (True, True)),  # with the link to the calendar page
        ("kc-centre", 90, (False, False)),
        ("gridworker", 45, (False, False)),
        ("kc-traffic", 45, (False, False)),
    ],
)
def test_the_workbench_warns_centres_and_administrators_within_60_days_of_an_unknown_year(
    api: Any, clock: FrozenClock, username: str, days_before: int, expected: tuple[bool, bool]
) -> None:
    shown, with_link = expected
    set_clock(clock, datetime(2027, 1, 1, tzinfo=UTC) - timedelta(days=days_before))
    api.login(username)
    home = api.get("/", headers=HTML)
    assert home.status_code == 200
    assert ('id="calendar-banner"' in home.text) is shown
    assert ('href="/admin/calendar"' in home.text) is with_link


def test_the_warning_goes_once_the_year_is_loaded(api: Any, clock: FrozenClock) -> None:
    set_clock(clock, datetime(2026, 11, 20, tzinfo=UTC))
    api.login("admin")
    assert 'id="calendar-banner"' in api.get("/", headers=HTML).text
    assert api.get("/api/v1/calendar/years").json()["unknown_ahead"] == [2027]
    assert api.send("PUT", "/api/v1/calendar/years/2027", json=NEW_YEAR).status_code == 200
    assert 'id="calendar-banner"' not in api.get("/", headers=HTML).text
    assert api.get("/api/v1/calendar/years").json()["unknown_ahead"] == []
    api.login("kc-centre")
    assert 'id="calendar-banner"' not in api.get("/", headers=HTML).text
