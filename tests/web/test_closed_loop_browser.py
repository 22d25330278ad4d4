"""The issue's "done when": the whole illegal-parking loop in a real Chromium, each party in its own browser.

Nobody is told by someone else that it is their turn: every step after the report begins in the
party's own inbox (收件箱), by opening the notification the previous step sent them, which leads
straight to the part of the case page where they act. Each party logs in once and keeps their
browser for their later turns, as people do. It runs twice: once with the field staff on phones
and the desks on desks, once the other way round. The parties log in with the login form's requests
(`log_in_context`), not by rendering the form and the home page: those have browser tests of their
own, and rendering them was a third of this module's CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG, fushan_point
from tests.conftest import World, log_in_context

DESK = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
FIELD = ("gridworker", "kc-traffic", "kc-enforcement")


class Party:
    """One person in their own browser context, logged in."""

    def __init__(self, browser: Any, server: str, username: str, *, phone: bool, **options: Any) -> None:
        self.server, self.username = server, username
        viewport = PHONE if phone else DESK
        self.context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN", **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        log_in_context(self.context, server, username)

    def follow(self, number: str, title: str) -> Any:
        """Open the inbox and the notification about this case that begins with `title`; land where they act."""
        page = self.page
        page.goto(f"{self.server}/inbox")
        item = page.locator("li.inbox-item").filter(has_text=number).filter(has_text=title).first
        assert item.count() == 1, f"{self.username} was not told: {title} ({number})"
        item.locator("button[type=submit]").click()
        page.wait_for_url("**/cases/*")
        assert not self.errors, self.errors
        return page

    def act(self, command: str) -> None:
        self.page.click(f"form[data-command='{command}'] button[type=submit]")
        self.page.wait_for_load_state()
        assert self.page.locator("#error").count() == 0, self.page.inner_text("main")

    def close(self) -> None:
        """The end of this turn: no script error on the way (the browser stays open for the next turn)."""
        assert not self.errors, self.errors


def _shot(page: Any, name: str) -> None:
    shots = os.environ.get("ZHILI_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / name), full_page=True)


PartyOf = Callable[[str], Party]


def _report(party: PartyOf, point: dict[str, float], *, plate: str) -> str:
    """The grid worker reports from the form with a map pick and a photo; the case number comes back."""
    worker = party("gridworker")
    page = worker.page
    page.goto(f"{worker.server}/cases/new")
    page.select_option("#choose-matter select[name=matter]", "illegal_parking")
    page.wait_for_selector("#point-picker[data-ready='1']")
    pixel = page.evaluate(
        "([lat, lon]) => { const p = window.zhiliPicker.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [point["lat"], point["lon"]],
    )
    box = page.locator("#point-picker").bounding_box()
    page.mouse.click(box["x"] + pixel[0], box["y"] + pixel[1])
    page.wait_for_function("() => document.querySelector('#picked').textContent.includes('府山街道')")
    page.fill("textarea[name=description]", "人行道违停，挡住盲道")
    page.fill("input[name='attr.plate_number']", plate)
    page.select_option("select[name='attr.vehicle_type']", "car")
    page.select_option("select[name='attr.parked_on']", "pavement")
    page.set_input_files("input[name=photo]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#intake button[type=submit]")
    page.wait_for_selector("#lead")
    assert "柯城区公安交警大队" in page.inner_text("#lead")
    assert page.locator("#summary img, #photos img").count() >= 1
    number = str(page.title()).split(" ")[0]
    worker.close()
    return number


def _dispatch(party: PartyOf, number: str) -> None:
    centre = party("kc-centre")
    centre.follow(number, "新上报待受理")
    centre.act("accept")
    centre.act("dispatch")
    centre.close()


def _lead_asks_and_meets(party: PartyOf, number: str) -> None:
    lead = party("kc-traffic")
    page = lead.follow(number, "新派单待签收")
    lead.act("sign")
    lead.act("start")
    for box in page.locator("#ask-help label.choice").all():
        if "执法" in box.inner_text() or "住房" in box.inner_text():
            box.locator("input").check()
    page.fill("#ask-help input[name=text]", "请协助现场核查")
    page.click("#ask-help button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#collaboration section.help-request").count() == 2
    page.fill("#hold-meeting input[name=title]", "违停会商")
    page.fill("#hold-meeting textarea[name=minutes]", "交警牵头，住建配合增设引导牌")
    page.fill("#hold-meeting input[name=decision]", "增设停车引导牌")
    owner = page.locator("#hold-meeting select[name=decision_owner] option", has_text="住房")
    page.select_option("#hold-meeting select[name=decision_owner]", owner.get_attribute("value"))
    page.click("#hold-meeting button[type=submit]")
    page.wait_for_load_state()
    lead.close()


def _units_answer(party: PartyOf, number: str) -> None:
    for username, answer in (("kc-enforcement", "已到现场核查，占道属实"), ("kc-housing", "停车设施整改方案已报")):
        helper = party(username)
        page = helper.follow(number, "部门协同待回复")
        form = page.locator("form.help-reply-form")
        assert form.count() == 1, f"{username} sees the reply form of their own request only"
        form.locator("textarea[name=text]").fill(answer)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert answer in page.inner_text("#collaboration")
        helper.close()
    housing = party("kc-housing")
    page = housing.follow(number, "会商任务待完成")
    page.locator("form.task-done-form textarea[name=note]").fill("引导牌已设置")
    page.locator("form.task-done-form button[type=submit]").click()
    page.wait_for_load_state()
    housing.close()


def _lead_replies(party: PartyOf, number: str, point: dict[str, float]) -> None:
    lead = party("kc-traffic")
    page = lead.follow(number, "会商任务已完成")
    photo = [{"name": "done.png", "mimeType": "image/png", "buffer": PNG}]
    page.set_input_files("#add-photo input[name=photo]", files=photo)
    page.click("#add-photo button[type=submit]")
    page.wait_for_load_state()
    reply = page.locator("form[data-command='reply']")
    reply.locator("textarea[name=text]").fill("车辆已拖离，盲道已恢复")
    reply.locator("input[name=evidence_photo]").last.check()
    reply.locator("input[name=evidence_text]").fill("现场已恢复通行")
    reply.locator("input[name=evidence_gps]").fill(f"{point['lon']:.5f},{point['lat']:.5f}")
    lead.act("reply")
    lead.close()


def _verify_close_rate(party: PartyOf, number: str, shot: str) -> list[str]:
    worker = party("gridworker")
    page = worker.follow(number, "办理回复待核查")
    page.wait_for_selector("#case-map[data-ready='1']", timeout=20_000)
    assert "车辆已拖离" in page.inner_text("#reply")
    assert page.locator("#reply img").count() >= 1
    assert "占道属实" in page.inner_text("#collaboration")
    _shot(page, shot)
    worker.act("verify")
    worker.close()
    lead = party("kc-traffic")
    lead.follow(number, "核查通过")
    assert lead.page.locator("#close-decision").count() == 0, "nothing is left open: no decision to make"
    lead.act("close")
    lead.close()
    worker = party("gridworker")
    page = worker.follow(number, "办件已办结")
    page.select_option("form[data-command='rate'] select[name=rating]", "very_satisfied")
    worker.act("rate")
    kinds: list[str] = page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.kind)")
    if worker.page.viewport_size["width"] == PHONE["width"]:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    worker.close()
    return kinds


@pytest.mark.parametrize("field_on_phone", [True, False], ids=["field-on-phones", "field-on-desks"])
def test_the_parking_loop_each_step_begun_from_the_notification(
    browser: Any, server: str, sqlite_world: World, *, field_on_phone: bool
) -> None:
    with Session(sqlite_world.engine) as session:
        _grid, point = fushan_point(session)

    parties: dict[str, Party] = {}

    def party(username: str) -> Party:
        if username not in parties:
            parties[username] = Party(browser, server, username, phone=(username in FIELD) == field_on_phone)
        return parties[username]

    plate = "浙H71345" if field_on_phone else "浙H72345"
    number = _report(party, point, plate=plate)
    assert number.startswith("ZL")
    _dispatch(party, number)
    _lead_asks_and_meets(party, number)
    _units_answer(party, number)
    _lead_replies(party, number, point)
    kinds = _verify_close_rate(party, number, f"loop-verify-{'phone' if field_on_phone else 'desk'}.png")
    assert kinds[-1] == "rate"
    for kind in ("help_requested", "help_replied", "meeting_held", "task_done", "reply", "verify", "close"):
        assert kind in kinds, kind
    for each in parties.values():
        each.context.close()
