"""Headless Chromium: a matter's page fits a phone, every table wrapped to the screen."""

from __future__ import annotations

from typing import Any

from tests.early_warning.test_browser import PHONE, _login


def test_a_matters_tables_fit_a_phone_without_a_sideways_scroll(browser: Any, server: str) -> None:
    page = _login(browser, server, "kc-centre", PHONE, home=False)
    page.goto(f"{server}/matters/wage_arrears")
    hidden = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('table')]"
        ".map((t) => [t.id, t.scrollWidth - t.clientWidth]))"
    )
    assert set(hidden) >= {"assignment", "limits", "escalation", "attributes", "versions"}
    assert all(width <= 1 for width in hidden.values()), hidden
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_matters_report_fields_read_as_cards_on_a_phone(browser: Any, server: str) -> None:
    """Each field a report asks for is a card: its type is not squeezed to one character a line (单/行/文/本)."""
    page = _login(browser, server, "kc-centre", PHONE, home=False)
    page.goto(f"{server}/matters/campus_safety")
    kind = page.locator("#attributes tbody tr").first.locator("td").nth(2)
    box = kind.bounding_box()
    assert box is not None
    assert box["height"] < 40  # one line
    assert "类型" in kind.evaluate("(td) => getComputedStyle(td, '::before').content")
    page.goto(f"{server}/matters/campus_safety?lang=en")
    label = page.locator("#attributes tbody tr").first.locator("td").nth(2)
    assert label.evaluate("(td) => getComputedStyle(td, '::before').content").endswith(': "')  # not "Type："
