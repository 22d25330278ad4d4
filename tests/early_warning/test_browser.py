"""Headless Chromium: the demo's warnings on a desk and a phone, a firm's charts drawn, a verdict recorded."""

from __future__ import annotations

from typing import Any

from tests.conftest import log_in_context

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}


def _login(browser: Any, server: str, username: str, viewport: dict[str, int], *, home: bool = True) -> Any:
    """A page logged in (by the login form's requests), on the home page or, with `home=False`, on none yet."""
    context = browser.new_context(viewport=viewport)
    log_in_context(context, server, username)
    page = context.new_page()
    if home:
        page.goto(f"{server}/")
    return page


def test_the_centre_reads_a_warning_and_its_firm_and_records_a_verdict(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", DESK)
    page.click("nav.desk-menu details.desk-more summary")  # 欠薪预警 sits under 更多 on the centre's desk
    page.click("nav.desk-menu a[href='/warnings']")
    page.wait_for_url(f"{server}/warnings")
    warnings = page.locator("li.warning")
    assert warnings.count() > 0
    first = warnings.first
    assert first.locator(".warning-head .badge").first.inner_text() in {"红色", "橙色", "黄色"}
    assert first.locator("ul.why li").count() >= 1
    first.locator("a.firm").click()
    page.wait_for_selector("#risk-chart svg")  # ECharts drew the risk line
    assert page.locator(".chart-grid svg").count() == 6
    page.wait_for_timeout(1200)  # the charts' entry animation ends
    # No month label runs past its chart's right edge ("2026-11" was cut to "2026-1").
    overhang = page.evaluate(
        """() => [...document.querySelectorAll('#risk-chart svg, .chart-grid svg')].map((svg) => {
             const edge = svg.getBoundingClientRect().right;
             const months = [...svg.querySelectorAll('text')].filter((t) => /^\\d{4}-\\d{2}$/.test(t.textContent));
             return Math.max(...months.map((t) => t.getBoundingClientRect().right - edge));
           })"""
    )
    assert max(overhang) <= 0, overhang
    form = page.locator("form.verdict-form").first
    form.locator("input[value='risk_resolved']").check()
    form.locator("textarea[name=note]").fill("约谈企业负责人，已筹资补发")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.alert.ok")
    assert "风险已化解" in page.locator("#warnings").inner_text()


def test_the_labour_unit_on_a_phone_gets_cards_that_fit(browser: Any, server: str) -> None:
    page = _login(browser, server, "qj-hrss", PHONE, home=False)
    page.goto(f"{server}/warnings")
    assert page.locator("li.warning").count() > 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("li.warning a.firm").first.click()
    page.wait_for_selector("#risk-chart svg")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
