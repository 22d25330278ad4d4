"""The KPI cells follow the case record, and the KPIs they give equal a count over the cases themselves."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.conftest import Api
from zhili.analytics.facts import month_of
from zhili.analytics.kpis import By, KpiFilter, total, totals
from zhili.analytics.models import kpi_cells
from zhili.analytics.projector import refresh
from zhili.cases.models import Case
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.months import Month

KECHENG = "330802"
FUSHAN = "330802006"
SYSTEM = system_actor("test")


def _everything(session: Session, clock: FrozenClock) -> KpiFilter:
    first = session.scalar(select(func.min(Case.created_at)))
    assert first is not None
    return KpiFilter(first=month_of(first), last=month_of(clock.now()))


def test_the_world_is_counted_and_the_counts_equal_the_cases(session: Session, clock: FrozenClock) -> None:
    everything = _everything(session, clock)
    counted = total(session, SYSTEM, everything)
    cases = session.scalar(select(func.count()).select_from(Case))
    assert counted.volume == cases
    complaints = session.scalar(select(func.count()).where(Case.channel.in_(sorted(CITIZEN_CHANNELS))))
    assert counted["complaints"] == complaints
    closed = session.scalar(select(func.count()).where(Case.closed_at.is_not(None)))
    assert counted["closed"] == closed
    assert 0.5 < (counted.closure_rate or 0) <= 1
    assert 0 < (counted.on_time_rate or 0) < 1
    kecheng = total(session, SYSTEM, KpiFilter(first=everything.first, last=everything.last, division=KECHENG))
    in_kecheng = session.scalar(select(func.count()).where(Case.place_code.startswith(KECHENG)))
    assert kecheng.volume == in_kecheng


def test_a_new_case_and_its_close_reach_the_cells_on_the_next_refresh(session: Session, clock: FrozenClock) -> None:
    refresh(session, now=clock.now())
    case = session.scalars(select(Case).where(Case.status == "in_progress").order_by(Case.id).limit(1)).one()
    month = month_of(case.created_at)
    one_month = KpiFilter(first=month, last=month, division=case.place_code[:9], matter=case.matter_code)
    before = total(session, SYSTEM, one_month)
    session.execute(
        text("UPDATE cases SET status = 'closed', closed_at = :at WHERE id = :id"),
        {"at": case.created_at + timedelta(hours=5), "id": case.id},
    )
    session.execute(
        text(
            "INSERT INTO case_events (case_id, seq, kind, at, actor, parties, status_after, details) "
            "VALUES (:id, 999, 'close', :at, 'test', 'lead', 'closed', '{}')"
        ),
        {"id": case.id, "at": clock.now()},
    )
    assert refresh(session, now=clock.now()) >= 1
    after = total(session, SYSTEM, one_month)
    assert after["closed"] == before["closed"] + 1
    assert after["open"] == before["open"] - 1
    assert after.sums["hours_sum"] > before.sums["hours_sum"]
    assert refresh(session, now=clock.now()) == 0  # nothing new: nothing recounted


def test_a_full_recount_gives_the_same_cells(session: Session, clock: FrozenClock) -> None:
    before = session.execute(select(kpi_cells).order_by(*kpi_cells.primary_key.columns)).all()
    refresh(session, now=clock.now(), full=True)
    assert session.execute(select(kpi_cells).order_by(*kpi_cells.primary_key.columns)).all() == before


def test_breakdowns_add_up_to_the_total(session: Session, clock: FrozenClock) -> None:
    everything = _everything(session, clock)
    whole = total(session, SYSTEM, everything)
    for by in By:
        rows = totals(session, SYSTEM, everything, by)
        assert sum(t.volume for _, t in rows) == whole.volume
        assert sum(t["closed"] for _, t in rows) == whole["closed"]


def test_a_strip_counts_only_its_unit_and_a_township_only_itself(api: Api, session: Session) -> None:
    traffic = api.login("kc-traffic").get("/kpis?from=2025-07&to=2026-07")
    assert traffic.status_code == 200
    assert "柯城区公安分局交通警察大队" in traffic.text or "交警" in traffic.text
    assert "江山市" not in traffic.text
    township = api.login("fushan").get("/kpis")
    assert township.status_code == 200
    assert "府山街道" in township.text
    assert "荷花街道" not in township.text


def test_the_centre_reads_its_county_by_township_and_downloads_the_tables(api: Api) -> None:
    page = api.login("kc-centre").get("/kpis?from=2025-08&to=2026-07")
    assert page.status_code == 200
    for label in (
        "受理量",
        "办结率",
        "按期办结率",
        "满意率",
        "投诉率",
        "重办率",
        "府山街道",
        "按事项",
        "三联任务领办率",
        "预警核实准确率",
    ):
        assert label in page.text
    csv_file = api.get("/kpis/export.csv?from=2025-08&to=2026-07&table=area")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "府山街道" in csv_file.content.decode("utf-8-sig")
    xlsx = api.get("/kpis/export.xlsx?table=matter")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    english = api.get("/kpis?lang=en")
    assert "On-time rate" in english.text


def test_the_files_say_their_rates_are_shares_in_csv_and_xlsx_alike(api: Api) -> None:
    api.login("kc-centre")
    query = "from=2025-08&to=2026-07&table=matter"
    rows = list(csv.reader(io.StringIO(api.get(f"/kpis/export.csv?{query}").content.decode("utf-8-sig"))))
    heading = "按期办结率（比例，0–1）"
    assert heading in rows[0]
    assert "受理量" in rows[0]  # a count says nothing more
    on_time = [float(row[rows[0].index(heading)]) for row in rows[1:] if row[rows[0].index(heading)]]
    assert on_time
    assert all(0 <= share <= 1 for share in on_time)  # written as the heading says, not as a percentage
    sheet = load_workbook(io.BytesIO(api.get(f"/kpis/export.xlsx?{query}").content)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == rows[0]
    english = api.get(f"/kpis/export.csv?{query}&lang=en").content.decode("utf-8-sig")
    assert "On-time rate (share, 0–1)" in english.splitlines()[0]


def test_a_bad_filter_keeps_the_input_and_says_why_by_the_field(api: Api) -> None:
    page = api.login("kc-centre").get("/kpis?from=2026-07&to=2026-01&area=12")
    assert page.status_code == 200
    assert 'id="error-from"' in page.text
    assert "起始月份不能晚于截止月份" in page.text
    assert 'id="error-area"' in page.text
    assert 'value="2026-07"' in page.text
    assert api.get("/kpis/export.pdf").status_code == 422
    assert api.get("/kpis/export.csv?table=people").status_code == 422


def test_months_parse_and_bound_the_period() -> None:
    assert Month.parse("2026-07").index - Month.parse("2025-08").index == 11


def test_each_home_shows_the_numbers_of_what_its_owner_answers_for(api: Api) -> None:
    centre = api.login("kc-centre").get("/")
    assert 'id="my-numbers"' in centre.text
    assert 'data-number="on_time_rate"' in centre.text
    unit = api.login("kc-traffic").get("/")
    assert 'id="my-numbers"' in unit.text  # the traffic police's own on-time rate
    grid_worker = api.login("gridworker").get("/")
    assert grid_worker.status_code == 200
    assert 'id="my-numbers"' not in grid_worker.text  # a grid's post counts no township's KPIs


def test_an_english_reader_sees_the_matters_by_their_english_names(api: Api) -> None:
    api.login("kc-centre")
    page = api.get("/kpis?from=2025-08&to=2026-07&lang=en")
    table = page.text.split('id="table-matter"')[1].split("</table>")[0]
    assert "Illegal parking in the city" in table
    assert "城区机动车违停治理" not in table
    english = api.get("/kpis/export.csv?from=2025-08&to=2026-07&table=matter&lang=en").content.decode("utf-8-sig")
    assert "Illegal parking in the city" in english
    assert "城区机动车违停治理" in api.get("/kpis?from=2025-08&to=2026-07&lang=zh").text  # Chinese stays Chinese
