"""Tables of the assessment: model versions, cross-evaluation ratings, closed months and their frozen scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime


class AssessmentModelVersion(Base):
    """One version of the assessment model, in force from `effective_from` (a `YYYY-MM` month) on.

    The month's model is the newest version whose `effective_from` is not after it. Versions are
    never edited; a closed month keeps the scores frozen when it closed.
    """

    __tablename__ = "assessment_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[str] = mapped_column(String(7), index=True)
    definition: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class AssessmentRating(Base):
    """A cross-evaluation rating: one rater (a division or a unit) rates one subject for one month."""

    __tablename__ = "assessment_ratings"
    __table_args__ = (
        UniqueConstraint("month", "rater_kind", "rater_id", "subject_kind", "subject_id"),
        Index("ix_assessment_ratings_county_month", "county_code", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    county_code: Mapped[str] = mapped_column(String(20))
    rater_kind: Mapped[str] = mapped_column(String(12))
    rater_id: Mapped[str] = mapped_column(String(20))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    rated_by: Mapped[str] = mapped_column(String(120))
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AssessmentClose(Base):
    """A county's month closed: its scores and lines are frozen in the two tables below."""

    __tablename__ = "assessment_closes"
    __table_args__ = (UniqueConstraint("county_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))
    model_version_id: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[str] = mapped_column(String(120))


class AssessmentScore(Base):
    """A subject's frozen score for a closed month: per dimension, the penalties, the total and its rank."""

    __tablename__ = "assessment_scores"
    __table_args__ = (
        UniqueConstraint("county_code", "month", "subject_kind", "subject_id"),
        Index("ix_assessment_scores_subject", "subject_kind", "subject_id", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))
    level: Mapped[str] = mapped_column(String(12))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    timeliness: Mapped[float] = mapped_column(Float)
    quality: Mapped[float] = mapped_column(Float)
    satisfaction: Mapped[float] = mapped_column(Float)
    cross: Mapped[float] = mapped_column(Float)
    penalty: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    full_marks: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)


class AssessmentLine(Base):
    """A frozen breakdown line: one event's points for one subject and indicator in a closed month."""

    __tablename__ = "assessment_lines"
    __table_args__ = (Index("ix_assessment_lines_subject", "subject_kind", "subject_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(20), index=True)
    month: Mapped[str] = mapped_column(String(7))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[str] = mapped_column(String(48))
    points: Mapped[float] = mapped_column(Float)
    case_id: Mapped[int | None] = mapped_column(Integer)
    case_number: Mapped[str | None] = mapped_column(String(24))
    event_kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ref: Mapped[str] = mapped_column(String(40))
