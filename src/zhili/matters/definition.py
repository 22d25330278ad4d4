"""What a matter definition says: who leads, who helps, what intake asks, how long each phase may take."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhili.core.errors import FieldRuleError

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
LEAD_COLLABORATOR = "the lead kind cannot also be a collaborator kind"


def lead_collaborator_rule(lead_kind: object, collaborator_kinds: Collection[object]) -> FieldRuleError | None:
    """The rule over who leads and who helps: the lead's kind is not also a collaborating kind (None: kept)."""
    if lead_kind is not None and lead_kind in collaborator_kinds:
        return FieldRuleError(LEAD_COLLABORATOR, "collaborator_kinds")
    return None


class Datatype(StrEnum):
    """Open311 GeoReport v2 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class AttributeFormat(StrEnum):
    """A named format a text attribute must have, checked beyond its datatype."""

    CREDIT_CODE = "credit_code"  # 统一社会信用代码 (GB 32100): 18 characters with a correct check character


# The longest a text attribute may be by its datatype (`max_length` may only lower it).
DATATYPE_MAX_LENGTH = {"string": 200, "text": 4000}


class Phase(StrEnum):
    """The clocked phases of a case: each has a limit and a start time recorded from day one."""

    ACCEPT = "accept"  # REPORTED: the centre accepts or rejects (受理)
    SIGN = "sign"  # DISPATCHED: the lead unit signs for it (签收)
    HANDLE = "handle"  # SIGNED / IN_PROGRESS: the lead unit handles it (处置)
    VERIFY = "verify"  # FEEDBACK: the originating level verifies (核查)


class HandlerLevel(StrEnum):
    """Who handles, for picking phase limits: a department unit, a township unit, or a grid."""

    DEPARTMENT = "department"
    TOWNSHIP = "township"
    GRID = "grid"


class EscalationAction(StrEnum):
    """The escalation ladder (SPEC section 4), mildest first."""

    URGE = "urge"  # 催办, to the handler
    SUPERVISE = "supervise"  # 督办
    YELLOW_CARD = "yellow_card"  # 黄牌
    RED_CARD = "red_card"  # 红牌, to the handler's supervisor and the centre
    LEADER_INSTRUCTION = "leader_instruction"  # 批示


class EvidenceKind(StrEnum):
    """Kinds of evidence a reply can carry."""

    TEXT = "text"
    PHOTO = "photo"
    GPS = "gps"
    DOCUMENT = "document"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListValue(_Strict):
    """One choice of a list attribute."""

    key: str = Field(min_length=1, max_length=60)
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=120)


class AttributeDefinition(_Strict):
    """An intake attribute (an Open311 service-definition attribute)."""

    code: str = Field(pattern=CODE_PATTERN)
    datatype: Datatype
    required: bool = False
    order: int = Field(ge=1)
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=120)
    description_zh: str = ""
    description_en: str = ""
    values: tuple[ListValue, ...] = ()
    max_length: int | None = Field(default=None, ge=1)  # text datatypes: fewer characters than the datatype allows
    format: AttributeFormat | None = None  # string: a named format the value must have
    whole: bool = False  # number: a count (people, storeys, months), never a fraction

    @model_validator(mode="after")
    def _text_rules_fit(self) -> AttributeDefinition:
        limit = DATATYPE_MAX_LENGTH.get(self.datatype)
        if self.max_length is not None and (limit is None or self.max_length > limit):
            raise ValueError(f"attribute {self.code}: max_length is for string (up to 200) or text (up to 4000)")
        if self.format is not None and self.datatype != Datatype.STRING:
            raise ValueError(f"attribute {self.code}: a format is for string attributes")
        if self.whole and self.datatype != Datatype.NUMBER:
            raise ValueError(f"attribute {self.code}: whole is for number attributes")
        return self

    @model_validator(mode="after")
    def _lists_have_values(self) -> AttributeDefinition:
        is_list = self.datatype in {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}
        if is_list != bool(self.values):
            raise ValueError(f"attribute {self.code}: list datatypes need values, other datatypes must not have any")
        keys = [value.key for value in self.values]
        if len(keys) != len(set(keys)):
            raise ValueError(f"attribute {self.code}: value keys must be unique")
        return self


class Limit(_Strict):
    """How long a phase may take."""

    amount: int = Field(gt=0, le=365)
    unit: Literal["working_days", "working_hours", "hours"]


class EscalationStep(_Strict):
    """A rung of the ladder: taken once `at` of the phase limit (plus granted extension) is used."""

    action: EscalationAction
    at: float = Field(gt=0, le=10)


class DuplicateWindow(_Strict):
    """Reports of the same matter this close in space and time are probable duplicates."""

    distance_m: int = Field(gt=0, le=10_000)
    hours: int = Field(gt=0, le=24 * 90)


class MatterDefinition(_Strict):
    """One version of a matter: everything the engine needs to route, clock and close its cases."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=120)
    description_zh: str = ""
    description_en: str = ""
    lead_kind: str = Field(min_length=1, max_length=40)
    collaborator_kinds: tuple[str, ...] = ()
    handling_level: Literal["grid", "township", "county"]
    enforcement_item: str | None = None
    urgent: bool = False
    evidence_to_close: tuple[EvidenceKind, ...] = Field(min_length=1)
    duplicates: DuplicateWindow
    limits: dict[HandlerLevel, dict[Phase, Limit]]
    escalation: tuple[EscalationStep, ...] = Field(min_length=1)
    attributes: tuple[AttributeDefinition, ...] = ()
    is_default_assignment: bool = Field(
        default=True, description="true when lead and collaborators are an editable default, not from the seed"
    )

    @model_validator(mode="after")
    def _consistent(self) -> MatterDefinition:
        if HandlerLevel.DEPARTMENT not in self.limits:
            raise ValueError("limits.department is required (other levels fall back to it)")
        for level, phases in self.limits.items():
            missing = set(Phase) - set(phases)
            if missing:
                raise ValueError(f"limits.{level}: missing phases {', '.join(sorted(missing))}")
        broken = lead_collaborator_rule(self.lead_kind, self.collaborator_kinds)
        if broken is not None:
            raise broken
        codes = [attribute.code for attribute in self.attributes]
        if len(codes) != len(set(codes)):
            raise ValueError("attribute codes must be unique")
        thresholds = [step.at for step in self.escalation]
        if thresholds != sorted(thresholds):
            raise ValueError("escalation steps must be in increasing order of `at`")
        actions = [step.action for step in self.escalation]
        if len(actions) != len(set(actions)):
            raise ValueError("each escalation action may appear once (a rung is named by its action)")
        return self

    def limit(self, level: HandlerLevel, phase: Phase) -> Limit:
        """The limit of a phase for a handler level (falling back to the department limits)."""
        return self.limits.get(level, self.limits[HandlerLevel.DEPARTMENT])[phase]
