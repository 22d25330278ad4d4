"""In a real headless Chromium: the centre opens a group and instructs; a grid worker, told by the inbox, answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.command_groups.helpers import person
from tests.conftest import World
from tests.early_warning.test_browser import DESK, PHONE, _login
from zhili.core.clock import SystemClock
from zhili.core.local_time import to_local
from zhili.org.models import Person


def test_a_group_is_opened_instructed_and_answered_live(browser: Any, server: str, sqlite_world: World) -> None:
    with Session(sqlite_world.engine) as session:
        worker = session.get(Person, person(session, "gridworker"))
        assert worker is not None
        worker_name = worker.name
    centre = _login(browser, server, "kc-centre", DESK)
    centre.click("nav.desk-menu a[href='/groups']")
    centre.click("#open-group")
    centre.fill("input[name=title]", "浏览器测试：府山街道积水处置指挥组")
    centre.select_option("select[name=area]", label="府山街道")
    centre.fill("#members-picker input[type=search]", worker_name)
    centre.locator("#people-found input[name=member]").first.check()
    centre.click("#open-form button[type=submit]")
    centre.wait_for_selector("#group-state")
    assert centre.locator("#group-state").inner_text() == "处置中"
    assert centre.locator("#my-role").inner_text() == "指挥长"
    deadline = to_local(SystemClock().now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    centre.fill("#instruct-form textarea[name=body]", "请立即核查中山路积水情况")
    centre.fill("#instruct-form input[name=deadline]", deadline)
    centre.locator("#instruct-form input[name=person]").first.check()
    centre.click("#instruct-form button[type=submit]")
    centre.wait_for_selector("#instructions details")
    group_url = centre.url.split("#", 1)[0]

    phone = _login(browser, server, "gridworker", PHONE, home=False)
    phone.goto(f"{server}/inbox")
    told = phone.locator("li.inbox-item", has_text="新指令，请签收").first
    assert "指挥组指令" in told.inner_text()
    told.locator("button[type=submit]").click()
    phone.wait_for_url(f"{group_url}*")
    phone.wait_for_selector("#my-instructions")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click("#my-instructions button[value=acknowledged]")
    phone.fill("#my-instructions textarea[name=reply]", "已到现场，积水约20厘米")
    phone.click("#my-instructions button[value=done]")
    phone.wait_for_selector("#instructions td:has-text('已到现场')")
    phone.fill("#post-form textarea[name=body]", "现场照片稍后补充")
    phone.click("#post-form button[type=submit]")
    phone.wait_for_selector("#timeline li:has-text('现场照片稍后补充')")

    # The centre's open page picks the post up by itself (it polls the timeline).
    centre.wait_for_selector("#timeline li:has-text('现场照片稍后补充')", timeout=20_000)
    centre.reload()
    assert "已办结" in centre.locator("#instructions").inner_text()
    # The close button reads as a red button with white words (zhili.css's outlined danger style once hid them).
    close = centre.locator("#state-form button[value=close]")
    colours = close.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours[0] != colours[1], colours

    _pull_in_from_the_group_page(centre, worker_name)


def _pull_in_from_the_group_page(centre: Any, member_name: str) -> None:
    """The group page's picker leaves out its members, finds people by place and role, and adds the one ticked."""
    picker = "#add-members-form input[type=search]"
    centre.fill(picker, member_name)
    centre.wait_for_selector("#people-found p.hint")  # a member already: nobody else of that name to offer
    assert centre.locator("#people-found input[name=member]").count() == 0
    centre.fill(picker, "府山 网格员")
    centre.wait_for_selector("#people-found input[name=member]")
    offered = centre.locator("#people-found .pick-person").first.inner_text()
    assert "网格员" in offered
    centre.locator("#people-found input[name=member]").first.check()
    centre.click("#add-members-form button[type=submit]")
    centre.wait_for_selector("#members li", state="attached")
    assert offered.split()[0] in centre.locator("body").inner_text()
