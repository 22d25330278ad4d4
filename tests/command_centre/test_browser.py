"""Headless Chromium: the centre's big screen draws its map, tiles and charts; the KPI page its trend."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

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
    lead = page.locator("#cc-lead").inner_text()  # the demo's confirmed warnings in 柯城区, beside their precision
    assert lead.startswith("预警提前量（中位数） ")
    assert lead.endswith(" 个月")
    legend = page.locator("#cc-legend")  # what the townships' shades count, shaded in a county's view
    assert legend.is_visible()
    assert "近12个月受理量" in legend.inner_text()
    assert page.locator("#cc-areas li").count() > 1
    assert (page.locator("#cc-areas li a.name").first.get_attribute("href") or "").startswith("/kpis?area=3308")
    # the demo's 府山 group (other tests sharing the server may have opened groups of their own)
    group = page.locator("#cc-groups li.state-active", has_text="府山街道暴雨内涝应急处置指挥组")
    assert group.count() == 1
    assert "处置中" in group.inner_text()
    assert group.locator(".overdue").count() == 1  # in red
    assert (group.locator("a").get_attribute("href") or "").startswith("/groups/")
    counts = page.locator("#cc-group-counts").inner_text()
    assert "处置中" in counts
    assert "稳控 1" in counts
    assert page.locator(".leaflet-control-layers-expanded").count() == 1  # the layers are listed on a desk


def test_the_big_screen_folds_its_layer_list_on_a_phone(browser: Any, server: str) -> None:
    """On a phone the layer list sits behind its button (图层): open, it covered a quarter of the map."""
    page = _login(browser, server, "kc-centre", PHONE)
    page.goto(f"{server}/command-centre")
    page.wait_for_selector("#cc[data-ready='true']")
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    toggle = page.locator(".leaflet-control-layers-toggle")
    assert toggle.get_attribute("title") == "图层"
    toggle.dispatch_event("click")  # (a real tap: the sticky bars can sit over it in a test's scrolled page)
    assert page.locator(".leaflet-control-layers-expanded").count() == 1
    page.context.close()


def test_the_kpi_page_fits_a_phone_and_draws_its_trend(browser: Any, server: str) -> None:
    page = _login(browser, server, "fushan", PHONE)
    page.goto(f"{server}/kpis")
    page.wait_for_selector("#kpi-trend[data-ready='true'] svg")
    assert page.locator("#kpi-tiles li").count() == 15
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{server}/kpis?lang=en")  # the longest names are English: each card's name wraps, none is cut off
    cut = page.evaluate(
        "() => [...document.querySelectorAll('.kpi-table th[scope=row]')]"
        ".filter((th) => th.scrollWidth > th.clientWidth + 1).map((th) => th.textContent)"
    )
    assert cut == []


def test_the_parking_pilot_charts_its_months_beside_the_controls(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", DESK)
    page.click("nav.desk-menu a[href='/kpis']")
    page.click("#kpi-links a[href='/kpis/pilots']")
    page.locator("#pilots a").first.click()
    page.wait_for_selector("#pilot-hours[data-ready='true'] svg")
    assert page.locator(".chart-grid svg").count() == 3
    assert page.locator("#pilot-effects tr[data-measure]").count() == 3


# The boxes of a chart's texts (axis labels and names) and of its legend, in the chart's pixels, and
# every pair that overlaps: read from the chart's own scene, so the check is the layout ECharts drew.
CHART_OVERLAPS = """(selector) => {
  const chart = echarts.getInstanceByDom(document.querySelector(selector));
  const model = chart.getModel().getComponent('legend');
  const legend = model ? chart.getViewOfComponentModel(model).group : null;
  const inLegend = (el) => { for (let e = el; e; e = e.parent) if (e === legend) return true; return false; };
  const box = (el, name) => {
    el.updateTransform();
    const r = el.getBoundingRect().clone();
    if (el.transform) r.applyTransform(el.transform);
    return { name, x: r.x, y: r.y, w: r.width, h: r.height };
  };
  const boxes = chart.getZr().storage.getDisplayList(true)
    .filter((el) => el.type === 'tspan' && el.style.text && !inLegend(el))
    .map((el) => box(el, String(el.style.text)));
  if (legend) boxes.push(box(legend, 'legend'));
  const apart = (a, b) => a.x + a.w - 0.5 <= b.x || a.y + a.h - 0.5 <= b.y;
  const overlap = (a, b) => !apart(a, b) && !apart(b, a);
  const pairs = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => { if (overlap(a, b)) pairs.push([a.name, b.name]); }));
  return { names: boxes.map((b) => b.name), overlaps: pairs };
}"""


def test_the_kpi_trend_on_a_phone_keeps_its_legend_off_the_axis_name(browser: Any, server: str) -> None:
    page = _login(browser, server, "qz-centre", PHONE)
    page.goto(f"{server}/kpis")
    page.wait_for_selector("#kpi-trend[data-ready='true'] svg")
    drawn = page.evaluate(CHART_OVERLAPS, "#kpi-trend")
    assert "受理量" in drawn["names"]  # the left axis's name
    assert "legend" in drawn["names"]
    assert drawn["overlaps"] == []


@pytest.mark.parametrize("width", [1024, DESK["width"]])
def test_the_city_matter_ranking_has_axis_labels_that_do_not_run_together(
    browser: Any, server: str, width: int
) -> None:
    page = _login(browser, server, "qz-centre", {**DESK, "width": width})
    page.goto(f"{server}/command-centre")
    page.wait_for_selector("#cc[data-ready='true']")
    drawn = page.evaluate(CHART_OVERLAPS, "#cc-matters")
    values = [_count(name) for name in drawn["names"] if name[0].isdigit()]
    assert values[0] == 0
    assert len(values) >= 3
    steps = {b - a for a, b in itertools.pairwise(values)}
    assert len(steps) == 1  # spaced to fit, not thinned out by hiding the labels that would overlap
    assert drawn["overlaps"] == []


def _count(label: str) -> float:
    """A compact axis label's number: 2.5千 is 2500."""
    units = {"千": 1e3, "万": 1e4, "k": 1e3}
    return float(label[:-1]) * units[label[-1]] if label[-1] in units else float(label)


