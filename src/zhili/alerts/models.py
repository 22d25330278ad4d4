"""Tables of alert intake: alerts received, the divisions each resolved to, refused messages, rules and firings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.alerts.message import Info
from zhili.core.db import Base, UtcDateTime
from zhili.core.typed_json import JsonText


class AlertRecord(Base):
    """One CAP message as received: one row per (sender, identifier), the raw XML kept beside its parsed infos.

    `state` is `active` until an Update replaces it (`updated`), a Cancel cancels it (`cancelled`) or an
    AllClear ends it (`ended`); `ended_by_id` names that later message. `is_drill` is a status other
    than Actual. `event`, `headline`, `severity`, `area_desc` are the main info's, for lists.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("sender", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(200))
    identifier: Mapped[str] = mapped_column(String(200))
    sent: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10))
    msg_type: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(12))
    cap_references: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    infos: Mapped[list[Info]] = mapped_column(JsonText(list[Info]))
    event: Mapped[str] = mapped_column(String(200))
    headline: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    certainty: Mapped[str] = mapped_column(String(10))
    area_desc: Mapped[str] = mapped_column(Text)
    expires: Mapped[datetime | None] = mapped_column(UtcDateTime)
    is_drill: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(10), default="active")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    raw_xml: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    source_detail: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_by: Mapped[str] = mapped_column(String(120))


class AlertDivision(Base):
    """A division an alert's areas resolved to, and how (`geocode`, `polygon`, `circle`)."""

    __tablename__ = "alert_divisions"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True, index=True)
    how: Mapped[str] = mapped_column(String(10))


class AlertRefusal(Base):
    """A message refused at intake, kept for inspection: why, from where, and its first 64 KB as text."""

    __tablename__ = "alert_refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    source: Mapped[str] = mapped_column(String(8))
    source_detail: Mapped[str] = mapped_column(String(500), default="")
    received_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)


class AlertRule(Base):
    """A trigger rule: which alerts (event text or category, minimum severity, urgency, certainty, areas) do what.

    `event_match` holds alternatives separated by `|`, each matched as a case-insensitive substring of
    the event or headline (empty: any event). `areas` are division codes (empty: anywhere). The action
    is a campaign template to dispatch and/or a command group to open.
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    event_match: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str | None] = mapped_column(String(12))
    min_severity: Mapped[str] = mapped_column(String(10))
    min_urgency: Mapped[str | None] = mapped_column(String(10))
    min_certainty: Mapped[str | None] = mapped_column(String(10))
    areas: Mapped[list[str]] = mapped_column(JsonText(list[str]))
    campaign_template: Mapped[str | None] = mapped_column(String(60))
    open_group: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AlertFiring(Base):
    """A rule fired by an alert, once per (rule, alert), and what it did.

    `outcome`: `dispatched` (a campaign and/or a group), `drill` (a drill alert: nothing sent),
    `covered` (an update of an alert that already fired the rule: its campaign stands), `failed`
    (`detail` says why). `cancelled_at` is set when the alert is later cancelled or ended.
    """

    __tablename__ = "alert_firings"
    __table_args__ = (UniqueConstraint("rule_id", "alert_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"), index=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    is_drill: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(10))
    divisions: Mapped[list[str]] = mapped_column(JsonText(list[str]))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    campaign_number: Mapped[str | None] = mapped_column(String(24))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("command_groups.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
