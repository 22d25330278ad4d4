"""The words of notifications as values: severities, channels, statuses, outcomes, webhook formats, settlings."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How urgent a notification is; red ones ignore quiet hours."""

    INFO = "info"
    YELLOW = "yellow"
    RED = "red"


SEVERITY_ORDER = (Severity.INFO, Severity.YELLOW, Severity.RED)


def thresholds_met_by(severity: Severity) -> tuple[str, ...]:
    """The `min_severity` settings that let a notification of this severity through."""
    return tuple(level.value for level in SEVERITY_ORDER[: SEVERITY_ORDER.index(severity) + 1])


class Channel(StrEnum):
    """Where a message goes. The inbox needs no delivery: its item is written with the notification."""

    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


# The channels a person chooses for themselves (webhooks are configured by administrators).
PERSONAL_CHANNELS = (Channel.EMAIL, Channel.SMS)
# The channels the outbox delivers to: all but the inbox.
DELIVERED_CHANNELS = tuple(channel for channel in Channel if channel is not Channel.INBOX)


class Status(StrEnum):
    """An outbox message's state: waiting (or leased), delivered, or given up after the last attempt."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class Outcome(StrEnum):
    """What one delivery attempt came to."""

    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class WebhookFormat(StrEnum):
    """The body a webhook endpoint receives: Zhili's JSON, or a DingTalk robot message."""

    GENERIC = "generic"
    DINGTALK_MARKDOWN = "dingtalk_md"
    DINGTALK_TEXT = "dingtalk_txt"


class Settled(StrEnum):
    """Why a notice was read for its reader by someone else's act (`inbox.settle_about`, `inbox.settle_topic`).

    TAKEN: one of those told with them did what it asked (signed, replied). WITHDRAWN: the one who asked took
    it back (a reply withdrew an extension request). CANCELLED: what it asked for was called off (a close
    or a refusal cancelled a help request or a meeting task). REASSIGNED: what it asked of its reader was
    handed to someone else (改派: a campaign task they declined or left unclaimed).
    """

    TAKEN = "taken"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    REASSIGNED = "reassigned"
