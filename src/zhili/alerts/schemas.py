"""What the alert API and pages show, and what a trigger rule is made of."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhili.alerts.message import Category, Certainty, Info, Severity, Urgency
from zhili.core.text import Line
from zhili.org.division_code import DivisionCode


class DivisionRead(BaseModel):
    """A division an alert resolved to, by name, and how."""

    code: str
    name: str
    how: str = Field(description="geocode, polygon or circle")


class FiringRead(BaseModel):
    """A rule an alert fired and what it did."""

    id: int
    rule_id: int
    rule_name: str
    fired_at: datetime
    is_drill: bool
    outcome: str = Field(description="dispatched, drill, covered or failed")
    divisions: list[str]
    campaign_id: int | None
    campaign_number: str | None = Field(default=None, description="the campaign's number (SL…)")
    group_id: int | None
    group_number: str | None = Field(default=None, description="the group's number (ZH…)")
    detail: str
    cancelled_at: datetime | None


class AlertSummary(BaseModel):
    """An alert in a list."""

    id: int
    sender: str
    identifier: str
    sent: datetime
    status: str
    msg_type: str
    event: str
    headline: str
    severity: str
    area_desc: str
    is_drill: bool
    state: str
    received_at: datetime
    source: str
    expires: datetime | None = None
    standing: str = Field(
        default="active",
        description="the state read against the clock: `expired` once past `expires` (72 h after `sent` without one)",
    )


class AlertDetail(AlertSummary):
    """An alert with its words (every info), the divisions it resolved to and the rules it fired."""

    scope: str
    urgency: str
    certainty: str
    references: str
    note: str
    ended_at: datetime | None
    ended_by_id: int | None
    received_by: str
    infos: list[Info]
    divisions: list[DivisionRead]
    firings: list[FiringRead]
    links: dict[str, str] = Field(default_factory=dict)


class AlertReceipt(BaseModel):
    """The answer to handing in an alert: the stored alert (the same for the same message twice) and what it fired."""

    id: int
    sender: str
    identifier: str
    status: str
    msg_type: str
    is_drill: bool
    state: str
    sent: datetime
    standing: str = Field(description="`expired` when the alert was no longer in force on receipt: it fired nothing")
    divisions: list[str]
    firings: list[FiringRead]
    links: dict[str, str]


class RuleIn(BaseModel):
    """A trigger rule as an administrator writes it (the form and the CLI)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=80)
    event_match: Line | None = Field(default=None, max_length=200, description="texts separated by |; none: any event")
    category: Category | None = None
    min_severity: Severity = Severity.SEVERE
    min_urgency: Urgency | None = None
    min_certainty: Certainty | None = None
    areas: list[Line] = Field(default_factory=list, max_length=50, description="division codes; empty: anywhere")
    campaign_template: Line | None = Field(default=None, max_length=60)
    open_group: bool = False
    is_active: bool = True

    @field_validator("areas")
    @classmethod
    def _codes(cls, areas: list[str]) -> list[str]:
        for code in areas:
            DivisionCode(code)  # a ValueError naming the code
        return list(dict.fromkeys(areas))


class RuleRead(BaseModel):
    """A stored rule."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    event_match: str
    category: str | None
    min_severity: str
    min_urgency: str | None
    min_certainty: str | None
    areas: list[str]
    campaign_template: str | None
    open_group: bool
    is_active: bool
    updated_by: str
    updated_at: datetime
