"""What the notification API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from zhili.core.errors import FieldRuleError
from zhili.core.params import Name, OneOf
from zhili.notify.kinds import DELIVERED_CHANNELS, PERSONAL_CHANNELS, Channel, Settled, Severity, WebhookFormat

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
PersonalChannel = Annotated[Channel, OneOf(*PERSONAL_CHANNELS)]
DeliveredChannel = Annotated[Channel, OneOf(*DELIVERED_CHANNELS)]
TOPICS_PATTERN = r"^[a-z0-9_.:*, -]*$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Said(BaseModel):
    """A piece of a notice's title or body: its text, and whether it is Chinese as written (a name, what was typed)."""

    text: str
    is_chinese: bool = False


class InboxItemRead(BaseModel):
    """A notification in my inbox."""

    id: int
    notification_id: int
    topic: str
    severity: Severity
    title: str
    body: str
    link: str | None
    subject: str | None
    created_at: datetime
    read_at: datetime | None
    settled_by: int | None = Field(
        default=None, description="the person (id) whose act made it read: did what it asked, withdrew or cancelled it"
    )
    settled_as: Settled | None = Field(default=None, description="why it was settled (with `settled_by`)")
    settled_by_name: str | None = Field(default=None, description="the name of the person in `settled_by`")
    lang: Literal["zh", "en"] = Field(
        default="zh", description="the language of title and body: the API sends the stored Chinese; pages the reader's"
    )
    title_pieces: list[Said] | None = Field(
        default=None, description="the title in pieces when in English: pages mark the Chinese ones (names, typed text)"
    )
    body_pieces: list[Said] | None = Field(default=None, description="the body in pieces, as `title_pieces`")


class UnreadCount(BaseModel):
    """How many items of my inbox are unread."""

    unread: int


class MarkedRead(BaseModel):
    """How many items were marked read."""

    marked: int


class PreferenceRead(BaseModel):
    """My choice for one channel (the defaults when I made none) and where it reaches me."""

    channel: PersonalChannel
    is_enabled: bool
    min_severity: Severity
    quiet_start: str | None
    quiet_end: str | None
    destination: str | None = Field(description="the e-mail address or masked phone number on record")
    is_default: bool


class PreferenceUpdate(_Input):
    """One channel's settings; quiet hours are local times (Asia/Shanghai), both or neither, red ignores them."""

    channel: PersonalChannel
    is_enabled: bool = True
    min_severity: Severity = Severity.INFO
    quiet_start: str | None = Field(default=None, pattern=HHMM, examples=["22:00"])
    quiet_end: str | None = Field(default=None, pattern=HHMM, examples=["07:00"])

    @model_validator(mode="after")
    def _both_or_neither(self) -> PreferenceUpdate:
        if (self.quiet_start is None) != (self.quiet_end is None):
            missing = "quiet_end" if self.quiet_start else "quiet_start"  # the one left empty
            raise FieldRuleError("quiet_start and quiet_end go together", missing)
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise FieldRuleError("quiet hours must not start and end at the same time", "quiet_end")
        return self


class PreferencesUpdate(_Input):
    """New settings for some of my channels; channels not listed keep theirs."""

    channels: list[PreferenceUpdate] = Field(min_length=1, max_length=2)

    @model_validator(mode="after")
    def _each_channel_once(self) -> PreferencesUpdate:
        names = [item.channel for item in self.channels]
        if len(names) != len(set(names)):
            message = "each channel may appear once"
            raise ValueError(message)
        return self


class AttemptRead(BaseModel):
    """One delivery attempt in the log."""

    attempt: int
    at: datetime
    outcome: str
    http_status: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    """One outbox message with its state."""

    id: int
    message_key: str
    channel: str
    destination: str
    person_id: int | None
    endpoint_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    title: str
    severity: str


class DeliveryDetail(DeliveryRead):
    """An outbox message with every attempt to deliver it."""

    log: list[AttemptRead]


class WebhookCreate(_Input):
    """A receiver of notifications: Zhili JSON or a DingTalk robot (secret: the robot's 加签 secret)."""

    name: Name = Field(max_length=80)
    url: AnyHttpUrl = Field(max_length=500)
    format: WebhookFormat = WebhookFormat.GENERIC
    secret: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    topics: str = Field(
        default="", max_length=500, pattern=TOPICS_PATTERN, description="comma-separated topic prefixes"
    )
    min_severity: Severity = Severity.INFO
    is_enabled: bool = True


class WebhookUpdate(_Input):
    """Changes to an endpoint; `secret: null` keeps the secret, `clear_secret` removes it."""

    name: Name | None = Field(default=None, max_length=80)
    url: AnyHttpUrl | None = Field(default=None, max_length=500)
    format: WebhookFormat | None = None
    secret: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    clear_secret: bool = False
    topics: str | None = Field(default=None, max_length=500, pattern=TOPICS_PATTERN)
    min_severity: Severity | None = None
    is_enabled: bool | None = None


class WebhookRead(BaseModel):
    """An endpoint as the API shows it: never its secret, only whether it has one."""

    id: int
    name: str
    url: str
    format: WebhookFormat
    has_secret: bool
    topics: str
    min_severity: Severity
    is_enabled: bool
    created_at: datetime
