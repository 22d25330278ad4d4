"""What the campaign and task API accepts and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zhili.campaigns.lifecycle import DispatchMode
from zhili.campaigns.template import CODE_PATTERN, MAX_MESSAGE
from zhili.core.params import Name
from zhili.core.text import BlankOrText, Line


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CampaignCreate(_Input):
    """Dispatch a template: to whom (divisions and roles), how (all at once or level by level), and the message."""

    template: str = Field(pattern=CODE_PATTERN)
    divisions: list[Line] = Field(min_length=1, max_length=50, description="division codes whose people receive it")
    roles: list[Line] | None = Field(default=None, description="the template's roles to reach (default: all of them)")
    mode: DispatchMode = DispatchMode.ALL
    title: Name | None = Field(default=None, max_length=120)
    message: BlankOrText = Field(default="", max_length=MAX_MESSAGE)
    source_key: Line | None = Field(
        default=None,
        max_length=120,
        description="the alert (or request) behind it: a second dispatch is the same campaign",
    )


class PreviewDivision(BaseModel):
    """A division of the scope, by name."""

    code: str
    name: str
    level: str


class PreviewCount(BaseModel):
    """How many posts of one role at one level the dispatch reaches."""

    role: str
    level: str = Field(description="county, township, village or grid: the level of the post's division")
    recipients: int


class CampaignPreview(BaseModel):
    """What a dispatch would do, before it is confirmed: the same selection as the dispatch, counted."""

    template: str
    mode: DispatchMode
    divisions: list[PreviewDivision]
    roles: list[str]
    counts: list[PreviewCount] = Field(description="recipients per role and level, one row per pair that has any")
    by_role: dict[str, int]
    by_level: dict[str, int]
    total: int = Field(description="the tasks a one-click dispatch creates (a cascade creates them level by level)")


class CampaignRead(BaseModel):
    """A campaign and its totals."""

    id: int
    number: str
    template_code: str
    template_name_zh: str = ""
    template_name_en: str = ""
    title: str
    title_en: str = Field(default="", description="the title on an English page")
    message: str
    severity: str
    mode: DispatchMode
    divisions: list[str]
    roles: list[str]
    owner_division: str
    status: str
    recipients: int
    created_by: str
    created_by_name: str = Field(default="", description="who dispatched it, by name")
    created_by_withheld: bool = Field(default=False, description="true when the caller may not see who dispatched it")
    owner_division_name: str = Field(default="", description="the division that dispatched it, by name")
    created_at: datetime
    counts: dict[str, int] = Field(default_factory=dict, description="tasks per state")
    division_names: list[str] = Field(default_factory=list, description="the scope's divisions by name")


class ForwardCreate(_Input):
    """Pass a cascading campaign down one level, with this level's own instructions."""

    instructions: BlankOrText = Field(default="", max_length=MAX_MESSAGE)


class ForwardRead(BaseModel):
    """One step of a cascade: who received it, when, and when it was passed down."""

    id: int
    division_code: str
    division_name: str
    parent_id: int | None
    instructions: str
    received_at: datetime
    forwarded_at: datetime | None
    forwarded_by: str | None
    forwarded_by_name: str = Field(default="", description="who forwarded it, by name")
    forwarded_by_withheld: bool = Field(default=False, description="true when the caller may not see who forwarded it")
