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
    # the limits: one card per level, each phase a line of its own ("受理：1 个工作日", not 个/工/作/日 squeezed)
    first = page.locator("#limits tbody tr").first
    assert first.locator("th").inner_text() == "部门"
    phase = first.locator("td").first
    assert "受理" in phase.evaluate("(td) => getComputedStyle(td, '::before').content")
    box = phase.bounding_box()
    assert box is not None
    assert box["height"] < 40  # one line
    assert box["width"] > PHONE["width"] / 2  # the card's width, not a fifth of the table
    # English row labels (Probable duplicates within) wrap: the values keep half the table, words whole
    page.goto(f"{server}/matters/wage_arrears?lang=en")
    widths = page.evaluate("() => ['#assignment td', '#assignment'].map((s) => document.querySelector(s).clientWidth)")
    assert widths[0] >= widths[1] / 2, widths


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
