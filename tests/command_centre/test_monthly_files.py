"""The monthly report's files: a rate is printed as a percentage in the PDF, hours and points as numbers."""

from __future__ import annotations

from zhili.command_centre import monthly_files, monthly_pdf
from zhili.command_centre.monthly_files import Share


def test_only_rates_print_as_percentages() -> None:
    rate = monthly_files._round("kpi.on_time_rate", 0.91234)
    hours = monthly_files._round("kpi.mean_hours", 0.5)
    assert isinstance(rate, Share)
    assert not isinstance(hours, Share)
    assert monthly_pdf._shown(rate) == "91.2%"
    assert monthly_pdf._shown(hours) == "0.5"  # half an hour, not 50 %
    assert monthly_pdf._shown(0.0) == "0.0"  # an assessment dimension's zero points, not 0.0 %
    assert monthly_pdf._shown(1.0) == "1.0"
    assert monthly_pdf._shown(None) == "—"


def test_the_sheets_say_their_rates_are_shares_as_the_kpi_files_do() -> None:
    summary = [["指标", "2026-06"], ["按期办结率", Share(0.9)], ["平均办理时长（小时）", 5.5]]
    said = monthly_files._shares_said(summary, "zh", by_row=True)
    assert [row[0] for row in said] == ["指标", "按期办结率（比例，0–1）", "平均办理时长（小时）"]
    table = [["乡镇（街道）", "按期办结率", "平均办理时长（小时）"], ["府山街道", Share(0.8), 0.5]]
    said = monthly_files._shares_said(table, "zh", by_row=False)
    assert said[0] == ["乡镇（街道）", "按期办结率（比例，0–1）", "平均办理时长（小时）"]
    assert said[1] == table[1]
