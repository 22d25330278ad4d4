"""Under the Content-Security-Policy, in a real headless Chromium: the main pages load with no violation and no error.

Each page is loaded as a demo login would reach it, and everything the page does on its own (maps, the
board's chart and its tooltip, the point picker, htmx) runs; any `securitypolicyviolation` event,
console error or uncaught exception fails the test with what it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import dispatch_typhoon, task_of
from tests.conftest import World

from zhili.campaigns.dispatch.closing import close_campaign
from zhili.cases.models import Case
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock, SystemClock
from zhili.demo.build import DEMO_PASSWORD

WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__problems.push(`CSP ${e.violatedDirective}: ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


@pytest.fixture
def typhoon(sqlite_world: World) -> Iterator[tuple[int, int, int]]:
    """A typhoon campaign to the partymember's grid: (campaign id, the partymember's task id, a Longyou case id)."""
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task = task_of(session, campaign, "partymember")
        case_id = session.scalars(select(Case.id).where(Case.place_code.startswith("330825")).order_by(Case.id)).first()
    assert case_id is not None
    yield campaign.id, task.id, case_id
    with Session(sqlite_world.engine) as session:
        now = FrozenClock(SystemClock().now())
        close_campaign(session, campaign_id=campaign.id, actor=system_actor("test"), clock=now)


class Watched:
    """A logged-in page whose CSP violations, console errors and uncaught exceptions are collected."""

    def __init__(self, browser: Any, server: str, username: str, viewport: dict[str, int]) -> None:
        self.server = server
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.goto(f"{server}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{server}/")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {self.page.url}")

    def visit(self, path: str, ready: str = "main") -> None:
        """Open a page, wait for it to be drawn, and take stock."""
        response = self.page.goto(f"{self.server}{path}")
        assert response is not None
        assert response.status == 200, path
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        self.page.wait_for_selector(ready, timeout=20_000)
        self.page.wait_for_load_state("networkidle")
        self.check(path)

    def check(self, where: str) -> None:
        """No violation or error so far."""
        problems = self.page.evaluate("() => window.__problems") + self.errors
        assert problems == [], f"{where}: {problems}"

    def close(self) -> None:
        """Close the browser context."""
        self.context.close()


def test_the_main_pages_run_under_the_policy_at_the_desk(
    browser: Any, server: str, typhoon: tuple[int, int, int]
) -> None:
    campaign_id, _task_id, case_id = typhoon
    desk = Watched(browser, server, "ly-centre", {"width": 1280, "height": 860})
    try:
        desk.visit("/", ".tiles, main .card")
        desk.visit("/map", "#map[data-ready='1']")
        desk.visit("/campaigns", "#dispatch-form")
        desk.page.locator("ul.division-tree details").first.locator("summary").click()  # htmx loads the children
        desk.page.wait_for_load_state("networkidle")
        desk.check("the division tree")
        desk.visit(f"/campaigns/{campaign_id}/board", "#board-chart canvas")
        box = desk.page.locator("#board-chart").bounding_box()
        assert box is not None
        desk.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the chart's tooltip
        desk.page.wait_for_timeout(300)
        desk.check("the board's tooltip")
        desk.visit("/command-centre", "#cc[data-ready='true'] #cc-campaigns li[data-campaign]")
        # The campaign's bar is drawn (a `style` attribute would be refused and leave it empty).
        width = desk.page.locator(f"#cc-campaigns li[data-campaign='{campaign_id}'] .bar .claimed").evaluate(
            "(bar) => bar.style.width"
        )
        assert width.endswith("%"), width
        assert desk.page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "图层"
        desk.visit(f"/cases/{case_id}", "main h1")
        desk.visit("/cases/new", "#choose-matter")
        desk.page.select_option("#choose-matter select[name=matter]", index=1)  # submits by itself
        desk.page.wait_for_selector("#intake .leaflet-container", timeout=20_000)
        desk.page.wait_for_load_state("networkidle")
        desk.check("the intake form with its point picker")
    finally:
        desk.close()


def test_the_task_page_runs_under_the_policy_on_a_phone(
    browser: Any, server: str, typhoon: tuple[int, int, int]
) -> None:
    _campaign_id, task_id, _case_id = typhoon
    phone = Watched(browser, server, "partymember", {"width": 390, "height": 844})
    try:
        phone.visit("/", "main")
        phone.visit("/tasks", "main")
        phone.visit(f"/tasks/{task_id}", "#summary")
    finally:
        phone.close()
