"""Headless Chromium on a phone (390×844): the campaigns list and a live board show their tables as cards."""

from __future__ import annotations

from typing import Any

from tests.conftest import log_in_context

PHONE = {"width": 390, "height": 844}


def _phone(browser: Any, server: str, username: str) -> Any:
    context = browser.new_context(viewport=PHONE)
    log_in_context(context, server, username)
    return context.new_page()


def _lists_fit(page: Any) -> int:
    """Every table on the page is cards, each inside the screen; the number of tables."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    tables = page.locator("table.data")
    assert tables.count() > 0
    for index in range(tables.count()):
        table = tables.nth(index)
        assert "cards" in (table.get_attribute("class") or ""), index
        box = table.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"], (index, box)
    return tables.count()


def test_the_campaigns_list_and_the_board_are_cards_on_a_phone(browser: Any, server: str) -> None:
    page = _phone(browser, server, "kc-centre")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/campaigns")
    _lists_fit(page)
    rows = page.locator("#campaigns table.cards tbody tr:not(.empty)")
    assert rows.count() > 0
    assert page.evaluate("() => getComputedStyle(document.querySelector('#campaigns tbody tr')).display") == "grid"
    assert not page.is_visible("#campaigns table.cards thead")
    assert rows.first.locator("td.card-title").is_visible()

    board = rows.first.locator("a[href$='/board']").get_attribute("href")
    page.goto(f"{server}{board}")
    page.wait_for_selector("#board-live.live", timeout=10_000)  # the stream's first board has redrawn the tables
    assert _lists_fit(page) >= 5  # by division, by role, and the three lists of people
    for which in ("unclaimed", "unanswered", "finished"):
        assert page.is_visible(f"#list-{which} table.cards")
    names = page.locator("#list-unanswered tbody tr:not(.empty) td.card-head")
    assert names.count() > 0  # the demo campaign has people who claimed and have not answered
    assert page.locator("#board-children tr td.card-head").first.is_visible()
    assert page.locator("#board-roles tr td[data-label]").count() > 0  # redrawn by the page script, labels kept
    assert errors == []
    page.context.close()


def test_the_preview_totals_stand_under_their_column(browser: Any, server: str) -> None:
    page = _phone(browser, server, "huzhen")
    page.goto(f"{server}/campaigns")
    page.select_option("select[name=template]", "typhoon")
    page.check("#divisions input[name=division][value='330825101']")
    page.click("#dispatch-form button[type=submit]")
    page.wait_for_selector("#preview-counts")
    aligned = page.evaluate(
        "() => [...document.querySelectorAll('#preview-counts th.num')].map((e) => getComputedStyle(e).textAlign)"
    )
    assert aligned
    assert set(aligned) == {"right"}  # 合计 38 under the village column's figures, not at its left edge
    page.context.close()
