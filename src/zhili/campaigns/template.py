"""Task templates (任务模板): one task per role with instructions, deadlines, evidence and points. Pure values."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhili.core.errors import FieldRuleError
from zhili.core.text import BlankOrText, Line, Text

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
# A code of the matter catalog (`matters.definition`), which a template names in `matters`.
MatterCode = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
# The words sent down with a task: a role's instructions, a campaign's message, a level's own instructions.
MAX_MESSAGE = 2000
FIELD_ROLES = ("team_leader", "grid_head", "grid_worker", "party_member", "village_cadre", "township_command")


class EvidenceKind(StrEnum):
    """What a field report must carry."""

    TEXT = "text"
    PHOTO = "photo"
    GPS = "gps"
    CHECKLIST = "checklist"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Points(_Strict):
    """Points earned for a task, and deducted when it goes wrong (feeds assessment)."""

    claimed: int = Field(default=1, ge=0, le=100)
    reported_on_time: int = Field(default=3, ge=0, le=100)
    verified: int = Field(default=2, ge=0, le=100)
    late: int = Field(default=-2, ge=-100, le=0)
    returned: int = Field(default=-1, ge=-100, le=0)


class RoleTask(_Strict):
    """The task every recipient of one role receives."""

    role: Literal["team_leader", "grid_head", "grid_worker", "party_member", "village_cadre", "township_command"]
    title_zh: Line = Field(max_length=80)
    title_en: Line = Field(max_length=160)
    instructions: Text = Field(max_length=MAX_MESSAGE)
    instructions_en: BlankOrText = Field(
        default="", max_length=MAX_MESSAGE, description="on an English page (else the Chinese)"
    )
    claim_minutes: int = Field(gt=0, le=7 * 24 * 60, description="claim (领办) within this time")
    report_minutes: int = Field(gt=0, le=30 * 24 * 60, description="report (回单) within this time of dispatch")
    remind_after_minutes: int = Field(
        default=0, ge=0, le=24 * 60, description="unclaimed this long after the claim time: remind again"
    )
    supervisor_after_minutes: int = Field(
        gt=0, le=7 * 24 * 60, description="still unclaimed this long after the claim time: tell the supervisor"
    )
    evidence: tuple[EvidenceKind, ...] = Field(min_length=1)
    checklist: tuple[Line, ...] = ()
    checklist_en: tuple[Line, ...] = Field(default=(), description="the items on an English page, in the same order")
    points: Points = Points()

    @model_validator(mode="after")
    def _consistent(self) -> RoleTask:
        if self.report_minutes < self.claim_minutes:
            message = "report_minutes must not be shorter than claim_minutes"
            raise ValueError(message)
        if (EvidenceKind.CHECKLIST in self.evidence) != bool(self.checklist):
            message = "a checklist is listed in evidence exactly when checklist items are given"
            raise ValueError(message)
        if self.checklist_en and len(self.checklist_en) != len(self.checklist):
            message = "checklist_en names every checklist item, in the same order, or none"
            raise ValueError(message)
        return self

    def claim_due(self, sent_at: datetime) -> datetime:
        """When a task of this role sent at `sent_at` is to be claimed (dispatch, a cascade, 改派 alike)."""
        return sent_at + timedelta(minutes=self.claim_minutes)

    def report_due(self, sent_at: datetime) -> datetime:
        """When a task of this role sent at `sent_at` is to be reported."""
        return sent_at + timedelta(minutes=self.report_minutes)


class TaskTemplate(_Strict):
    """A named template: what the campaign is about, how urgent, and one task per role."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: Line = Field(max_length=60)
    name_en: Line = Field(max_length=120)
    description: BlankOrText = ""
    severity: Literal["info", "yellow", "red"] = "yellow"
    tasks: tuple[RoleTask, ...] = Field(min_length=1)
    matters: tuple[MatterCode, ...] = Field(
        default=(),
        max_length=10,
        description="the catalog's matters a report is likeliest to raise (同时上报问题): offered first, in this order",
    )

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles it has a task for, in its order."""
        return tuple(task.role for task in self.tasks)

    @model_validator(mode="after")
    def _one_task_per_role(self) -> TaskTemplate:
        if len(self.roles) != len(set(self.roles)):
            message = "each role may have only one task"
            raise ValueError(message)
        if len(self.matters) != len(set(self.matters)):
            message = "each matter may be named only once"
            raise FieldRuleError(message, field="matters")
        return self

    def task_for(self, role: str) -> RoleTask:
        """The task of a role (KeyError when the template has none)."""
        for task in self.tasks:
            if task.role == role:
                return task
        raise KeyError(role)
