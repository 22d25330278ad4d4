"""The values of the case lifecycle: statuses, parties, ratings, evidence, the state, commands and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeAlias

from zhili.core.errors import DomainError
from zhili.matters.definition import EvidenceKind, Phase


class CaseStatus(StrEnum):
    """Where a case stands in its closed loop (SPEC section 4)."""

    REPORTED = "reported"  # 上报: waiting for triage
    ACCEPTED = "accepted"  # 受理: waiting to be dispatched
    REJECTED = "rejected"  # 不予受理, with a reason
    DISPATCHED = "dispatched"  # 派单: waiting for the lead unit to sign
    SIGNED = "signed"  # 签收
    IN_PROGRESS = "in_progress"  # 处置中
    SUSPENDED = "suspended"  # 挂起: the clock stands still
    FEEDBACK = "feedback"  # 反馈: the lead has replied, waiting for verification
    VERIFIED = "verified"  # 核查通过
    CLOSED = "closed"  # 办结
    RATED = "rated"  # 评价
    REOPENED = "reopened"  # 重办: the citizen was dissatisfied
    ARCHIVED = "archived"  # 归档: final


class Party(StrEnum):
    """Who issues a command, relative to one case; the service works out an actor's parties."""

    CITIZEN = "citizen"  # the member of the public who reported it
    ORIGINATOR = "originator"  # the person or level that filed it (a grid worker, the centre); verifies
    DISPATCHER = "dispatcher"  # the command room / governance centre of the handling division: triage
    LEAD = "lead"  # the lead unit (牵头部门)
    COLLABORATOR = "collaborator"  # a unit asked for help (协同部门)
    SUPERVISOR = "supervisor"  # the level above the handling division


class Rating(StrEnum):
    """The citizen's rating of a closed case (评单)."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意: reopens the case


class HelpStatus(StrEnum):
    """Where a request for help (部门协同) stands: asked, answered, or withdrawn by the lead."""

    REQUESTED = "requested"
    REPLIED = "replied"
    CANCELLED = "cancelled"


class MeetingTaskStatus(StrEnum):
    """Where a task a meeting (会商) gave a unit stands: to do, done, or withdrawn by the lead."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


# How much a command may carry: the API's bodies (`commands`, `schemas`) and the page's forms hold to these.
MAX_REASON: Final = 500  # a reason or a note (shown on the timeline)
MAX_REPLY: Final = 4000  # a reply's text, the lead's or a collaborating unit's
MAX_COMMENT: Final = 1000  # a rating's comment
MAX_EVIDENCE: Final = 50  # pieces of evidence in one reply
MAX_EVIDENCE_REF: Final = 500  # one piece's reference (a photo id, a text, a GPS fix)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence of a reply: its kind and a reference (an attachment id, a GPS fix, ...)."""

    kind: EvidenceKind
    ref: str


def comment_missing(rating: Rating, comment: str) -> bool:
    """A dissatisfied rating reopens the case, so it must say what is still wrong; other ratings need no comment."""
    return rating is Rating.DISSATISFIED and not comment.strip()


def gps_point(ref: str) -> tuple[float, float] | None:
    """A GPS reference `lon,lat` as numbers in degrees, or None when it is not one."""
    parts = ref.replace("，", ",").split(",")
    if len(parts) != 2:  # noqa: PLR2004 - longitude and latitude
        return None
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (lon, lat) if -180 <= lon <= 180 and -90 <= lat <= 90 else None  # noqa: PLR2004 - degrees


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseState:
    """Everything the lifecycle needs to know about one case; `step` returns a new one, never edits it.

    `phase` is the clocked phase the status belongs to and `phase_started_at` when it began (aware UTC);
    `granted_extension_hours` is the extension granted to the current lead, added to its handle limit.
    """

    status: CaseStatus
    version: int
    lead_unit_id: int | None = None
    rework_count: int = 0
    reopen_count: int = 0
    level_up: int = 0
    pending_extension_hours: int | None = None
    granted_extension_hours: int = 0
    evidence: tuple[Evidence, ...] = ()
    evidence_verified: bool = False
    rating: Rating | None = None
    phase: Phase | None = None
    phase_started_at: datetime | None = None
    reject_reason: str | None = None
    last_reason: str | None = None
    suspended_from: CaseStatus | None = None


class CommandKind(StrEnum):
    """The name of a command; also the name of the event it records."""

    REPORT = "report"
    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    START = "start"
    ESCALATE = "escalate"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    SUSPEND = "suspend"
    RESUME = "resume"
    REPLY = "reply"
    VERIFY = "verify"
    VERIFY_FAILED = "verify_failed"
    CLOSE = "close"
    RATE = "rate"
    ARCHIVE = "archive"


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseCommand:
    """What every command carries: the parties its issuer acts as for this case (possibly several)."""

    kind: ClassVar[CommandKind]
    parties: frozenset[Party]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasonedCommand(BaseCommand):
    """A command that must say why (a non-blank reason)."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Report(BaseCommand):
    """Create a case (上报); only through `open_case`."""

    kind: ClassVar[CommandKind] = CommandKind.REPORT


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept(BaseCommand):
    """Triage accepts the case (受理)."""

    kind: ClassVar[CommandKind] = CommandKind.ACCEPT


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject(ReasonedCommand):
    """Triage rejects the case (不予受理)."""

    kind: ClassVar[CommandKind] = CommandKind.REJECT


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispatch(BaseCommand):
    """Triage names the lead unit (派单)."""

    kind: ClassVar[CommandKind] = CommandKind.DISPATCH
    lead_unit_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Sign(BaseCommand):
    """The lead unit signs for the case (签收)."""

    kind: ClassVar[CommandKind] = CommandKind.SIGN


@dataclass(frozen=True, slots=True, kw_only=True)
class Return(ReasonedCommand):
    """The lead unit sends the case back to triage (退回): it is no longer the lead."""

    kind: ClassVar[CommandKind] = CommandKind.RETURN


@dataclass(frozen=True, slots=True, kw_only=True)
class Start(BaseCommand):
    """The lead unit starts handling (处置)."""

    kind: ClassVar[CommandKind] = CommandKind.START


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate(ReasonedCommand):
    """Hand the case to the upper level's triage (上报上级): the lead is removed."""

    kind: ClassVar[CommandKind] = CommandKind.ESCALATE


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestExtension(ReasonedCommand):
    """The lead unit asks for more time (延期申请), 1 to 720 hours."""

    kind: ClassVar[CommandKind] = CommandKind.REQUEST_EXTENSION
    hours: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveExtension(BaseCommand):
    """Grant the pending extension request."""

    kind: ClassVar[CommandKind] = CommandKind.APPROVE_EXTENSION


