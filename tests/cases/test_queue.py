"""The case queue: search, filters, sort, cursors and CSV/XLSX export, scoped; exports neutralise formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import actor_of
from tests.cases.test_flow import command, fushan_point

from zhili.cases.models import Case
from zhili.cases.visibility import visible_cases
from zhili.core.clock import FrozenClock
from zhili.core.exports import safe_cell
from zhili.org.models import Position
from zhili.org.routing import centre_posts
from zhili.web.labels import local_time

HTML = {"accept": "text/html"}
FORMULA = '=HYPERLINK("http://evil.example","点我")'


def _report(api: Any, session: Session, *, plate: str, text: str) -> dict[str, Any]:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = {
        "matter": "illegal_parking",
        "point": point,
        "description": text,
        "channel": "phone",
        "attributes": {"plate_number": plate, "vehicle_type": "car", "parked_on": "pavement"},
    }
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 201, response.text
    return api.get(response.headers["location"]).json()


def _ids(api: Any, query: str) -> list[int]:
    response = api.get(f"/api/v1/cases?{query}&limit=500")
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["items"]]


def _csv(api: Any, path: str) -> list[list[str]]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_search_by_number_plate_and_text(api: Any, session: Session) -> None:
    case = _report(api, session, plate="浙H8Q123", text="白色面包车堵住小区消防通道")
    api.login("kc-centre")
    assert _ids(api, f"q={case['number']}") == [case["id"]]
    assert _ids(api, "q=浙H8Q123") == [case["id"]]
    assert _ids(api, "q=h8q1") == [case["id"]]  # a plate in lower case
    assert case["id"] in _ids(api, "q=消防通道")
    assert _ids(api, "q=没有这样的描述xyz") == []
    assert _ids(api, "q=100%25_") == []  # LIKE wildcards are searched for literally


def test_filters_by_matter_status_unit_light_and_local_dates(api: Any, session: Session, clock: FrozenClock) -> None:
    # The clock stands at 2026-07-23 07:00 UTC; 17:30 UTC the day before is already 23 July in Quzhou (UTC+8).
    clock.advance(datetime(2026, 7, 23, 17, 30, tzinfo=UTC) - clock.now())
    case = _report(api, session, plate="浙H0D001", text="夜里违停")
    api.login("kc-centre")
    mine = f"q={case['number']}"
    assert _ids(api, f"{mine}&matter=illegal_parking&status=reported") == [case["id"]]
    assert _ids(api, f"{mine}&matter=noise") == []
    assert _ids(api, f"{mine}&status=accepted") == []
    assert _ids(api, f"{mine}&since=2026-07-24&until=2026-07-24") == [case["id"]]
    assert _ids(api, f"{mine}&until=2026-07-23") == []
    assert _ids(api, f"{mine}&since=2026-07-25") == []
    assert _ids(api, f"{mine}&light=green") == [case["id"]]
    clock.advance(timedelta(days=2))
    assert _ids(api, f"{mine}&light=red") == [case["id"]]
    assert _ids(api, f"{mine}&light=green") == []
    assert case["id"] in _ids(api, "due=over&matter=illegal_parking")
    case = command(api, command(api, api.get(f"/api/v1/cases/{case['id']}").json(), "accept"), "dispatch")
    lead = case["lead_unit"]["id"]
    assert _ids(api, f"{mine}&unit={lead}") == [case["id"]]
    assert _ids(api, f"{mine}&unit={lead + 100000}") == []
    assert api.get("/api/v1/cases?since=2026-13-40").status_code == 422
    assert api.get("/api/v1/cases?status=nonsense").status_code == 422


@pytest.mark.parametrize("sort", ["newest", "oldest", "due"])
def test_sorts_and_cursor_pages_agree(api: Any, sort: str) -> None:
    api.login("fushan")
    whole = _ids(api, f"sort={sort}")
    paged, cursor = [], ""
    while True:
        page = api.get(f"/api/v1/cases?sort={sort}&limit=7{cursor}").json()
        paged += [row["id"] for row in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert paged == whole
    assert len(whole) > 7
    rows = api.get(f"/api/v1/cases?sort={sort}&limit=500").json()["items"]
    if sort == "newest":
        assert whole == sorted(whole, reverse=True)
    elif sort == "oldest":
        assert whole == sorted(whole)
    else:
        dues = [row["phase_due_at"] for row in rows]
        timed = [d for d in dues if d]
        assert dues == timed + [None] * (len(dues) - len(timed))
        assert timed == sorted(timed, key=datetime.fromisoformat)


def test_the_page_filters_and_keeps_the_filter_in_links(api: Any, session: Session) -> None:
    case = _report(api, session, plate="浙H7P777", text="page filter")
    api.login("kc-centre")
    page = api.get("/cases?q=浙H7P777&sort=oldest", headers=HTML)
    assert page.status_code == 200
    assert f"/cases/{case['id']}" in page.text
    assert 'href="/cases/export.csv?q=' in page.text
    assert "sort=oldest" in page.text
    empty_form = api.get("/cases?q=&matter=&status=&unit=&light=&since=&until=&sort=", headers=HTML)
    assert empty_form.status_code == 200


def test_export_has_every_matching_row_by_its_labels(api: Any, session: Session) -> None:
    case = _report(api, session, plate="浙H5E555", text=FORMULA)
    api.login("kc-centre")
    rows = _csv(api, "/cases/export.csv?matter=illegal_parking")
    assert rows[0][:4] == ["编号", "事项", "状态", "亮灯"]
    actor = actor_of(session, "kc-centre")
    visible = select(func.count()).select_from(Case).where(visible_cases(actor), Case.matter_code == "illegal_parking")
    assert len(rows) - 1 == session.scalar(visible)
    mine = next(row for row in rows if row[0] == case["number"])
    assert mine[1] == "城区机动车违停治理"
    assert mine[2] == "已上报"
    assert mine[3] in {"绿灯", "黄灯 · 临期", "红灯 · 超期"}
    assert mine[6] == "柯城区公安交警大队"
    local = datetime.fromisoformat(case["created_at"]).astimezone(UTC) + timedelta(hours=8)
    assert mine[7] == f"{local:%Y-%m-%d %H:%M}"
    assert mine[9] == "'" + FORMULA
    english = _csv(api, "/api/v1/cases/export.csv?matter=illegal_parking&lang=en")
    assert english[0][:3] == ["Number", "Matter", "Status"]
    assert next(row for row in english if row[0] == case["number"])[2] == "Reported"

    xlsx = api.get(f"/cases/export.xlsx?q={case['number']}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2
    assert values[1][0] == case["number"]
    assert values[1][9] == FORMULA  # the text as typed, held as a string: never a formula
    assert sheet.cell(row=2, column=10).data_type == "s"
    assert isinstance(values[1][7], datetime)


def test_export_counts_match_the_database(api: Any, session: Session) -> None:
    api.login("fushan")
    actor = actor_of(session, "fushan")
    expected = session.scalar(
        select(func.count()).select_from(Case).where(visible_cases(actor), Case.status == "closed")
    )
    rows = _csv(api, "/cases/export.csv?status=closed")
    assert len(rows) - 1 == expected
    assert all(row[2] == "已办结" for row in rows[1:])


def test_another_scope_never_sees_the_case_in_list_search_or_export(api: Any, session: Session) -> None:
    case = _report(api, session, plate="浙H9X999", text="scope denial")
    api.login("qj-hrss")
    assert _ids(api, f"q={case['number']}") == []
    assert case["id"] not in _ids(api, "matter=illegal_parking")
    assert case["number"] not in api.get("/cases?q=浙H9X999", headers=HTML).text
    assert len(_csv(api, f"/cases/export.csv?q={case['number']}")) == 1  # the headings alone
    assert case["number"] not in api.get("/api/v1/cases/export.csv").content.decode("utf-8-sig")
    api.login("partymember")  # 湖镇镇, another county
    assert _ids(api, "q=浙H9X999") == []
    assert api.get(f"/cases/export.xlsx?q={case['number']}").status_code == 200


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_that_starts_like_a_formula_is_made_literal(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_values_pass_unchanged() -> None:
    assert safe_cell("浙H12345") == "浙H12345"
    assert safe_cell(-3) == -3
    assert safe_cell(None) is None
    assert safe_cell("a=b") == "a=b"


def test_each_row_shows_its_deadline_in_local_time_beside_its_light(api: Any, session: Session) -> None:
    """A phone shows no tooltip: the running phase's deadline is written in the row, in Quzhou time."""
    case = _report(api, session, plate="浙H3D333", text="deadline in the row")
    api.login("kc-centre")
    page = api.get("/cases?q=浙H3D333", headers=HTML)
    assert page.status_code == 200
    row = page.text.split(f'data-case="{case["id"]}"', 1)[1].split("</tr>", 1)[0]
    due = datetime.fromisoformat(case["phase_due_at"])
    assert f">{local_time(due)}</time>" in row
    assert 'data-label="时限至" class="due"' in row


