"""What the case API accepts and returns."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhili.cases.states import MAX_EVIDENCE, MAX_EVIDENCE_REF, MAX_REASON, MAX_REPLY, CaseStatus, Rating
from zhili.clocks.lights import Light
from zhili.core.errors import FieldRuleError
from zhili.core.params import Id, Instant, Name
from zhili.core.text import Line, Text
from zhili.matters.definition import CODE_PATTERN, EscalationAction, EvidenceKind, Phase

# The channels a member of the public reports by (群众投诉 in the KPIs): 12345, the web form, Open311.
CITIZEN_CHANNELS: Final = frozenset({"hotline", "web", "open311"})
PHONE = r"^\+?\d{5,20}$"  # a phone number, spaces and dashes dropped (`queue.normalised_phone`)
# A number the centre can call back (回访), as dialled inside China: a mobile (1[3-9] and 9 digits) or a fixed
# line with its area code (0 and 9 to 11 digits); not a service number (12345) nor a mistyped few digits.
CALLBACK_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{9,11})$")
CALLBACK_REFUSAL = "is not a phone number to call back: a mobile, or a fixed line with its area code"
# How long a report's words may be (Open311's form holds to them too).
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 200
MAX_PLACE = 60
MAX_REPORTER_NAME = 60
Channel = Literal["web", "phone", "hotline", "open311", "warning", "alert", "campaign", "api"]
Stage = Literal["investigation", "evidence_check", "rectification"]


def normalised_phone(typed: str | None) -> str | None:
    """A phone number as dialled inside China (no spaces, dashes or country code); None when blank.

    0570-888 1234 → 05708881234; +86 139 0570 5678 and 0086 13905705678 → 13905705678; the country code
    becomes the trunk prefix again (+86 570 888 1234 → 05708881234): a caller is found by the number the
    desk types however they once gave it.
    """
    found = None if typed is None else "".join(typed.split()).replace("-", "")
    for country in ("+86", "0086"):
        if found and found.startswith(country) and len(found) > len(country) + 4:
            national = found.removeprefix(country)
            found = national if national.startswith(("1", "0")) else "0" + national  # a mobile, or an area code
    return found or None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(_Input):
    """A WGS-84 point."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class CaseCreate(_Input):
    """A report: what (matter and attributes), where (a point or a place name), and what was seen."""

    matter: str = Field(pattern=CODE_PATTERN)
    point: Point | None = None
    place: Name | None = Field(default=None, max_length=MAX_PLACE, description="a place name, e.g. 柯城区府山街道")
    address: Name | None = Field(default=None, max_length=MAX_ADDRESS)
    description: Text = Field(max_length=MAX_DESCRIPTION)
    description_en: Text | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION,
        description="the description in English, when the reporting system has it",
    )
    attributes: dict[str, Any] = Field(default_factory=dict)
    channel: Channel = "api"
    reporter_name: Name | None = Field(default=None, max_length=MAX_REPORTER_NAME)
    reporter_phone: str | None = Field(default=None, pattern=PHONE)
    again_of: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="重新上报: the id of a case you filed that was not taken (不予受理), which this report mends; "
        "each case's timeline links to the other",
    )

    @field_validator("reporter_phone", mode="before")
    @classmethod
    def _as_dialled(cls, value: object) -> object:
        """The number as dialled inside China (+86 139 0570 5678 → 13905705678), as the desk and Open311 take it."""
        return (normalised_phone(value) or value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _somewhere(self) -> CaseCreate:
        if self.point is None and self.place is None:
            raise FieldRuleError("give a point or a place", field="point")
        return self

    @model_validator(mode="after")
    def _citizen_called_back(self) -> CaseCreate:
        """A citizen's phone (a 12345 call, the web form, Open311) is the one the centre calls back (回访)."""
        phone = self.reporter_phone
        if phone and self.channel in CITIZEN_CHANNELS and not CALLBACK_PHONE.match(phone):
            raise FieldRuleError(CALLBACK_REFUSAL, field="reporter_phone")
        return self


class PublicReport(CaseCreate):
    """A report from the public form (我要反映): the same, but a phone to call back is required."""

    reporter_phone: str = Field(pattern=PHONE)
    again_of: None = Field(default=None, description="not for the public: a report is mended by a new one")

    @field_validator("reporter_phone")
    @classmethod
    def _callable_back(cls, phone: str) -> str:
        if not CALLBACK_PHONE.match(phone):
            raise ValueError(CALLBACK_REFUSAL)
        return phone


class EvidenceIn(_Input):
    """A piece of evidence: its kind and a reference (a photo id, a text, a GPS fix)."""

    kind: EvidenceKind
    ref: Name = Field(max_length=MAX_EVIDENCE_REF)


class HelpRequestIn(_Input):
    """One unit asked for help, with its own deadline."""

    unit_id: Id
    deadline_hours: int = Field(ge=1, le=720)
    text: Text = Field(max_length=2000)
    stage: Stage = "investigation"


class CollaborationAsk(_Input):
    """一键发起部门协同: ask several units at once."""

    requests: list[HelpRequestIn] = Field(min_length=1, max_length=40)


class CollaborationReply(_Input):
    """A collaborating unit's answer to its request."""

    text: Text = Field(max_length=MAX_REPLY)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=MAX_EVIDENCE)


