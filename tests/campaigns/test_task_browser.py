"""The phone task page in a real headless Chromium: a party member claims with one tap and reports with GPS."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import dispatch_typhoon, point_in, post_of, task_of
from tests.conftest import World, log_in_context

from zhili.campaigns.dispatch.closing import close_campaign
from zhili.campaigns.models import Campaign
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock, SystemClock


@contextlib.contextmanager
def logged_in(
    browser: Any, server: str, world: World, campaign: Campaign, username: str, **options: Any
) -> Iterator[Any]:
    """A browser context logged in as `username`; afterwards it is closed and the test's campaign with it."""
    context = browser.new_context(**options)
    try:
        log_in_context(context, server, username)
        yield context
    finally:
        context.close()
        with Session(world.engine) as session:
            close_campaign(
                session, campaign_id=campaign.id, actor=system_actor("test"), clock=FrozenClock(SystemClock().now())
            )


def test_a_party_member_claims_and_reports_from_the_phone(browser: Any, server: str, sqlite_world: World) -> None:
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task = task_of(session, campaign, "partymember")
        here = point_in(session, task.division_code)
    with logged_in(
        browser,
        server,
        sqlite_world,
        campaign,
        "partymember",
        viewport={"width": 390, "height": 844},
        geolocation={"longitude": here["lon"], "latitude": here["lat"]},
        permissions=["geolocation"],
    ) as context:
        page = context.new_page()
        page.goto(f"{server}/tasks")
        page.locator(f"form[action='/tasks/{task.id}/claim'] button").click()
        page.goto(f"{server}/tasks/{task.id}")
        assert page.locator("#summary").get_attribute("data-state") == "claimed"
        page.fill("#report-form textarea[name=text]", "12户已逐一提醒，门窗已关好")
        page.click("#use-gps")
        page.wait_for_function("() => document.querySelector('[name=lat]').value !== ''")
        page.locator("#report-form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert page.locator("#summary").get_attribute("data-state") == "reported"


def test_choosing_a_matter_to_raise_keeps_the_report_typed(browser: Any, server: str, sqlite_world: World) -> None:
    # 发现险情: the matter's fields come into the form where it stands; the report typed above is not lost.
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task = task_of(session, campaign, "gridhead")
    with logged_in(
        browser, server, sqlite_world, campaign, "gridhead", viewport={"width": 390, "height": 844}
    ) as context:
        page = context.new_page()
        page.goto(f"{server}/tasks")
        page.locator(f"form[action='/tasks/{task.id}/claim'] button").click()
        page.goto(f"{server}/tasks/{task.id}")
        page.fill("#report-form textarea[name=text]", "巡查发现广告牌松动")
        page.fill("#report-form input[name=lon]", "119.17")
        page.select_option("#report-form select[name=matter]", "road_safety_hazard")
        page.wait_for_selector("#raise-case [name='attr.hazard_type']")
        assert page.url.endswith(f"/tasks/{task.id}")  # no page load
        assert page.input_value("#report-form textarea[name=text]") == "巡查发现广告牌松动"
        assert page.input_value("#report-form input[name=lon]") == "119.17"
        page.select_option("#report-form select[name=matter]", "")
        page.wait_for_selector("#raise-case", state="detached")


def test_the_checklist_answers_are_thumb_sized_on_the_phone(browser: Any, server: str, sqlite_world: World) -> None:
    # The team leader answers each checklist item with a tap: each answer is a 44 px target on the screen.
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        village = post_of(session, "teamleader", "team_leader").division_code
        campaign = dispatch_typhoon(session, SystemClock(), divisions=[village])
        task = task_of(session, campaign, "teamleader")
    with logged_in(
        browser, server, sqlite_world, campaign, "teamleader", viewport={"width": 390, "height": 844}, is_mobile=True
    ) as context:
        page = context.new_page()
        page.goto(f"{server}/tasks")
        page.locator(f"form[action='/tasks/{task.id}/claim'] button").click()
        page.goto(f"{server}/tasks/{task.id}")
        answers = page.locator("#report-form .ft-answer label")
        assert answers.count() == 6  # three items, 已落实 / 未落实 each
        for index in range(answers.count()):
            box = answers.nth(index).bounding_box()
            assert box is not None
            assert box["height"] >= 44, (index, box)
            assert box["x"] + box["width"] <= 390, (index, box)
        answers.nth(1).locator("xpath=.").click(position={"x": box["width"] - 8, "y": 8})  # the edge of 未落实
        assert page.is_checked("#report-form input[name='check.0'][value=no]")
        table = page.locator("#summary table.data").bounding_box()
        card = page.locator("#summary").bounding_box()
        assert table is not None
        assert card is not None
        assert table["width"] > card["width"] - 60  # the summary spans its card
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_task_facts_wrap_on_the_phone_in_english(browser: Any, server: str, sqlite_world: World) -> None:
    # A long reason (and English's longer labels) wraps inside the screen: nothing hidden off to the right.
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task = task_of(session, campaign, "partymember")
    with logged_in(
        browser, server, sqlite_world, campaign, "partymember", viewport={"width": 390, "height": 844}, is_mobile=True
    ) as context:
        page = context.new_page()
        page.goto(f"{server}/tasks/{task.id}?lang=en")
        page.click("#claim summary")
        reason = "本人在外地出差，三天后返回，所联系的十二户已托付给邻近网格的党员代为走访"
        page.fill("#decline-form input[name=reason]", reason)
        page.click("button[data-action=decline]")
        page.wait_for_load_state()
        page.goto(f"{server}/tasks/{task.id}?lang=en")
        facts = page.locator("#task-facts")
        assert page.is_visible("#task-facts #reason")
        assert facts.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), "the facts scroll sideways"
        box = page.locator("#reason").bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390


def test_use_my_location_says_so_when_the_phone_gives_no_position(
    browser: Any, server: str, sqlite_world: World
) -> None:
    # Location refused (or off): 使用定位 tells the reporter what to do instead of doing nothing.
    with Session(sqlite_world.engine, expire_on_commit=False) as session:
        campaign = dispatch_typhoon(session, SystemClock())
        task = task_of(session, campaign, "partymember")
    with logged_in(
        browser, server, sqlite_world, campaign, "partymember", viewport={"width": 390, "height": 844}, is_mobile=True
    ) as context:  # no geolocation granted
        page = context.new_page()
        page.goto(f"{server}/tasks")
        page.locator(f"form[action='/tasks/{task.id}/claim'] button").click()
        page.goto(f"{server}/tasks/{task.id}")
        page.click("#use-gps")
        note = page.locator("#report-form [data-gps-note]")
        note.wait_for(timeout=10_000)
        assert "无法获取定位" in note.inner_text()
        assert page.input_value("#report-form input[name=lon]") == ""