def _mine_and_others(api: Any) -> tuple[str, str]:
    page = api.get("/cases", headers=HTML).text
    mine, others = page.split('id="mine"', 1)[1].split('id="others"', 1)
    return mine, others


def test_triage_waits_for_the_dispatching_centre_while_the_level_above_may_step_in(api: Any, session: Session) -> None:
    case = _report(api, session, plate="浙H5T001", text="小区门口车辆乱停")
    division = session.scalar(select(Case.dispatcher_division).where(Case.id == case["id"]))
    assert division == "330802"  # 柯城区's centre triages it
    api.login("kc-centre")
    assert case["id"] in _ids(api, "todo=accept")
    mine, others = _mine_and_others(api)
    assert f'data-case="{case["id"]}"' in mine
    assert f'data-case="{case["id"]}"' not in others

    api.login("qz-centre")  # the city's centre sees it, and may accept it, but it is not the city's turn
    assert api.get(f"/api/v1/cases/{case['id']}").json()["allowed_commands"] == ["accept", "reject"]
    assert case["id"] not in _ids(api, "todo=accept")
    listed = {row["id"]: row for row in api.get("/api/v1/cases?limit=500").json()["items"]}
    assert listed[case["id"]]["my_turn"] is False
    mine, others = _mine_and_others(api)
    assert f'data-case="{case["id"]}"' in others
    assert f'data-case="{case["id"]}"' not in mine
    page = api.get(f"/cases/{case['id']}", headers=HTML).text
    assert 'id="stepping-in"' in page
    assert "本件由柯城区受理派单、核查和回访，不在您的待办中；您作为上级，必要时可代为办理。" in page
    assert 'id="stepping-in"' not in api.login("kc-centre").get(f"/cases/{case['id']}", headers=HTML).text
    api.login("qz-centre")

    # A county with no centre post of its own: the city's is the nearest, and it is the city's turn.
    fushan = fushan_point(session)[0][:9]
    session.execute(update(Position).where(centre_posts("330802")).values(division_code=fushan))
    session.commit()
    assert case["id"] in _ids(api, "todo=accept")
    mine, _others = _mine_and_others(api)
    assert f'data-case="{case["id"]}"' in mine
    assert 'id="stepping-in"' not in api.get(f"/cases/{case['id']}", headers=HTML).text


