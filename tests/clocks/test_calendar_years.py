"""Official years loaded by administrators: API, page and CLI, administrators only, audited, used by deadlines."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhili.cli import app
from zhili.clocks.models import OfficialDay, OfficialYear
from zhili.clocks.overrides import forget_cached
from zhili.clocks.schedule import parse_schedule
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "work-calendar-2027.EXAMPLE.toml"
HTML = {"accept": "text/html"}
NOT_ADMINS = ("kc-centre", "gridworker", "kc-traffic-head")


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    """Loaded years are cached per process; each test starts and ends without them."""
    forget_cached()
    yield
    forget_cached()


def example() -> dict[str, Any]:
    return parse_schedule(EXAMPLE.read_text(encoding="utf-8")).as_dict()


def set_clock(clock: FrozenClock, at: datetime) -> None:
    clock.advance(at - clock.now())


def test_an_administrator_loads_a_year_through_the_api_and_it_is_audited(api: Any, session: Session) -> None:
    api.login("admin")
    before = api.get("/api/v1/calendar/years").json()
    assert {y["year"]: y["basis"] for y in before["years"]}[2027] == "unknown"
    response = api.send("PUT", "/api/v1/calendar/years/2027", json=example())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"]["basis"] == "loaded"
    assert body["summary"]["source"].startswith("EXAMPLE")
    assert (body["summary"]["holiday_days"], body["summary"]["workdays"]) == (12, 2)
    assert {"day": "2027-01-01", "kind": "holiday", "name": "元旦"} in body["days"]
    years = {y["year"]: y for y in api.get("/api/v1/calendar/years").json()["years"]}
    assert years[2027]["basis"] == "loaded"
    assert years[2027]["loaded_by"].endswith(":admin")
    assert years[2026]["basis"] == "library"
    records = session.scalars(select(AuditRecord).where(AuditRecord.action == "calendar.year.loaded")).all()
    assert [(r.entity_type, r.entity_id) for r in records] == [("calendar_year", "2027")]
    again = api.send("PUT", "/api/v1/calendar/years/2027", json={**example(), "workdays": []})
    assert again.status_code == 200, again.text
    assert again.json()["summary"]["workdays"] == 0
    assert session.query(OfficialDay).filter(OfficialDay.year == 2027).count() == 12


def test_only_administrators_see_or_load_the_official_calendar(api: Any, session: Session) -> None:
    for username in NOT_ADMINS:
        api.login(username)
        for method, path, body in (
            ("GET", "/api/v1/calendar/years", None),
            ("GET", "/api/v1/calendar/years/2027", None),
            ("PUT", "/api/v1/calendar/years/2027", example()),
        ):
            response = api.send(method, path, json=body)
            assert response.status_code == 403, (username, path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        assert api.get("/admin/calendar", headers=HTML).status_code == 403
        form = {"text": EXAMPLE.read_text(encoding="utf-8"), "csrf_token": api.csrf}
        assert api.client.post("/admin/calendar", data=form, headers=HTML).status_code == 403
    assert session.get(OfficialYear, 2027) is None


def test_a_bad_schedule_is_a_problem_naming_each_field(api: Any, session: Session) -> None:
    api.login("admin")
    bad = example()
    bad["holidays"][1]["end"] = "2028-01-01"
    bad["workdays"] = ["2027-01-04", "2027-01-30", "2027-01-30"]
    response = api.send("PUT", "/api/v1/calendar/years/2027", json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    found = {(e["field"], e["kind"]) for e in response.json()["errors"]}
    assert found == {
        ("holidays[1].end", "outside_year"),
        ("workdays[0]", "weekday_workday"),
        ("workdays[2]", "duplicate"),
    }
    mismatch = api.send("PUT", "/api/v1/calendar/years/2028", json=example())
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["field"] == "year"
    assert api.send("PUT", "/api/v1/calendar/years/99999", json=example()).status_code == 422
    assert api.send("PUT", "/api/v1/calendar/years/2027", json=[1, 2]).status_code == 422
    assert session.get(OfficialYear, 2027) is None


def test_the_page_loads_a_pasted_file_and_shows_the_year(api: Any) -> None:
    api.login("admin")
    page = api.get("/admin/calendar", headers=HTML)
    assert page.status_code == 200
    assert 'data-year="2027" data-basis="unknown"' in page.text
    form = {"text": EXAMPLE.read_text(encoding="utf-8"), "csrf_token": api.csrf}
    response = api.client.post("/admin/calendar", data=form, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/calendar/2027?loaded=1"
    year = api.get(response.headers["location"], headers=HTML)
    assert year.status_code == 200
    assert 'id="calendar-loaded"' in year.text
    assert 'data-day="2027-01-01" data-kind="holiday"' in year.text
    assert 'data-day="2027-01-30" data-kind="workday"' in year.text
    assert "调休上班" in year.text
    english = api.get(response.headers["location"] + "&lang=en", headers=HTML).text
    assert 'Spring Festival <span lang="zh-CN">(春节)</span>' in english  # a holiday by its English name too
    assert 'data-year="2027" data-basis="loaded"' in api.get("/admin/calendar", headers=HTML).text


def test_the_page_uploads_a_file_and_names_each_problem_in_chinese(api: Any, session: Session) -> None:
    api.login("admin")
    text = EXAMPLE.read_text(encoding="utf-8").replace("2027-01-30", "2027-01-29")  # a Friday
    response = api.client.post(
        "/admin/calendar",
        data={"csrf_token": api.csrf},
        files={"file": ("2027.toml", text.encode(), "application/toml")},
        headers=HTML,
    )
    assert response.status_code == 422
    assert 'data-field="workdays[0]" data-kind="weekday_workday"' in response.text
    assert "调休上班日是工作日" in response.text
    assert "第 1 个调休上班日：调休上班日是工作日" in response.text  # the field as people say it
    assert '<code translate="no">workdays[0]</code>' not in response.text
    bad_day = EXAMPLE.read_text(encoding="utf-8").replace("start = 2027-01-01", 'start = "2027-02-30"', 1)
    refused = api.client.post("/admin/calendar", data={"csrf_token": api.csrf, "text": bad_day}, headers=HTML)
    assert "第 1 段假期的开始日期：不是日期" in refused.text
    assert session.get(OfficialYear, 2027) is None
    empty = api.client.post("/admin/calendar", data={"csrf_token": api.csrf, "text": " "}, headers=HTML)
    assert empty.status_code == 422


def test_the_cli_loads_shows_and_reports_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    path = tmp_path / "cli.sqlite"
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{path}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    status = runner.invoke(app, ["calendar", "status", "--on", "2026-11-15"])
    assert status.exit_code == 1, status.output
    assert "2027" in status.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**example(), "workdays": ["2027-01-04"]}), encoding="utf-8")
    refused = runner.invoke(app, ["calendar", "load", str(bad)])
    assert refused.exit_code == 2
    assert "workdays[0]" in refused.output
    loaded = runner.invoke(app, ["calendar", "load", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 2027: 12 holiday days, 2 make-up working days" in loaded.output
    shown = runner.invoke(app, ["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027-01-01" in shown.output
    assert "元旦" in shown.output
    forget_cached()
    assert runner.invoke(app, ["calendar", "status", "--on", "2026-11-15"]).exit_code == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT action, entity_id FROM audit_records WHERE action LIKE 'calendar.%'").fetchall() == [
            ("calendar.year.loaded", "2027")
        ]
