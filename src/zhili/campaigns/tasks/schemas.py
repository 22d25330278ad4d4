"""What the task API (/api/v1/tasks) accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhili.campaigns.lifecycle import MAX_PHOTOS, MAX_REASON, TaskAction, TaskRating, TaskState
from zhili.cases.schemas import MAX_ADDRESS, Point
from zhili.core.params import Id, Name
from zhili.core.text import BlankOrText, Line, Text
from zhili.matters.definition import CODE_PATTERN


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclineBody(_Input):
    """Decline a task (拒领), saying why."""

    reason: Name = Field(max_length=MAX_REASON)


class CaseRaise(_Input):
    """A case (一件事) raised from a report, at the report's point: what was found, e.g. a fallen tree."""

    matter: str = Field(pattern=CODE_PATTERN)
    description: Text = Field(max_length=2000)
    attributes: dict[str, Any] = Field(default_factory=dict)
    address: Name | None = Field(default=None, max_length=MAX_ADDRESS)


class ReportBody(_Input):
    """A field report (回单): what the role's task asks for, and optionally a case for what was found."""

    text: BlankOrText | None = Field(default=None, max_length=4000)
    photo_ids: list[Id] = Field(default_factory=list, max_length=MAX_PHOTOS, description="photos uploaded first")
    point: Point | None = Field(default=None, description="where the report was made (GPS)")
    checklist: dict[Line, bool] | None = Field(default=None, description="each checklist item: done or not")
    raise_case: CaseRaise | None = None


class ReturnBody(_Input):
    """Send a report back (退回), saying what is missing."""

    reason: Name = Field(max_length=MAX_REASON)


class OverruleBody(_Input):
    """Overrule a decline (驳回拒领), saying why the recipient is to do it after all."""

    reason: Name = Field(max_length=MAX_REASON)


class RateBody(_Input):
    """Rate a verified task."""

    rating: TaskRating
    comment: BlankOrText | None = Field(default=None, max_length=MAX_REASON)


class VerifyBody(_Input):
    """Accept a report (核验通过), with an optional note."""

    note: str | None = Field(default=None, max_length=MAX_REASON)


class ReassignBody(_Input):
    """改派: hand the task to the person holding this post (one of `GET /api/v1/tasks/{id}/candidates`)."""

    position_id: Id = Field(description="the new recipient's post, from the task's candidates")
    note: BlankOrText | None = Field(default=None, max_length=MAX_REASON, description="a word for the new recipient")


class ReassignCandidate(BaseModel):
    """Someone a task may be handed to: a post in the task's division, its holder without a task in the campaign."""

    position_id: int
    person_id: int
    name: str
    role: str
    division_name: str
    title: str | None = None


class TaskLink(BaseModel):
    """The other task of a 改派: whose it is and where (`id` withheld from a reader who may not open it)."""

    id: int | None
    person_name: str
    division_name: str


class CampaignBrief(BaseModel):
    """The campaign a task belongs to."""

    id: int
    number: str
    title: str
    title_en: str = Field(default="", description="the title on an English page")
    message: str
    severity: str
    template_code: str


class TaskRead(BaseModel):
    """A task in a list: what, whose, where it stands, by when."""

    id: int
    campaign: CampaignBrief
    role: str
    title_zh: str
    title_en: str
    person_id: int
    person_name: str
    division_code: str
    division_name: str
    state: TaskState
    notified_at: datetime
    claim_due_at: datetime
    report_due_at: datetime
    is_far: bool
    returned_count: int
    allowed_actions: list[TaskAction]


class ForwardStep(BaseModel):
    """One level of a cascade this task came down (逐级派单), from the top."""

    division_code: str
    division_name: str
    instructions: str
    received_at: datetime
    forwarded_at: datetime | None


class TaskPhotoRead(BaseModel):
    """A stored report photo."""

    id: int
    content_type: str
    size: int
    sha256: str
    url: str


StepAction = Literal[
    "sent", "read", "claim", "decline", "overrule", "reassign", "reassigned_in", "report", "return", "verify", "rate"
]
"""The steps listed in a task's 办理经过: `sent`, then the others by their audit action (`campaign.task.<step>`)."""


class TaskStep(BaseModel):
    """One step of a task's 办理经过: when, who, what, and the reason or note they gave."""

    at: datetime
    action: str = Field(
        description="read, claim, decline, overrule, reassign, reassigned_in, report, return, verify, rate"
    )
    actor: str = Field(description="who, as the audit record names them (`account:8:gridworker`, `system:clock`)")
    who: str | None = Field(default=None, description="the person behind a login, by name")
    said: str | None = Field(
        default=None, description="the reason (拒领, 退回, 驳回拒领), note (核验, 改派) or comment (评价)"
    )
    rating: TaskRating | None = None


class TaskDetail(TaskRead):
    """One task: its instructions and checklist, its report, its cascade path and its points."""

    instructions: str
    instructions_en: str = Field(default="", description="the instructions on an English page (empty: the Chinese)")
    evidence: list[str]
    checklist: list[str]
    checklist_en: list[str] = Field(default_factory=list, description="the items on an English page, in order")
    matters: list[str] = Field(
        default_factory=list,
        description="the matters (codes) a report of this campaign is likeliest to raise (同时上报问题), offered first",
    )
    read_at: datetime | None
    claimed_at: datetime | None
    reported_at: datetime | None
    verified_at: datetime | None
    rated_at: datetime | None
    declined_at: datetime | None
    reason: str | None
    verify_note: str | None = Field(
        default=None, description="核验意见: the level above's word on accepting the report"
    )
    report_text: str | None
    report_point: Point | None
    report_checklist: dict[str, bool] | None
    rating: str | None
    case_id: int | None
    case_number: str | None = Field(default=None, description="the number of the case the report raised (ZL…)")
    points: int
    photos: list[TaskPhotoRead]
    cascade: list[ForwardStep]
    is_mine: bool
    history: list[TaskStep] = Field(default_factory=list, description="办理经过: the task's steps, oldest first")
    supervisor_name: str | None = Field(
        default=None, description="who holds the post over the recipient's: told of a report or a decline"
    )
    also_told: str | None = Field(
        default=None,
        description="to the recipient of a declined task: the division whose managing posts (村（社区）两委, 指挥室 …) "
        "were told of the decline with the supervisor",
    )
    reassigned_at: datetime | None = None
    reassigned_to: TaskLink | None = Field(default=None, description="改派给: the task that carries this one's work")
    reassigned_from: TaskLink | None = Field(
        default=None, description="由 … 改派: the task this one was handed over from"
    )
    person_phone: str | None = Field(default=None, description="the recipient's phone, for the level above to urge")
