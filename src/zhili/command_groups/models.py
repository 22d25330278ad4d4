"""Tables of command groups: the group, its members over time, its timeline, instructions per addressee, photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhili.command_groups.closure import ClosureReport
from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import JsonText


class CommandGroup(Base):
    """A temporary task force (指挥组) for one event in one area, opened from a case, a campaign or by hand.

    `version` moves with every change of state, so two commanders closing at once cannot both win;
    every other write touches `last_activity_at` where the group is not closed, so nothing lands after a close.
    `closure_report` is the report compiled from the timeline when the group closed (typed JSON).
    """

    __tablename__ = "command_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    area_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)
    origin_kind: Mapped[str] = mapped_column(String(10))
    origin_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    origin_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closure_summary: Mapped[str | None] = mapped_column(Text)
    closure_report: Mapped[ClosureReport | None] = mapped_column(JsonText(ClosureReport))
    version: Mapped[int] = mapped_column(Integer, default=1)


class GroupMember(Base):
    """A person's membership of a group, from joining to leaving (a person may leave and join again)."""

    __tablename__ = "command_group_members"
    __table_args__ = (
        Index(
            "uq_command_group_members_current",
            "group_id",
            "person_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index(  # one commander at a time, whatever two hand-overs race
            "uq_command_group_members_commander",
            "group_id",
            unique=True,
            sqlite_where=text("role = 'commander' AND left_at IS NULL"),
            postgresql_where=text("role = 'commander' AND left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("command_groups.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    added_by: Mapped[str] = mapped_column(String(120))


class GroupEntry(Base):
    """A line of a group's timeline: a message (with a photo or a place), a member joining, a state change ..."""

    __tablename__ = "command_group_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("command_groups.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor: Mapped[str] = mapped_column(String(120))
    body: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("command_group_photos.id"))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    instruction_id: Mapped[int | None] = mapped_column(ForeignKey("command_instructions.id"))
    detail: Mapped[str | None] = mapped_column(String(40))


class Instruction(Base):
    """An instruction (指令) issued in a group to some of its members, with a deadline."""

    __tablename__ = "command_instructions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("command_groups.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(120))
    issuer_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))


class InstructionCopy(Base):
    """One addressee's copy of an instruction: issued, acknowledged (签收), done (办结) with a reply."""

    __tablename__ = "command_instruction_copies"
    __table_args__ = (UniqueConstraint("instruction_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("command_instructions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply: Mapped[str | None] = mapped_column(Text)


class GroupPhoto(Base):
    """A photo posted in a group's timeline (checked by content like case photos)."""

    __tablename__ = "command_group_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("command_groups.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
