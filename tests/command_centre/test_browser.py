"""Headless Chromium: the centre's big screen draws its map, tiles and charts; the KPI page its trend."""

from __future__ import annotations

from typing import Any

from tests.early_warning.test_browser import DESK, PHONE, _login


def test_the_big_screen_draws_the_county_with_live_cases(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", DESK)
    page.click("nav.desk-menu a[href='/command-centre']")
    page.wait_for_selector("#cc[data-ready='true']")
    assert page.locator("#cc-area").inner_text() == "柯城区"
    assert page.locator("#cc-tiles li").count() == 6
    assert page.locator("#cc-trend svg").count() == 1
    cc = page.locator("#cc")
    assert int(cc.get_attribute("data-township-features") or 0) > 5  # Kecheng's townships drawn (on a canvas)
    assert int(cc.get_attribute("data-points") or 0) > 0  # open cases with their lights
    assert page.locator("#cc-lights li").count() == 3
    assert page.locator("#cc-areas li").count() > 1
    # the demo's 府山 group (other tests sharing the server may have opened groups of their own)
    group = page.locator("#cc-groups li.state-active", has_text="府山街道暴雨内涝应急处置指挥组")
    assert group.count() == 1
    assert "处置中" in group.inner_text()
    assert group.locator(".overdue").count() == 1  # in red
    assert (group.locator("a").get_attribute("href") or "").startswith("/groups/")
    counts = page.locator("#cc-group-counts").inner_text()
    assert "处置中" in counts
    assert "稳控 1" in counts


def test_the_kpi_page_fits_a_phone_and_draws_its_trend(browser: Any, server: str) -> None:
    page = _login(browser, server, "fushan", PHONE)
    page.goto(f"{server}/kpis")
    page.wait_for_selector("#kpi-trend[data-ready='true'] svg")
    assert page.locator("#kpi-tiles li").count() == 14
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_parking_pilot_charts_its_months_beside_the_controls(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", DESK)
    page.click("nav.desk-menu a[href='/kpis']")
    page.click("#kpi-links a[href='/kpis/pilots']")
    page.locator("#pilots a").first.click()
    page.wait_for_selector("#pilot-hours[data-ready='true'] svg")
    assert page.locator(".chart-grid svg").count() == 3
    assert page.locator("#pilot-effects tr[data-measure]").count() == 3
