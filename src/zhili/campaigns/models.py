"""Tables of campaigns: templates, campaigns, one task row per recipient, cascade forwards, report photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.campaigns.template import TaskTemplate
from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import FrozenJsonText, JsonText


class CampaignTemplate(Base):
    """A task template as administrators keep it (seeded from the packaged files); JSON of `TaskTemplate`."""

    __tablename__ = "campaign_templates"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    definition: Mapped[TaskTemplate] = mapped_column(FrozenJsonText(TaskTemplate))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class Campaign(Base):
    """One dispatch of a template to the people of some roles in some divisions.

    `template` is the copy dispatched, so editing the template never changes a running campaign.
    `source_key` names the alert (or request) that created it: one campaign per alert.
    `owner_division` is the division that dispatched it (the board starts there). Its scope, the
    divisions and roles it was sent to, are rows of `campaign_scope_divisions` and `campaign_scope_roles`.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    template_code: Mapped[str] = mapped_column(String(60))
    template: Mapped[TaskTemplate] = mapped_column(FrozenJsonText(TaskTemplate))  # the copy dispatched
    title: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(10))
    owner_division: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10))
    source_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def template_name_zh(self) -> str:
        """The dispatched template's Chinese name."""
        return self.template.name_zh

    @property
    def template_name_en(self) -> str:
        """The dispatched template's English name."""
        return self.template.name_en

    @property
    def title_en(self) -> str:
        """The title for an English page: the template's English name when the title is its Chinese one."""
        return self.template_name_en if self.title == self.template_name_zh else self.title


class CampaignScopeDivision(Base):
    """A division a campaign was sent to: who sees the campaign is decided over these rows (`visibility`)."""

    __tablename__ = "campaign_scope_divisions"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(20), primary_key=True)


class CampaignScopeRole(Base):
    """A role a campaign was sent to, `ordinal` keeping the template's order."""

    __tablename__ = "campaign_scope_roles"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)


class CampaignForward(Base):
    """A step of a cascading dispatch (逐级派单): a division received the campaign and forwarded it down."""

    __tablename__ = "campaign_forwards"
    __table_args__ = (UniqueConstraint("campaign_id", "division_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_forwards.id"))
    instructions: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    forwarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    forwarded_by: Mapped[str | None] = mapped_column(String(120))


class CampaignTask(Base):
    """One recipient's task: notified → read → claimed (领办) → reported (回单) → verified → rated, or declined.

    The task store (`tasks.store`) maps a row to the lifecycle's `Task` and writes its transitions. A
    task handed to someone else (改派) is `reassigned`, names the new task (`reassigned_to_id`) and
    when (`reassigned_at`); the new task names where it came from (`reassigned_from_id`, one at most).
    """

    __tablename__ = "campaign_tasks"
    __table_args__ = (
        UniqueConstraint("campaign_id", "position_id"),
        Index("ix_campaign_tasks_campaign_state", "campaign_id", "state"),
        Index("ix_campaign_tasks_campaign_division", "campaign_id", "division_code"),
        Index("ix_campaign_tasks_person_state", "person_id", "state"),
        UniqueConstraint("reassigned_from_id", name="uq_campaign_tasks_reassigned_from_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    supervisor_position_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(30))
    division_code: Mapped[str] = mapped_column(String(20))
    forward_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_forwards.id"))
    state: Mapped[str] = mapped_column(String(12))
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    report_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    verify_note: Mapped[str | None] = mapped_column(String(500))  # 核验意见: the level above's word on accepting
    report_text: Mapped[str | None] = mapped_column(Text)
    report_lon: Mapped[float | None] = mapped_column(Float)
    report_lat: Mapped[float | None] = mapped_column(Float)
    report_checklist: Mapped[dict[str, bool] | None] = mapped_column(JsonText(dict[str, bool]))
    is_far: Mapped[bool] = mapped_column(Boolean, default=False)
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(24))
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    supervisor_told_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reassigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassigned_to_id: Mapped[int | None] = mapped_column(Integer)
    reassigned_from_id: Mapped[int | None] = mapped_column(Integer)


class TaskPhoto(Base):
    """A photo attached to a field report (checked by content like case photos)."""

    __tablename__ = "campaign_task_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("campaign_tasks.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
