"""The report form's point picker in a real Chromium on a phone: what it says of a point outside my area."""

from __future__ import annotations

from typing import Any

from tests.conftest import log_in_context


def test_a_point_outside_my_area_may_still_be_reported(browser: Any, server: str) -> None:
    # Anyone may report anywhere (the place's own units handle it): the picker says so, not "no such county".
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        log_in_context(context, server, "gridworker")  # 府山街道; the point is in 龙游县
        page = context.new_page()
        page.goto(f"{server}/cases/new?matter=illegal_parking")
        page.wait_for_selector("#point-picker[data-ready='1']")
        page.fill("input[name=lon]", "119.172")
        page.fill("input[name=lat]", "29.031")
        page.dispatch_event("input[name=lat]", "change")
        # Wait on what is asserted: filling lat blurs lon, whose own change may answer first with lat still empty.
        page.wait_for_function("() => document.querySelector('#picked').textContent.includes('仍可上报')")
        assert page.inner_text("#picked") == "该位置不在您的辖区内，仍可上报，将转由当地处理"
        assert "field-error" not in (page.get_attribute("#picked", "class") or "")
        # An answer about an older point that arrives after the newer one's must not overwrite it.
        held: list[Any] = []

        def hold_the_first(route: Any) -> None:
            if held:
                route.continue_()
            else:
                held.append(route)

        page.route("**/api/v1/org/locate?lon=119.172*", hold_the_first)
        page.dispatch_event("input[name=lat]", "change")
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        page.fill("input[name=lon]", "123.5")  # at sea: no county at all
        page.dispatch_event("input[name=lon]", "change")
        page.wait_for_function("() => document.querySelector('#picked').textContent.includes('已知区县')")
        with page.expect_response("**/api/v1/org/locate?lon=119.172*"):
            held[0].continue_()
        page.wait_for_timeout(300)  # the late answer's JSON is read and, without the guard, shown
        assert "已知区县" in page.inner_text("#picked")
        assert "field-error" in (page.get_attribute("#picked", "class") or "")
    finally:
        context.close()
