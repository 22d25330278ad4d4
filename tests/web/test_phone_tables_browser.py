"""Headless Chromium on a phone (390×844): the admin and organisation pages' tables fit the screen.

A table of a few short columns wraps its cells (`.fit`); a list of many columns is a card per row
(`.cards`). Either way no page scrolls sideways and no table is cut off or scrolls inside itself.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import log_in_context

PHONE = {"width": 390, "height": 844}
ADMIN_PAGES = (
    "/admin/calendar",
    "/admin/calendar/2026",
    "/admin/deliveries",
    "/admin/assessment",
    "/feeds",
    "/admin/detectors",  # last: its form is looked at below
)
# each table: how much wider its content is than its box, and how far it reaches past its container
OVERFLOW = """() => [...document.querySelectorAll('table')].map((t) => [
  t.id || t.className,
  t.scrollWidth - t.clientWidth,
  t.getBoundingClientRect().right - t.parentElement.getBoundingClientRect().right,
])"""


# the one-word headings of the tables that wrap their cells, and the lines each takes (a word split: more than one)
HEADING_LINES = """() => [...document.querySelectorAll('table.data.fit thead th')]
  .filter((th) => th.textContent.trim() && !/\\s/.test(th.textContent.trim()))
  .map((th) => {
    const r = document.createRange();
    r.selectNodeContents(th);
    return [th.textContent.trim(), r.getClientRects().length];
  })"""


def _phone(browser: Any, server: str, username: str) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in_context(context, server, username)
    return context.new_page()


def _fits(page: Any, server: str, path: str) -> int:
    """The page at `path` fits the phone, each table inside its container; the number of tables."""
    answer = page.goto(f"{server}{path}")
    assert answer is not None
    assert answer.ok, path
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], path
    tables = page.evaluate(OVERFLOW)
    assert all(hidden <= 1 and past <= 1 for _, hidden, past in tables), (path, tables)
    return len(tables)


def test_the_admin_pages_tables_fit_a_phone(browser: Any, server: str) -> None:
    page = _phone(browser, server, "admin")
    for path in ADMIN_PAGES:
        assert _fits(page, server, path) > 0, path
    assert page.locator("#rules input[name='rules.0.threshold']").is_visible()  # a form's inputs stay in reach
    page.context.close()


def test_the_organisation_pages_tables_fit_a_phone(browser: Any, server: str) -> None:
    page = _phone(browser, server, "kc-centre")
    assert _fits(page, server, "/org") >= 3  # the county: people by role, its departments, its people
    person = page.locator("#people a[href^='/org/people/']").first.get_attribute("href")
    department = page.locator("#departments a[href^='/org/departments/']").first.get_attribute("href")
    assert _fits(page, server, "/org/search?q=府山社区") == 2  # the places, and the people by name or phone
    grid = page.locator("#results a[href^='/org/divisions/']").last.get_attribute("href")
    assert grid is not None
    assert len(grid.rsplit("/", 1)[1]) == len("330802006003001")  # a grid's code
    for path in (person, department, grid):
        assert path is not None
        assert _fits(page, server, path) > 0, path
    assert not page.locator("#children").count()  # a grid has no children to list before its own details
    page.context.close()
    page = _phone(browser, server, "village")  # a village's 组织架构 in English: "Count" stays one word
    assert _fits(page, server, "/org?lang=en") > 0
    headings = page.evaluate(HEADING_LINES)
    assert ["Count", 1] in headings
    assert all(lines == 1 for _, lines in headings), headings
    page.context.close()
