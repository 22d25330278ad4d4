"""The API's command body: one pydantic model per lifecycle command, told apart by `command`.

`CommandBody` is a discriminated union, so the OpenAPI schema lists each command with exactly the
fields it takes, a field a command does not take is a 422, and each body builds its typed lifecycle
command (`to_command`). Enums come from the domain (`CommandKind`, `Rating`, `EvidenceKind`); the
rules (who may issue what, from which state, what content is missing) stay in `lifecycle`.
Adding a command: see docs/how-to/add-a-lifecycle-command.md (its type here and in `states.py`, its rule, its test).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter, WrapValidator, model_validator
from typing_extensions import override

from zhili.cases import lifecycle as lc
from zhili.cases import states
from zhili.cases.schemas import EvidenceIn
from zhili.cases.states import MAX_COMMENT, MAX_EVIDENCE, MAX_REASON, MAX_REPLY
from zhili.cases.states import CommandKind as K
from zhili.core.errors import FieldRuleError
from zhili.core.params import TAG_FIELD, Name, untagged
from zhili.core.text import Text

Parties = frozenset[states.Party]
Reason = Annotated[Name, Field(max_length=MAX_REASON, description="why (shown on the timeline)")]


class _Body(BaseModel):
    """What every command body carries: the version of the case the caller last saw."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, description="the case's version you read; a newer one is 409")

    @abstractmethod
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        """The typed lifecycle command, issued by `parties`."""


class AcceptBody(_Body):
    """受理: the centre takes the case on."""

    command: Literal[K.ACCEPT]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Accept(parties=parties)


class RejectBody(_Body):
    """不予受理, with a reason."""

    command: Literal[K.REJECT]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Reject(parties=parties, reason=self.reason)


class DispatchBody(_Body):
    """派单: to the unit the case was routed to, or another lead unit."""

    command: Literal[K.DISPATCH]
    lead_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: the routed unit")

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Dispatch(parties=parties, lead_unit_id=self.lead_unit_id or routed_unit_id)


class SignBody(_Body):
    """签收: the lead unit takes the dispatched case."""

    command: Literal[K.SIGN]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Sign(parties=parties)


class ReturnBody(_Body):
    """退回: the lead unit sends the case back, with a reason."""

    command: Literal[K.RETURN]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Return(parties=parties, reason=self.reason)


class StartBody(_Body):
    """开始处置."""

    command: Literal[K.START]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Start(parties=parties)


class EscalateBody(_Body):
    """上报上级, with a reason."""

    command: Literal[K.ESCALATE]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Escalate(parties=parties, reason=self.reason)


class RequestExtensionBody(_Body):
    """延期申请: hours and a reason (the lifecycle bounds the hours)."""

    command: Literal[K.REQUEST_EXTENSION]
    reason: Reason
    hours: int = Field(ge=1, le=lc.MAX_EXTENSION_HOURS)

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.RequestExtension(parties=parties, reason=self.reason, hours=self.hours)


class ApproveExtensionBody(_Body):
    """批准延期."""

    command: Literal[K.APPROVE_EXTENSION]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.ApproveExtension(parties=parties)


class RefuseExtensionBody(_Body):
    """不予延期, with a reason."""

    command: Literal[K.REFUSE_EXTENSION]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.RefuseExtension(parties=parties, reason=self.reason)


class SuspendBody(_Body):
    """挂起, with a reason."""

    command: Literal[K.SUSPEND]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Suspend(parties=parties, reason=self.reason)


class ResumeBody(_Body):
    """恢复."""

    command: Literal[K.RESUME]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Resume(parties=parties)


class ReplyBody(_Body):
    """办结回复: what was done, with the evidence the matter asks for."""

    command: Literal[K.REPLY]
    text: Text = Field(max_length=MAX_REPLY)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=MAX_EVIDENCE)

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        evidence = tuple(states.Evidence(kind=item.kind, ref=item.ref) for item in self.evidence)
        return states.Reply(parties=parties, text=self.text, evidence=evidence)


class VerifyBody(_Body):
    """核查通过."""

    command: Literal[K.VERIFY]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Verify(parties=parties)


class VerifyFailedBody(_Body):
    """核查不通过, with a reason: the case goes back for rework."""

    command: Literal[K.VERIFY_FAILED]
    reason: Reason

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.VerifyFailed(parties=parties, reason=self.reason)


class CloseBody(_Body):
    """结案; help requests and meeting tasks still open are a 409 unless cancelled with a reason."""

    command: Literal[K.CLOSE]
    cancel_reason: Reason | None = Field(
        default=None, description="cancel the help requests and meeting tasks still open, with this reason"
    )

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Close(parties=parties)


class RateBody(_Body):
    """评价: a rating and a comment (不满意 reopens the case, and says why: the lead reads it in its notice)."""

    command: Literal[K.RATE]
    rating: states.Rating
    comment: Text = Field(default="", max_length=MAX_COMMENT)

    @model_validator(mode="after")
    def _why_dissatisfied(self) -> RateBody:
        if states.comment_missing(self.rating, self.comment):  # the lifecycle's rule, said by the field first
            raise FieldRuleError("comment is required: say what is still wrong", field="comment")
        return self

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Rate(parties=parties, rating=self.rating, comment=self.comment)


class ArchiveBody(_Body):
    """归档."""

    command: Literal[K.ARCHIVE]

    @override
    def to_command(self, parties: Parties, *, routed_unit_id: int) -> states.Command:
        return states.Archive(parties=parties)


CommandBody = Annotated[
    AcceptBody
    | RejectBody
    | DispatchBody
    | SignBody
    | ReturnBody
    | StartBody
    | EscalateBody
    | RequestExtensionBody
    | ApproveExtensionBody
    | RefuseExtensionBody
    | SuspendBody
    | ResumeBody
    | ReplyBody
    | VerifyBody
    | VerifyFailedBody
    | CloseBody
    | RateBody
    | ArchiveBody,
    Field(discriminator=TAG_FIELD),
    WrapValidator(untagged),
]
"""A lifecycle command with exactly its own arguments and the version the caller last saw."""


class CommandRequest(RootModel[CommandBody]):
    """The body of `POST /api/v1/cases/{id}/commands` (a model, so the API validates it as one)."""


COMMAND_BODY: TypeAdapter[CommandBody] = TypeAdapter(CommandBody)
"""Validates a command body from a dict (forms, the benchmark) as the API does from JSON."""
COMMAND_ARGUMENTS: tuple[str, ...] = tuple(
    sorted({name for body in get_args(get_args(CommandBody)[0]) for name in body.model_fields} - {TAG_FIELD})
)
"""Every argument some command takes (`version` among them), read off the bodies: what a page's form may post."""
