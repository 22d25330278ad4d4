"""The tracking page in a real Chromium on a phone: the link a citizen keeps is copied with one tap."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.cases.test_flow import fushan_point, report_body
from tests.conftest import World

from zhili.cases import service as cases
from zhili.cases.schemas import CaseCreate
from zhili.citizens import service
from zhili.core.clock import SystemClock
from zhili.core.settings import Settings
from zhili.org.geo import LocatorCache


def test_the_tracking_link_is_copied_with_one_tap(browser: Any, server: str, sqlite_world: World) -> None:
    with Session(sqlite_world.engine) as session:
        _grid, point = fushan_point(session)
        body = {**report_body(point), "channel": "web", "reporter_name": "王女士", "reporter_phone": "13905701234"}
        clock = SystemClock()
        case = cases.report_case(
            session, data=CaseCreate.model_validate(body), actor=service.PUBLIC, clock=clock, locators=LocatorCache()
        )
        secret = Settings(environment="test").secret_key.get_secret_value()  # the test server's own
        token = service.issue_tracker(session, case_id=case.id, secret=secret, now=clock.now())
        session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page = context.new_page()
        page.goto(f"{server}/track/{token}?new=1")
        link = page.locator("#track-link")
        assert link.input_value() == f"{server}/track/{token}"
        box = link.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390  # the field on the screen …
        assert link.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")  # … all of it
        page.click("button[data-copy]")
        page.wait_for_function("() => document.querySelector('[data-copy-said]').textContent !== ''")
        assert page.inner_text("[data-copy-said]") == "已复制，可粘贴到备忘录或微信收藏保存"
        assert page.evaluate("navigator.clipboard.readText()") == f"{server}/track/{token}"
    finally:
        context.close()
