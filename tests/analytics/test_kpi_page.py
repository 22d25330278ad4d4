"""The KPI page's area (a city by its code, one outside the reader's scope, an unknown one) and its trend data."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from tests.conftest import Api
from tests.web.page_text import visible_text
from zhili.analytics.kpis import Totals

HTML = {"accept": "text/html"}


def seen(html: str) -> str:
    """What a reader sees of a page: its visible text, not its links' addresses."""
    return " ".join(fragment.text for fragment in visible_text(html))


YEAR = "from=2025-08&to=2026-07"


def _heading(page: Any) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.DOTALL)
    assert found is not None
    return re.sub(r"<[^>]+>|\s+", "", found.group(1))


def _area_options(page: Any) -> dict[str, str]:
    select = re.search(r'<select name="area">(.*?)</select>', page.text, re.DOTALL)
    assert select is not None
    return dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select.group(1)))


def _tile(page: Any, key: str) -> int:
    found = re.search(rf'<li data-kpi="{key}"><span class="kpi-value">(\d+)</span>', page.text)
    assert found is not None
    return int(found.group(1))


def test_the_city_chosen_by_its_code_is_the_city_with_its_counties(api: Api) -> None:
    page = api.login("qz-centre").get(f"/kpis?{YEAR}&area=3308", headers=HTML)
    assert page.status_code == 200
    assert _heading(page) == "运行指标·衢州市"
    options = _area_options(page)
    assert options["3308"] == "衢州市"
    assert {"柯城区", "衢江区", "龙游县", "江山市"} <= set(options.values())
    assert not any(code.startswith("3301") for code in options)  # Hangzhou's districts (上城区 …)
    assert "杭州市" not in page.text
    whole = api.get(f"/kpis?{YEAR}", headers=HTML)  # the same figures as the city by default
    assert _tile(whole, "volume") == _tile(page, "volume") > 0


def test_the_administrator_reads_the_city_the_organisation_serves(api: Api) -> None:
    page = api.login("admin").get(f"/kpis?{YEAR}", headers=HTML)
    assert page.status_code == 200
    assert _heading(page) == "运行指标·衢州市"
    assert "柯城区" in _area_options(page).values()
    assert "杭州市" not in page.text


@pytest.mark.parametrize(
    ("username", "area"),
    [
        ("kc-centre", "330825"),  # 龙游县: another county
        ("kc-centre", "3308"),  # the city: more than the county centre's own
        ("kc-centre", "330825101"),  # a township of another county
        ("qz-centre", "3301"),  # 杭州市: another city
        ("kc-traffic", "330803"),  # a unit of 柯城区 asking for 衢江区
    ],
)
def test_an_area_outside_the_readers_scope_is_a_404_page(api: Api, username: str, area: str) -> None:
    api.login(username)
    page = api.get(f"/kpis?{YEAR}&area={area}", headers=HTML)
    assert page.status_code == 404
    assert "未找到" in page.text
    assert 'id="kpi-tiles"' not in page.text
    assert api.get(f"/kpis/export.csv?{YEAR}&area={area}&table=area").status_code == 404


def test_an_unknown_area_is_a_404_page_not_its_code_as_a_heading(api: Api) -> None:
    api.login("qz-centre")
    page = api.get(f"/kpis?{YEAR}&area=999999", headers=HTML)
    assert page.status_code == 404
    assert "未找到" in page.text
    assert 'id="kpi-tiles"' not in page.text
    assert "999999" not in seen(page.text)  # the language switch's link keeps it: the same page, in English
    assert api.get(f"/kpis/export.csv?{YEAR}&area=999999").status_code == 404


@pytest.mark.parametrize(("username", "area"), [("qz-centre", "330899"), ("admin", "999999")])
def test_an_unknown_area_within_the_scope_is_a_404_page(api: Api, username: str, area: str) -> None:
    # Inside the reader's scope (a code under 衢州市; everything for the administrator), but no such place.
    page = api.login(username).get(f"/kpis?{YEAR}&area={area}", headers=HTML)
    assert page.status_code == 404
    assert area not in seen(page.text)


@pytest.mark.parametrize("username", ["qz-centre", "kc-centre", "fushan", "kc-traffic"])
def test_every_area_the_page_offers_opens(api: Api, username: str) -> None:
    api.login(username)
    offered = _area_options(api.get(f"/kpis?{YEAR}", headers=HTML))
    for code in sorted(offered)[:4]:
        page = api.get(f"/kpis?{YEAR}&area={code}", headers=HTML)
        assert page.status_code == 200, (code, offered[code])
        assert 'id="error-area"' not in page.text


