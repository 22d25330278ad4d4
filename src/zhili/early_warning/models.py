"""Tables of early warning: register, feed batches, the monthly panel, events, detectors, runs, warnings.

The panel is wide: one `firm_months` row per enterprise and month, one column per indicator, and per
feed the batch that delivered its columns (the provenance of every number). Months are stored as
`Month.index` integers (year * 12 + month - 1): compact, ordered, and cheap to load by the million.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import JsonText


class Enterprise(Base):
    """An enterprise of the register, keyed by its unified social credit code."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    industry: Mapped[str] = mapped_column(String(1))  # GB/T 4754 section, `industries.CODES`
    legal_representative: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(20), index=True)  # where it is, resolved from the address
    grid_code: Mapped[str | None] = mapped_column(String(20), index=True)
    size: Mapped[str] = mapped_column(String(8))  # `register.Size`
    employees: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FeedBatch(Base):
    """One delivery of a feed (a file or an API call): who sent what, when, and what was refused."""

    __tablename__ = "feed_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    mode: Mapped[str] = mapped_column(String(8))  # replace | merge
    source: Mapped[str] = mapped_column(String(200))  # the file name, or "api"
    provider: Mapped[str] = mapped_column(String(80))
    first_month: Mapped[int | None] = mapped_column(Integer)
    last_month: Mapped[int | None] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    rejections: Mapped[list[dict[str, Any]]] = mapped_column(JsonText(list[dict[str, Any]]))  # the first 500
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_by: Mapped[str] = mapped_column(String(120))


class FirmMonth(Base):
    """The indicators of one enterprise in one month, each feed's columns with the batch they came in."""

    __tablename__ = "firm_months"
    __table_args__ = (Index("ix_firm_months_month", "month"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    electricity_kwh: Mapped[float | None] = mapped_column(Float)
    electricity_arrears: Mapped[float | None] = mapped_column(Float)
    electricity_batch_id: Mapped[int | None] = mapped_column(ForeignKey("feed_batches.id"))
    water_m3: Mapped[float | None] = mapped_column(Float)
    water_arrears: Mapped[float | None] = mapped_column(Float)
    water_batch_id: Mapped[int | None] = mapped_column(ForeignKey("feed_batches.id"))
    payroll_headcount: Mapped[float | None] = mapped_column(Float)
    wages_due: Mapped[float | None] = mapped_column(Float)
    wages_paid: Mapped[float | None] = mapped_column(Float)
    pay_delay_days: Mapped[float | None] = mapped_column(Float)
    payroll_batch_id: Mapped[int | None] = mapped_column(ForeignKey("feed_batches.id"))
    tax_declared: Mapped[float | None] = mapped_column(Float)
    tax_arrears: Mapped[float | None] = mapped_column(Float)
    tax_batch_id: Mapped[int | None] = mapped_column(ForeignKey("feed_batches.id"))
    si_headcount: Mapped[float | None] = mapped_column(Float)
    si_arrears: Mapped[float | None] = mapped_column(Float)
    social_insurance_batch_id: Mapped[int | None] = mapped_column(ForeignKey("feed_batches.id"))


class FirmEvent(Base):
    """A legal or credit event, or a complaint, about an enterprise."""

    __tablename__ = "firm_events"
    __table_args__ = (UniqueConstraint("enterprise_id", "feed", "kind", "occurred_on", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    feed: Mapped[str] = mapped_column(String(24))  # legal_events | complaints
    kind: Mapped[str] = mapped_column(String(24))
    month: Mapped[int] = mapped_column(Integer, index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80))
    authority: Mapped[str | None] = mapped_column(String(80))
    workers: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("feed_batches.id"))


class DetectorConfigVersion(Base):
    """A version of the detector configuration (`detect.config.DetectorConfig` as JSON); the newest is in force."""

    __tablename__ = "detector_configs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JsonText(dict[str, Any]))
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class WarningRun(Base):
    """One monthly run of the detectors."""

    __tablename__ = "warning_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, index=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("detector_configs.id"))
    firms: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by: Mapped[str] = mapped_column(String(120))


class RiskScore(Base):
    """An enterprise's risk score and grade in a month (every scored firm, for its chart)."""

    __tablename__ = "risk_scores"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[int] = mapped_column(SmallInteger)  # 0 none, 1 yellow, 2 orange, 3 red
    run_id: Mapped[int] = mapped_column(ForeignKey("warning_runs.id"))


class EarlyWarning(Base):
    """A warning: an enterprise graded yellow or worse in a month, why, and what became of it."""

    __tablename__ = "warnings"
    __table_args__ = (UniqueConstraint("enterprise_id", "month"), Index("ix_warnings_month_grade", "month", "grade"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    month: Mapped[int] = mapped_column(Integer)
    grade: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JsonText(list[dict[str, Any]]))
    run_id: Mapped[int] = mapped_column(ForeignKey("warning_runs.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(24))  # `loop.Verdict`
    verdict_note: Mapped[str | None] = mapped_column(Text)
    verdict_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verdict_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PanelColumn(Base):
    """One indicator of every firm in one month, packed: the firms' ids (int64) and values (float32).

    A columnar copy of `firm_months` kept by the feeds' import in the same transaction, so the monthly
    run reads 100,000 firms x 36 months as a few hundred blobs instead of millions of rows. Firms
    without a value that month are left out (missing, not zero).
    """

    __tablename__ = "panel_columns"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(24), primary_key=True)
    firm_ids: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    firms: Mapped[int] = mapped_column(Integer)
