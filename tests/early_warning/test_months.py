"""Months as integers: parse, print, add, subtract, span."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.core.months import Month, span


@given(st.integers(1900 * 12, 2200 * 12))
def test_a_month_prints_and_parses_back(index: int) -> None:
    month = Month(index)
    assert Month.parse(str(month)) == month


@given(st.integers(1900 * 12, 2200 * 12), st.integers(-500, 500))
def test_adding_and_subtracting_months_agree(index: int, months: int) -> None:
    assert (Month(index) + months) - Month(index) == months


def test_december_is_followed_by_january() -> None:
    assert Month.parse("2025-12") + 1 == Month.of(2026, 1)
    assert Month.containing(date(2026, 2, 17)).first_day == date(2026, 2, 1)
    assert [str(m) for m in span(Month.parse("2025-11"), Month.parse("2026-02"))] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "2026/03", ""])
def test_a_bad_month_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(text)