@dataclass(frozen=True, slots=True, kw_only=True)
class RefuseExtension(ReasonedCommand):
    """Refuse the pending extension request."""

    kind: ClassVar[CommandKind] = CommandKind.REFUSE_EXTENSION


@dataclass(frozen=True, slots=True, kw_only=True)
class Suspend(ReasonedCommand):
    """Stop the clock while the case cannot move (挂起)."""

    kind: ClassVar[CommandKind] = CommandKind.SUSPEND


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(BaseCommand):
    """Go back to the status the case was suspended from."""

    kind: ClassVar[CommandKind] = CommandKind.RESUME


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply(BaseCommand):
    """The lead unit reports the result with evidence (办理反馈)."""

    kind: ClassVar[CommandKind] = CommandKind.REPLY
    evidence: tuple[Evidence, ...]
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verify(BaseCommand):
    """The originating level confirms the result (核查通过)."""

    kind: ClassVar[CommandKind] = CommandKind.VERIFY


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyFailed(ReasonedCommand):
    """The originating level finds the result wanting: the lead handles it again (返工)."""

    kind: ClassVar[CommandKind] = CommandKind.VERIFY_FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class Close(BaseCommand):
    """The lead unit closes the verified case (办结)."""

    kind: ClassVar[CommandKind] = CommandKind.CLOSE


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate(BaseCommand):
    """The reporter rates the result (评单); dissatisfied reopens the case."""

    kind: ClassVar[CommandKind] = CommandKind.RATE
    rating: Rating
    comment: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Archive(BaseCommand):
    """File the finished case away (归档); nothing changes it afterwards."""

    kind: ClassVar[CommandKind] = CommandKind.ARCHIVE


Command: TypeAlias = (
    Report
    | Accept
    | Reject
    | Dispatch
    | Sign
    | Return
    | Start
    | Escalate
    | RequestExtension
    | ApproveExtension
    | RefuseExtension
    | Suspend
    | Resume
    | Reply
    | Verify
    | VerifyFailed
    | Close
    | Rate
    | Archive
)


# What the lifecycle answers: a transition, or a refusal.

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


class RefusalKind(StrEnum):
    """Why a command was refused; the HTTP layer answers 409, 403 and 422."""

    STATE = "state"  # not possible in this status (409)
    PARTY = "party"  # possible now, but not for the issuing parties (403)
    INVALID = "invalid"  # allowed, but its content is wrong: blank reason, missing evidence ... (422)


_PROBLEMS: Final = {
    RefusalKind.STATE: (409, "Conflict", "command-not-allowed-now"),
    RefusalKind.PARTY: (403, "Forbidden", "command-not-allowed-for-party"),
    RefusalKind.INVALID: (422, "Invalid input", "command-invalid"),
}


class CommandRefused(DomainError):  # noqa: N818 - the lifecycle's vocabulary: a command is refused
    """A command the lifecycle refuses, with the commands the same parties could issue instead.

    A `DomainError`, so the web layer renders it as a problem with its own status (409, 403 or 422) and
    the members `refusal`, `command`, `allowed` and, for a reply, `missing_evidence`.
    """

    def __init__(
        self,
        kind: RefusalKind,
        reason: str,
        *,
        command: CommandKind,
        allowed: tuple[CommandKind, ...],
        missing_evidence: tuple[EvidenceKind, ...] = (),
    ) -> None:
        extra: dict[str, Any] = {"refusal": str(kind), "command": str(command), "allowed": [str(k) for k in allowed]}
        if missing_evidence:
            extra["missing_evidence"] = [str(k) for k in missing_evidence]
        super().__init__(reason, **extra)
        self.kind = kind
        self.reason = reason
        self.command = command
        self.allowed = allowed
        self.missing_evidence = missing_evidence
        self.status, self.title, self.type_slug = _PROBLEMS[kind]


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """What a transition records: the command's name, the statuses and plain JSON details."""

    name: CommandKind
    from_status: CaseStatus | None
    to_status: CaseStatus
    details: dict[str, JsonValue]


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of a command: the new state, its event, and the phase clock changes."""

    state: CaseState
    event: CaseEvent
    phase_ended: Phase | None
    phase_started: Phase | None
    closes_case: bool


# Timeline lines of 重新上报, each naming the other case by `case_id` and `number`.
REPORTED_AGAIN = "reported_again"  # on a case not taken: the new report that mends it
REPORTED_AGAIN_OF = "reported_again_of"  # on the new report: the case not taken it mends

# Who a new case's routing lines name (分拨, 已告知网格联系人): the routing rules, not the person who reported.
ROUTING_ACTOR: Final = "system:routing"
