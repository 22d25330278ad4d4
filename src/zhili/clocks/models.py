"""Tables of the clocks: due timers, loaded official years, county calendar overrides, the demo clock offset."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import JsonText


class Timer(Base):
    """A due action (a phase's yellow light, a reminder, an escalation step) waiting for its time.

    Written in the transaction that starts the clock, deleted in the transaction that fires it or
    ends the phase; so a timer fires once in effect however often workers crash or race. `kind`
    names the handler (`case.ladder`, `campaign.reminder` ...), `subject_id` what it is about,
    `step` which rung, and `generation` which run of the subject's clock it belongs to.
    """

    __tablename__ = "timers"
    __table_args__ = (
        # Also the index of a subject's timers (kind, subject_id lead it).
        UniqueConstraint("kind", "subject_id", "step", "generation", name="uq_timers_kind_subject_step_generation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(30))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText(dict[str, Any]))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    calendar_basis: Mapped[str | None] = mapped_column(String(80), default=None)
    """The calendar years its instant was counted on ("2027:loaded"); None when no calendar was used."""


class OfficialYear(Base):
    """A year's official schedule loaded by an administrator (it outranks the holiday library)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    loaded_by: Mapped[str] = mapped_column(String(120))


class OfficialDay(Base):
    """One day of a loaded year that is not Monday–Friday's default: a holiday, or a make-up working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60), default="")


class CalendarOverride(Base):
    """A county's own change to the official calendar: an office closed or opened on a day."""

    __tablename__ = "calendar_overrides"

    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True)
    on: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))


class ClockOffset(Base):
    """How far the demo clock runs ahead of the wall clock (one row, moved by `zhili clock advance`)."""

    __tablename__ = "clock_offsets"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    seconds: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
