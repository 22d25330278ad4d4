"""Tables of the case engine: cases, events, collaboration requests, meetings and tasks, photos, supervision cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import JsonText
from zhili.matters.models import MatterVersion


class Case(Base):
    """One problem on the ground: one matter version, one place, one lead unit at a time.

    `version` is the optimistic lock: every command updates the row only where the version
    is the one it read, so of two concurrent commands one wins and the other gets 409.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_matter_created", "matter_code", "created_at"),
        Index("ix_cases_place_status", "place_code", "status"),
        Index("ix_cases_lead_status", "lead_unit_id", "status"),
        Index("ix_cases_originator_status", "originator_person_id", "status"),
        Index("ix_cases_reporter_phone", "reporter_phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    matter_code: Mapped[str] = mapped_column(String(60))
    matter_version_id: Mapped[int] = mapped_column(ForeignKey("matter_versions.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    # The English of a description the system wrote (an early warning's summary); NULL for a person's words.
    description_en: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonText(dict[str, Any]))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(200))
    place_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    grid_code: Mapped[str | None] = mapped_column(String(20))
    handling_division: Mapped[str] = mapped_column(String(20))
    dispatcher_division: Mapped[str] = mapped_column(String(20), index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    routed_unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    handler_level: Mapped[str] = mapped_column(String(12))
    contact_position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    originator_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    originator_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(60))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    level_up: Mapped[int] = mapped_column(Integer, default=0)
    pending_extension_hours: Mapped[int | None] = mapped_column(Integer)
    granted_extension_hours: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[str] = mapped_column(Text, default="[]")
    evidence_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[str | None] = mapped_column(String(24))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    last_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_from: Mapped[str | None] = mapped_column(String(20))
    phase: Mapped[str | None] = mapped_column(String(12))
    phase_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    phase_limit_amount: Mapped[int | None] = mapped_column(Integer)
    phase_limit_unit: Mapped[str | None] = mapped_column(String(16))
    phase_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    phase_yellow_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # The calendar years the phase's deadline was counted on ("2026:library,2027:unknown"): an
    # "unknown" year was counted Monday to Friday, and the case page says so beside the deadline.
    phase_calendar_basis: Mapped[str | None] = mapped_column(String(80))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Read with the row: the content hash of the matter version the case runs on. A hash names one
    # definition, so the parsed definition is cached by it without a query (matters.queries).
    matter_hash: Mapped[str] = column_property(
        select(MatterVersion.content_hash)
        .where(MatterVersion.id == matter_version_id)
        .correlate_except(MatterVersion)
        .scalar_subquery()
    )


class CaseEvent(Base):
    """A line of a case's timeline: what happened, when, by whom, in which party."""

    __tablename__ = "case_events"
    # The unique key is also the index of a case's timeline; (`at`, case) serves the month-range reads
    # (assessment): a county's lines of a month are picked from the index entries (revision 0033).
    __table_args__ = (UniqueConstraint("case_id", "seq"), Index("ix_case_events_at_case", "at", "case_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    parties: Mapped[str] = mapped_column(String(120))
    status_after: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JsonText(dict[str, Any]))


class CollaborationRequest(Base):
    """The lead asks a unit for help (一键发起部门协同): its own deadline, reply, evidence and state."""

    __tablename__ = "collaboration_requests"
    __table_args__ = (UniqueConstraint("case_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(20))
    request_text: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JsonText(list[dict[str, Any]]))  # the reply's
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Meeting(Base):
    """A consultation meeting (会商) convened for a case."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    held_at: Mapped[datetime] = mapped_column(UtcDateTime)
    place: Mapped[str | None] = mapped_column(String(120))
    minutes: Mapped[str] = mapped_column(Text, default="")
    convened_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MeetingAttendee(Base):
    """A unit (or a division's command room) called to a meeting."""

    __tablename__ = "meeting_attendees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    division_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"))
    name: Mapped[str] = mapped_column(String(120))


class CaseTask(Base):
    """A decision turned into work: an owner unit, a deadline, done or not, tracked on the case."""

    __tablename__ = "case_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    description: Mapped[str] = mapped_column(Text)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_note: Mapped[str | None] = mapped_column(Text)


class CasePhoto(Base):
    """A photo attached at intake or as evidence; stored in the database with its digest."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SupervisionCard(Base):
    """A rung of the escalation ladder issued on a case: urge, supervision, yellow or red card, instruction.

    Issued by the clock when a phase has used its share of the limit, or by hand by an upper level.
    `unit_id` is the unit held to account (the handler of the phase when it was issued).
    """

    __tablename__ = "supervision_cards"
    __table_args__ = (Index("ix_supervision_cards_unit_action", "unit_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str | None] = mapped_column(String(12))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    county_code: Mapped[str] = mapped_column(String(20), index=True)
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_by: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
