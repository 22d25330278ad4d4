"""Tables of analytics: one fact row per case, the summary cells the KPI pages read, and the projector's mark.

`case_facts` holds what counting needs of each case (where, what, which unit, the month it was
reported in local time, how long it took, how it went). `kpi_cells` sums the facts per month,
township, matter and unit: every measure is additive (counts, sums of hours and of their logarithms,
a histogram of handling times), so any period, area, matter or unit is a sum of cells, and the KPI
pages never read the case tables. `analytics_marks` remembers the newest timeline line counted.
`pilots` are reforms tried in an area from a month on, compared before and after with comparable
areas (`before_after`). All are Core tables, written by set-based statements, bulk loads and
`pilots.register_pilot`.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from zhili.core.db import Base, UtcDateTime

BUCKETS: Final = 36
"""Handling-time histogram buckets per cell (see `facts.bucket_of`)."""

BUCKET_COLUMNS: Final = tuple(f"h{k:02d}" for k in range(BUCKETS))

case_facts = Table(
    "case_facts",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("month", Integer, nullable=False),  # core.months.Month.index of the report, local time
    Column("county_code", String(20), nullable=False),
    Column("township_code", String(20), nullable=False),
    Column("matter_code", String(60), nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("is_open", Integer, nullable=False),
    Column("is_rejected", Integer, nullable=False),
    Column("is_closed", Integer, nullable=False),
    Column("is_complaint", Integer, nullable=False),
    Column("is_rated", Integer, nullable=False),
    Column("is_satisfied", Integer, nullable=False),
    Column("is_on_time", Integer, nullable=False),  # closed with no phase ended late
    Column("is_reopened", Integer, nullable=False),
    Column("is_reworked", Integer, nullable=False),
    Column("is_returned", Integer, nullable=False),
    Column("phases_ended", Integer, nullable=False),
    Column("phases_late", Integer, nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("hours", Float),  # reported → closed, for closed cases
    Column("log_hours", Float),
    Column("bucket", Integer),
    Index("ix_case_facts_month_township", "month", "township_code"),
)

MEASURES: Final = (
    "reported", "rejected", "open", "closed", "on_time", "complaints", "rated", "satisfied", "reopened",
    "reworked", "returned", "phases_ended", "phases_late",
)  # fmt: skip
"""The integer measures of a cell, each the sum of a fact's flag or count."""

SUMS: Final = ("hours_sum", "log_hours_sum", "log_hours_sq_sum")

kpi_cells = Table(
    "kpi_cells",
    Base.metadata,
    Column("month", Integer, primary_key=True),
    Column("township_code", String(20), primary_key=True),
    Column("matter_code", String(60), primary_key=True),
    Column("unit_id", Integer, primary_key=True),
    Column("county_code", String(20), nullable=False),
    *(Column(name, Integer, nullable=False) for name in MEASURES),
    *(Column(name, Float, nullable=False) for name in SUMS),
    *(Column(name, Integer, nullable=False) for name in BUCKET_COLUMNS),
    Index("ix_kpi_cells_county_month", "county_code", "month"),
    Index("ix_kpi_cells_unit_month", "unit_id", "month"),
)

analytics_marks = Table(
    "analytics_marks",
    Base.metadata,
    Column("name", String(40), primary_key=True),
    Column("event_id", Integer, nullable=False),  # the newest timeline line counted
    Column("refreshed_at", UtcDateTime, nullable=False),
)

pilots = Table(
    "pilots",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("matter_code", String(60), nullable=False),
    Column("area_code", String(20), nullable=False),  # the pilot's township or county
    Column("control_codes", Text, nullable=False),  # comparable areas, comma-separated ("" = none)
    Column("start_month", Integer, nullable=False),  # Month.index of the pilot's first month
    Column("reported_handling", Float),  # effects the pilot's owners reported (e.g. -0.667), to check
    Column("reported_volume", Float),
    Column("reported_complaints", Float),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
