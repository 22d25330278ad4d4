"""The monthly report: a page with its tables, an XLSX workbook with a sheet per table, a printable PDF."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.conftest import Api


def test_the_centre_reads_last_months_report_and_downloads_it(api: Api) -> None:
    page = api.login("kc-centre").get("/reports/monthly?month=2026-06")
    assert page.status_code == 200
    assert "柯城区 2026-06 月度报告" in page.text
    for section in ("report-summary", "report-ranking", "report-matter", "report-unit", "report-trend"):
        assert f'id="{section}"' in page.text
    assert "府山街道" in page.text
    assert 'id="report-pilots"' in page.text  # the parking pilot's effects, compared up to June
    assert "城区机动车违停治理一件事（府山街道试点）" in page.text
    assert 'id="report-assessment-township"' in page.text  # 四维考评 of the county's townships
    workbook = load_workbook(io.BytesIO(api.get("/reports/monthly.xlsx?month=2026-06").content), read_only=True)
    assert "区域排名（按期办结率）" in workbook.sheetnames
    assert "四维考评：乡镇（街道）排名" in workbook.sheetnames
    ranking = list(workbook["区域排名（按期办结率）"].iter_rows(values_only=True))
    assert ranking[0][0] == "乡镇（街道）"
    assert len(ranking) > 2
    pdf = api.get("/reports/monthly.pdf?month=2026-06")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content
    english = api.get("/reports/monthly.pdf?month=2026-06&lang=en")
    assert english.content.startswith(b"%PDF")


def test_a_bad_month_is_refused_and_a_township_gets_its_own_report(api: Api) -> None:
    api.login("fushan")
    assert api.get("/reports/monthly?month=2026-13").status_code == 422
    own = api.get("/reports/monthly?month=2026-06")
    assert own.status_code == 200
    assert "府山街道 2026-06 月度报告" in own.text
    assert "荷花街道" not in own.text


def test_an_area_beyond_the_readers_scope_or_unknown_is_not_reported(api: Api) -> None:
    api.login("kc-centre")
    assert api.get("/reports/monthly?month=2026-06&area=330802").status_code == 200  # their own county
    for area in ("330825", "999999"):  # 龙游县, beyond 柯城区; no such place
        page = api.get(f"/reports/monthly?month=2026-06&area={area}")
        assert page.status_code == 404
        assert "月度报告" not in page.text
        assert api.get(f"/reports/monthly.xlsx?month=2026-06&area={area}").status_code == 404


def test_a_village_is_no_area_of_the_report(api: Api) -> None:
    api.login("kc-centre")  # a village of 府山街道, in their scope: the figures are not counted that fine
    assert api.get("/reports/monthly?month=2026-06&area=330802006001").status_code == 422


def test_a_month_not_yet_begun_is_refused_beside_the_field_with_the_typed_month_kept(api: Api) -> None:
    api.login("kc-centre")  # the clock stands in July 2026
    page = api.get("/reports/monthly?month=2030-01")
    assert page.status_code == 422
    assert 'id="error-month"' in page.text
    assert "该月尚未开始" in page.text
    assert 'value="2030-01"' in page.text  # what was asked for stays in the field
    assert 'max="2026-07"' in page.text
    assert "柯城区 2026-06 月度报告" in page.text  # the last full month meanwhile
    mistyped = api.get("/reports/monthly?month=2026-13")
    assert mistyped.status_code == 422
    assert 'value="2026-13"' in mistyped.text
    assert 'id="error-month"' in mistyped.text
    assert api.get("/reports/monthly.xlsx?month=2030-01").status_code == 422
    assert api.get("/reports/monthly?month=2026-07").status_code == 200  # the month under way


def test_an_english_reader_sees_the_reports_matters_in_english(api: Api) -> None:
    page = api.login("kc-centre").get("/reports/monthly?month=2026-06&lang=en")
    matters = page.text.split('id="report-matter"')[1].split("</table>")[0]
    assert "Illegal parking in the city" in matters
    assert "城区机动车违停治理" not in matters


def test_a_county_centre_picks_a_townships_report_from_the_page(api: Api) -> None:
    page = api.login("kc-centre").get("/reports/monthly?month=2026-06")
    form = page.text.split('id="report-filters"', 1)[1].split("</form>", 1)[0]
    assert '<option value="">全部 · 柯城区</option>' in form
    assert '<option value="330802006">府山街道</option>' in form
    township = api.get("/reports/monthly?month=2026-06&area=330802006")
    assert "府山街道 2026-06 月度报告" in township.text
    assert '<option value="330802006" selected>府山街道</option>' in township.text