def test_a_centre_that_also_holds_the_level_below_keeps_its_triage(api: Any, session: Session) -> None:
    """The city's centre person also staffs the county's centre: the county's cases are theirs to triage."""
    case = _report(api, session, plate="浙H5T002", text="路口车辆乱停")
    city = actor_of(session, "qz-centre")
    session.add(Position(person_id=city.person_id, role="centre_staff", division_code="330802"))
    session.commit()
    api.login("qz-centre")
    assert case["id"] in _ids(api, "todo=accept")
    assert 'id="stepping-in"' not in api.get(f"/cases/{case['id']}", headers=HTML).text


def test_the_queue_counts_every_pages_to_dos_and_lists_them_alone(api: Any, session: Session) -> None:
    """Rows come 50 to a page, newest first: the to-dos further back are counted, and `todo=mine` lists only them."""
    api.login("kc-centre")
    every = api.get("/api/v1/cases?todo=mine&limit=500").json()["items"]
    assert every
    assert all(row["my_turn"] for row in every)
    listed = {row["id"]: row["my_turn"] for row in api.get("/api/v1/cases?limit=500").json()["items"]}
    assert {case for case, mine in listed.items() if mine} <= {row["id"] for row in every}

    mine, _others = _mine_and_others(api)
    shown = mine.count("data-case=")
    assert shown < len(every)  # the demo's county centre has to-dos older than the newest 50 cases
    page = api.get("/cases", headers=HTML).text
    assert f"本页列出 {shown} 件，共 {len(every)} 件待您处理（每页 50 件）。" in page
    assert 'href="/cases?todo=mine">只看待我处理 →</a>' in page

    # The link keeps the page's order and filters; the list of to-dos alone says what it is and counts no more.
    assert f"待我处理 <small>({len(every)})</small>" in page  # every page's, not this page's
    oldest = api.get("/cases?sort=oldest&due=", headers=HTML).text  # a year ago: closed long since
    assert f"本页没有待您处理的办件；共 {len(every)} 件待您处理，在其他页。" in oldest
    assert 'href="/cases?sort=oldest&amp;due=&amp;todo=mine">只看待我处理 →</a>' in oldest
    assert 'href="/cases?sort=oldest&amp;due=&amp;todo=mine" class="quick">待我处理</a>' in oldest  # the quick link too
    alone = api.get("/cases?todo=mine", headers=HTML).text
    assert 'id="mine-more"' not in alone
    assert 'data-todo="mine">待我处理' in alone
    assert 'class="quick active" aria-current="page">待我处理</a>' in alone
    assert 'href="/cases?todo=mine&amp;due=over" class="quick">' in alone  # 超期 among the to-dos
    assert 'href="/cases" id="drop-todo">显示全部办件</a>' in alone  # back to every case (清除筛选 once, below)
    assert alone.count("清除筛选") == 1
    oldest_alone = api.get("/cases?sort=oldest&todo=mine", headers=HTML).text
    assert 'href="/cases?sort=oldest" id="drop-todo">' in oldest_alone  # the order kept on the way back
    assert 'href="/cases?due=over" class="quick">' in page
    mine_alone, others_alone = alone.split('id="mine"', 1)[1].split('id="others"', 1)
    assert mine_alone.count("data-case=") == min(50, len(every))
    assert "data-case=" not in others_alone

    # Someone with nothing to do is told so by an empty list, and no count.
    api.login("kc-traffic-head")
    assert 'id="mine-more"' not in api.get("/cases", headers=HTML).text