class DecisionIn(_Input):
    """A meeting decision that becomes a task."""

    description: Text = Field(max_length=1000)
    owner_unit_id: Id
    deadline_at: Instant


class MeetingCreate(_Input):
    """A consultation meeting (会商): when, who, minutes, decisions."""

    title: Name = Field(max_length=120)
    held_at: Instant
    place: Name | None = Field(default=None, max_length=120)
    minutes: Text = Field(max_length=20_000)
    attendee_unit_ids: list[Id] = Field(default_factory=list, max_length=60)
    attendee_divisions: list[Line] = Field(default_factory=list, max_length=20)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=50)


class TaskDone(_Input):
    """Marking a meeting task done."""

    note: Text = Field(max_length=2000)


class MergeBody(_Input):
    """Which case a duplicate merges into."""

    into_case_id: Id


class LeadDecision(_Input):
    """The level above names the lead unit in a dispute, with its reason."""

    lead_unit_id: Id
    reason: Name = Field(max_length=MAX_REASON)


class DisputeReferral(_Input):
    """The command room refers a dispute over the lead to the level above (提请上级裁定), saying why."""

    reason: Name = Field(max_length=MAX_REASON)


class PhotoRead(BaseModel):
    """A stored photo and how to cite it as evidence."""

    id: int
    content_type: str
    size: int
    sha256: str
    ref: str


class UnitRef(BaseModel):
    """A unit named in passing."""

    id: int
    name: str


class EventRead(BaseModel):
    """A line of the timeline."""

    seq: int
    kind: str
    at: datetime
    actor: str = Field(
        description="who, as the audit record names them (`account:8:gridworker`, `person:6886:…`, `system:clock`)"
    )
    who: str | None = Field(
        default=None,
        description="the person (or the login) by name; none for the system, a citizen, the hotline or an app",
    )
    parties: list[str]
    status_after: str
    details: dict[str, Any]


class HelpRequestRead(BaseModel):
    """A collaboration request and its state."""

    id: int
    unit: UnitRef
    status: str
    stage: str
    request_text: str
    deadline_at: datetime
    reply_text: str | None
    evidence: list[dict[str, str]]
    requested_at: datetime
    replied_at: datetime | None


class TaskRead(BaseModel):
    """A task from a meeting decision."""

    id: int
    meeting_id: int | None
    description: str
    owner: UnitRef
    deadline_at: datetime
    status: str
    done_at: datetime | None
    done_note: str | None


class MeetingRead(BaseModel):
    """A consultation meeting."""

    id: int
    title: str
    held_at: datetime
    place: str | None
    minutes: str
    convened_by: str
    attendees: list[str]


