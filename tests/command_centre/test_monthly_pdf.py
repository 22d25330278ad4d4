"""The monthly report's PDF: a rate is printed as a percentage, hours and points as numbers."""

from __future__ import annotations

from zhili.command_centre import monthly_files, monthly_pdf


def test_only_rates_print_as_percentages() -> None:
    rate = monthly_files._round("kpi.on_time_rate", 0.91234)
    hours = monthly_files._round("kpi.mean_hours", 0.5)
    assert monthly_pdf._shown(rate) == "91.2%"
    assert monthly_pdf._shown(hours) == "0.5"  # half an hour, not 50 %
    assert monthly_pdf._shown(0.0) == "0.0"  # an assessment dimension's zero points, not 0.0 %
    assert monthly_pdf._shown(1.0) == "1.0"
    assert monthly_pdf._shown(None) == "—"
