"""Headless Chromium: a township leader finds their rank, opens the breakdown, on a desk and on a phone."""

from __future__ import annotations

from typing import Any

from tests.early_warning.test_browser import DESK, PHONE, _login


def test_a_township_leader_goes_from_the_ranking_to_the_breakdown(browser: Any, server: str) -> None:
    page = _login(browser, server, "huzhen", DESK)
    assert "湖镇镇" in page.locator("#assessment-tile").inner_text()
    page.click("nav.desk-menu a[href='/assessment']")
    page.wait_for_selector("#trend-chart svg")  # ECharts drew the trend
    page.select_option("select[name=month]", "2026-06")
    page.click("#ranking-filters button[type=submit]")
    own = page.locator("#ranking tr.own")
    assert own.count() == 1
    assert "本单位" in own.inner_text()
    own.locator("a").first.click()
    page.wait_for_selector("#lines")
    assert "得分明细" in page.locator("h1").inner_text()
    assert page.locator("#score-summary").count() == 1


def test_the_ranking_fits_a_phone(browser: Any, server: str) -> None:
    page = _login(browser, server, "huzhen", PHONE, home=False)
    page.goto(f"{server}/assessment?month=2026-06")
    assert page.locator("#ranking tr.own").count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