class CaseRead(BaseModel):
    """A case as a list shows it, with the commands the caller may issue now."""

    id: int
    number: str
    matter_code: str
    matter_name_zh: str
    matter_name_en: str
    matter_version: int
    status: CaseStatus
    version: int
    channel: str
    description: str
    description_en: str | None = None
    attributes: dict[str, Any]
    lon: float | None
    lat: float | None
    address: str | None
    place_code: str
    place_name: str
    grid_code: str | None
    handling_division: str
    dispatcher_division: str
    lead_unit: UnitRef | None
    routed_unit: UnitRef
    contact_name: str | None
    rework_count: int
    reopen_count: int
    rating: Rating | None
    phase: Phase | None
    phase_started_at: datetime | None
    phase_limit: str | None
    phase_due_at: datetime | None
    phase_yellow_at: datetime | None
    phase_calendar_basis: str | None = Field(
        default=None,
        description='the calendar years the deadline was counted on, e.g. "2026:library,2027:loaded"; a year marked '
        '"unknown" was counted Monday to Friday (its official holidays were not loaded)',
    )
    light: Light = Field(description="绿灯/黄灯/红灯: under 70 % of the limit used, 70 % to due, past due")
    created_at: datetime
    closed_at: datetime | None
    duplicate_of_id: int | None
    allowed_commands: list[str]
    my_parties: list[str]
    help_due_at: datetime | None = Field(
        default=None,
        description="in lists: the earliest deadline of a help request (协同) to one of the caller's units not yet "
        "answered; the caller's turn even when no lifecycle command is",
    )
    my_turn: bool | None = Field(
        default=None,
        description="in lists: whether the case is one of the caller's to-dos (待受理, 待签收, 待办理, 待回复协同, "
        "待审批延期, 待核查, 待评价, as `todo` filters them); a level above that may step in is not waited for",
    )


class CaseCreated(BaseModel):
    """What a report is answered with: the new case in brief; its whole record is at `links.self`."""

    id: int
    number: str
    status: CaseStatus
    version: int = Field(description="send it with the first command")
    matter_code: str
    place_code: str
    grid_code: str | None
    routed_unit: UnitRef = Field(description="the unit routed to lead it; it leads once the command room dispatches")
    created_at: datetime
    links: dict[str, str] = Field(
        description="self (the whole record, also the Location header), commands, photos, page"
    )


class CaseDetail(CaseRead):
    """A case with its whole record."""

    timeline: list[EventRead]
    collaboration: list[HelpRequestRead]
    meetings: list[MeetingRead]
    tasks: list[TaskRead]
    photos: list[PhotoRead]
    probable_duplicates: list[int]
    may_supervise: bool = Field(default=False, description="you may urge or supervise it by hand")


ReviewOutcome = Literal["upheld", "overturned"]


class RatingReviewCreate(_Input):
    """The centre's call-back on a rated case (回访复核): the rating stands, or is overturned, and why."""

    outcome: ReviewOutcome = Field(description="upheld (评价属实) or overturned (评价被推翻)")
    reason: Text = Field(max_length=1000, description="what the call-back or spot check found")


class RatingReviewRead(BaseModel):
    """A rating review as recorded on the case's timeline."""

    case_id: int
    case_number: str
    outcome: ReviewOutcome
    rating: str = Field(description="the citizen's rating that was reviewed")
    reason: str
    lead_unit: UnitRef | None = Field(description="the unit that answers for the case (an overturned rating costs it)")
    reviewed_by: str
    reviewed_at: datetime
    seq: int = Field(description="the timeline line's number")


class SupervisionCreate(_Input):
    """An upper level urges or supervises a case by hand, with a note saying what is expected."""

    action: EscalationAction
    note: Name = Field(max_length=MAX_REASON)


class SupervisionCardRead(BaseModel):
    """A rung of the escalation ladder issued on a case, by the clock or by hand."""

    id: int
    case_id: int
    case_number: str
    action: str
    phase: str | None
    unit: UnitRef | None
    county_code: str
    is_manual: bool
    issued_by: str
    issued_by_name: str = Field(default="", description="who issued it, by name (empty for the clock)")
    issued_at: datetime
    note: str


class UnitCardCount(BaseModel):
    """How many cards of each kind a unit has received (the supervision page's table)."""

    unit: UnitRef | None
    county_code: str
    county_name: str = ""
    urge: int = 0
    supervise: int = 0
    yellow_card: int = 0
    red_card: int = 0
    leader_instruction: int = 0
    total: int = 0
    has_page: bool = Field(default=False, description="the unit's page opens for the reader (org scope)")