def test_every_matter_the_page_offers_opens_the_longest_code_too(api: Api) -> None:
    api.login("kc-centre")
    select = re.search(r'<select name="matter">(.*?)</select>', api.get(f"/kpis?{YEAR}", headers=HTML).text, re.DOTALL)
    assert select is not None
    longest = max(re.findall(r'<option value="([a-z][a-z0-9_]*)"', select.group(1)), key=len)
    assert len(longest) > 20  # longer than the area's and the unit's bound
    page = api.get(f"/kpis?{YEAR}&matter={longest}", headers=HTML)
    assert page.status_code == 200
    assert 'id="error-matter"' not in page.text
    assert api.get(f"/kpis/export.csv?{YEAR}&matter={longest}&table=area").status_code == 200
    unknown = api.get(f"/kpis?{YEAR}&matter=no_such_matter", headers=HTML)
    assert 'id="error-matter"' in unknown.text
    assert "no_such_matter" not in _heading(unknown)  # the page is the area's, not titled with the typed code


def test_areas_inside_the_scope_and_the_readers_own_are_read(api: Api) -> None:
    api.login("kc-centre")
    for area, name in (("330802", "柯城区"), ("330802006", "府山街道")):
        page = api.get(f"/kpis?{YEAR}&area={area}", headers=HTML)
        assert page.status_code == 200
        assert _heading(page) == f"运行指标·{name}"
    strip = api.login("kc-traffic").get(f"/kpis?{YEAR}&area=330802006", headers=HTML)
    assert strip.status_code == 200  # a unit reads its own cases in a township of its area


def test_the_trend_chart_counts_the_cases_of_each_month_as_the_table_does(api: Api) -> None:
    api.login("kc-centre")
    page = api.get(f"/kpis?{YEAR}", headers=HTML)
    data = re.search(r'<script type="application/json" id="kpi-data">(.*?)</script>', page.text, re.DOTALL)
    assert data is not None
    chart = json.loads(data.group(1))
    table = api.get(f"/kpis/export.csv?{YEAR}&table=month").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][:2] == ["月份", "受理量"]
    assert chart["months"] == [row[0] for row in rows[1:]]
    assert chart["volume"] == [int(row[1]) for row in rows[1:]]
    assert sum(chart["volume"]) == _tile(page, "volume") > 1000
    assert '<p class="hint" id="period">统计时段：2025-08 至 2026-07（按受理月份）</p>' in page.text
    # A refused period is said by its field, and the line says which months the figures then count.
    refused = api.get("/kpis?from=2026-10&to=2026-03", headers=HTML)
    assert 'id="error-from"' in refused.text
    assert "统计时段：2026-03 至 2026-03" in refused.text
    # The small numbers beside a rate say what they count.
    assert re.search(r"三联任务领办率 <small>（共 \d+ 项任务）</small>", page.text)  # Chinese brackets
    assert re.search(r"预警核实准确率 <small>（已核实 \d+ 条）</small>", page.text)


def test_totals_answer_only_their_measures_by_name() -> None:
    totals = Totals(counts={"reported": 7, "rejected": 2})
    assert totals["reported"] == 7
    assert totals["closed"] == 0  # a measure no cell counted
    with pytest.raises(KeyError):
        totals["volume"]  # a KPI, read as an attribute: a template's `map(attribute=...)` falls back to it
    assert totals.volume == 7


def test_a_township_chosen_offers_the_way_back_to_the_county_and_its_sister_townships(api: Api) -> None:
    page = api.login("kc-centre").get(f"/kpis?{YEAR}&area=330802006", headers=HTML)  # 府山街道
    assert _heading(page) == "运行指标·府山街道"
    select = re.search(r'<select name="area">(.*?)</select>', page.text, re.DOTALL)
    assert select is not None
    assert '<option value="">全部 · 柯城区</option>' in select.group(1)  # what the empty choice does read
    options = _area_options(page)
    assert options["330802006"] == "府山街道"
    assert "荷花街道" in options.values()  # a sister township, one choice away
    assert re.search(r'<option value="330802006"[^>]*selected', select.group(1))
