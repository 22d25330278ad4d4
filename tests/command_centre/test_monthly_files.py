"""The monthly report's workbook: rates are shares (0–1) and their headings say so."""

from __future__ import annotations

from zhili.command_centre import monthly_files
from zhili.command_centre.monthly_files import Share


def test_only_rates_are_shares() -> None:
    assert isinstance(monthly_files._round("kpi.on_time_rate", 0.91234), Share)
    assert not isinstance(monthly_files._round("kpi.mean_hours", 0.5), Share)


def test_the_sheets_say_their_rates_are_shares_as_the_kpi_files_do() -> None:
    summary = [["指标", "2026-06"], ["按期办结率", Share(0.9)], ["平均办理时长（小时）", 5.5]]
    said = monthly_files._shares_said(summary, "zh", by_row=True)
    assert [row[0] for row in said] == ["指标", "按期办结率（比例，0–1）", "平均办理时长（小时）"]
    table = [["乡镇（街道）", "按期办结率", "平均办理时长（小时）"], ["府山街道", Share(0.8), 0.5]]
    said = monthly_files._shares_said(table, "zh", by_row=False)
    assert said[0] == ["乡镇（街道）", "按期办结率（比例，0–1）", "平均办理时长（小时）"]
    assert said[1] == table[1]
