"""改派 in a real headless Chromium on a phone: the level above picks the new recipient by name and post."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import actor_of, dispatch_typhoon, task_of
from tests.campaigns.test_task_browser import logged_in
from tests.conftest import World

from zhili.campaigns.tasks.service import decline_task
from zhili.core.clock import SystemClock


def test_the_level_above_reassigns_a_declined_task_from_the_phone(
    browser: Any, server: str, sqlite_world: World
) -> None:
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task_id = task_of(session, campaign, "partymember").id
        decline_task(
            session, task_id=task_id, reason="住院中", actor=actor_of(session, "partymember"), clock=SystemClock()
        )
    with logged_in(
        browser, server, sqlite_world, campaign, "gridhead", viewport={"width": 390, "height": 844}, is_mobile=True
    ) as context:
        page = context.new_page()
        page.goto(f"{server}/tasks/{task_id}?lang=en#reassign")
        assert page.locator("#reassign h2").inner_text() == "Reassign"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.goto(f"{server}/tasks/{task_id}?lang=zh#reassign")
        options = page.locator("#reassign-form select option").all_inner_texts()
        assert any("网格员" in option for option in options), options  # by name and post, no codes
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.select_option("#reassign-form select", index=1)
        page.fill("#reassign-form input[name=note]", "请今晚走访")
        page.locator("#reassign-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#summary").get_attribute("data-state") == "reassigned"
        assert page.locator("#reassigned-to a").count() == 1
        page.locator("#reassigned-to a").click()
        page.wait_for_load_state()
        assert page.locator("#summary").get_attribute("data-state") == "notified"
        assert page.locator("#reassigned-from a").get_attribute("href") == f"/tasks/{task_id}"