@pytest.mark.parametrize("path", ["/kpis", "/reports/monthly"])
@pytest.mark.parametrize("width", [1024, DESK["width"]])
def test_the_kpi_tables_fit_a_desk_without_a_sideways_scroll(browser: Any, server: str, path: str, width: int) -> None:
    page = _login(browser, server, "qz-centre", {**DESK, "width": width})
    for language in ("zh", "en"):  # English names and headings are longer
        page.goto(f"{server}{path}?lang={language}")
        hidden = page.evaluate(
            "() => [...document.querySelectorAll('.table-scroll')].map((e) => e.scrollWidth - e.clientWidth)"
        )
        assert len(hidden) >= 3
        assert max(hidden) <= 1, (language, hidden)  # no column cut off behind the table's own scroll bar


def test_the_big_screen_writes_times_as_the_pages_do_and_its_lights_open_the_queue(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", DESK)
    page.goto(f"{server}/command-centre")
    page.wait_for_selector("#cc[data-ready='true']")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.locator("#cc-refreshed").inner_text())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page.locator("#cc-clock").inner_text())
    red = page.locator("#cc-lights li[data-light='red'] a")
    assert red.get_attribute("href") == "/cases?light=red"
    shown = int(red.locator(".cc-value").inner_text())
    red.click()
    page.wait_for_url("**/cases?light=red")
    assert page.locator("table tbody tr", has_text="红灯").count() == shown


def test_the_monthly_report_on_a_phone_lists_standings_one_line_each_and_pairs_card_lines(
    browser: Any, server: str
) -> None:
    page = _login(browser, server, "kc-centre", PHONE)
    page.goto(f"{server}/reports/monthly?month=2026-06")
    rows = page.locator("#report-assessment-township tbody tr")
    assert rows.count() > 5
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#report-assessment-township tbody tr')]"
        ".map((r) => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 60  # rank, name and total on one line, not a card of eight lines
    assert not rows.first.locator("td[data-label='时效']").is_visible()
    assert rows.first.locator("a").is_visible()  # the four scores are a tap away
    cells = page.locator("#report-matter tbody tr").first.locator("td")
    tops = [cells.nth(i).bounding_box()["y"] for i in range(2)]
    assert abs(tops[0] - tops[1]) < 2  # two lines of a card side by side
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    desk = _login(browser, server, "kc-centre", DESK)
    desk.goto(f"{server}/reports/monthly?month=2026-06")
    assert desk.locator("#report-assessment-township tbody tr").first.locator("td[data-label='时效']").is_visible()
