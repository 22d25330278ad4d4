"""What the live board (作战图) returns: counts per state, per child division and per role, lists of people."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from zhili.campaigns.lifecycle import TASK_STATES

Which = Literal["unclaimed", "unanswered", "finished"]


class Tally(BaseModel):
    """Tasks counted by state, with the claim figures the board shows beside them."""

    total: int = 0
    states: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(map(str, TASK_STATES), 0))
    unclaimed: int = Field(default=0, description="未领办: notified or read")
    claimed: int = Field(default=0, description="领办 or further: claimed, reported, verified, rated")
    unanswered: int = Field(default=0, description="已领办未回复: claimed, no report yet (or returned)")
    finished: int = Field(default=0, description="已回复: reported (awaiting the check), verified or rated")
    claimed_on_time: int = Field(default=0, description="claimed by the claim deadline")
    claimed_late: int = Field(default=0, description="claimed after the claim deadline")
    overdue: int = Field(default=0, description="still unclaimed after the claim deadline")

    claim_rate: float = Field(default=0.0, description="claimed / total")
    finish_rate: float = Field(default=0.0, description="finished / total")


class DivisionRef(BaseModel):
    """A division as the board names it."""

    code: str
    name: str
    level: str


class ChildTally(Tally):
    """One division a level down (or the chosen division's own posts, `is_self`)."""

    code: str
    name: str
    level: str
    is_self: bool = Field(default=False, description="posts held at the chosen division itself, not below it")
    can_drill: bool = Field(default=False, description="a finer level exists below it")


class RoleTally(Tally):
    """The tasks of one role."""

    role: str


class ClaimBucket(BaseModel):
    """How many claimed within this many minutes of being notified."""

    label: str
    from_minutes: int
    to_minutes: int | None = Field(description="None: open ended")
    count: int = 0


class CampaignBrief(BaseModel):
    """The campaign the board is about."""

    id: int
    number: str
    title: str
    title_en: str = Field(default="", description="the title on an English page")
    template_code: str
    severity: str
    status: str
    recipients: int
    owner_division: str
    created_at: datetime


class BoardRead(BaseModel):
    """The board of one campaign at one division, within the caller's scope."""

    campaign: CampaignBrief
    division: DivisionRef
    path: list[DivisionRef] = Field(description="from the caller's top division down to this one")
    totals: Tally
    children: list[ChildTally]
    roles: list[RoleTally]
    claim_times: list[ClaimBucket]
    as_of: datetime


class PersonRow(BaseModel):
    """A recipient on the unclaimed, unanswered or finished list, with whom to call about them.

    Names, phones and the person's id are given only for people the caller may see (one of their
    posts in the caller's scope as a unit); for the others they are null and `is_withheld` is true.
    """

    task_id: int
    person_id: int | None
    name: str | None
    phone: str | None
    is_withheld: bool = Field(default=False, description="the person is outside your units: no id, name or phone")
    role: str = Field(description="the task's role: whose instructions it follows")
    holder_role: str | None = Field(
        default=None, description="the role of the post holding it, when a task handed on (改派) went to another role"
    )
    division_code: str
    division_name: str
    state: str
    notified_at: datetime
    claim_due_at: datetime
    claimed_at: datetime | None
    report_due_at: datetime
    reported_at: datetime | None
    supervisor_name: str | None
    supervisor_phone: str | None
    supervisor_withheld: bool = Field(default=False, description="the supervisor is outside your units: no name, phone")
    is_overdue: bool = Field(
        description=(
            "unclaimed: past the claim deadline; unanswered: past the report deadline; "
            "finished: reported after the deadline"
        )
    )
