"""The KPI page's area: a city by its code, one outside the reader's scope, an unknown one."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api

HTML = {"accept": "text/html"}
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
