"""What a channel is given and what it answers: the Envelope, the SendResult and the Channel protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from zhili.core.redact import masked_text

ERROR_LENGTH = 500


@dataclass(frozen=True)
class Target:
    """A webhook endpoint as a sender needs it (the secret never leaves the worker)."""

    url: str
    format: str
    secret: str | None


@dataclass(frozen=True)
class Envelope:
    """One outbox message claimed for one attempt, with the notification it carries."""

    outbox_id: int
    attempt: int
    message_key: str
    channel: str
    destination: str
    person_id: int | None
    target: Target | None
    topic: str
    severity: str
    title: str
    body: str
    link: str | None
    subject: str | None
    created_at: datetime

    @property
    def route(self) -> str:
        """Messages sharing a route share a receiver: one failing receiver is skipped for the batch."""
        if self.target is not None:
            return f"webhook:{self.target.url}"
        return self.channel

    @property
    def route_shown(self) -> str:
        """The route as an error or a log line names it: a webhook's URL with its secrets masked."""
        return masked_text(self.route)

    def as_json(self, public_url: str) -> dict[str, Any]:
        """The generic JSON body: the notification, its message key and where to look."""
        return {
            "message_key": self.message_key,
            "attempt": self.attempt,
            "topic": self.topic,
            "severity": self.severity,
            "title": self.title,
            "body": self.body,
            "link": absolute(public_url, self.link),
            "subject": self.subject,
            "recipient_person_id": self.person_id,
            "created_at": self.created_at.isoformat(),
        }


def absolute(public_url: str, link: str | None) -> str | None:
    """A link inside the app as a full URL for receivers outside it."""
    if not link:
        return None
    if link.startswith(("http://", "https://")):
        return link
    return public_url.rstrip("/") + "/" + link.lstrip("/")


@dataclass(frozen=True)
class SendResult:
    """How one attempt went. A failure that cannot get better (`is_permanent`) is not retried."""

    is_delivered: bool
    http_status: int | None = None
    error: str | None = None
    is_permanent: bool = False

    @classmethod
    def delivered(cls, http_status: int | None = None) -> SendResult:
        """The receiver took the message."""
        return cls(is_delivered=True, http_status=http_status)

    @classmethod
    def failed(cls, error: str, *, http_status: int | None = None, is_permanent: bool = False) -> SendResult:
        """The receiver did not take it; `error` is cut to what the log column holds."""
        return cls(is_delivered=False, http_status=http_status, error=error[:ERROR_LENGTH], is_permanent=is_permanent)


# How a failed attempt's error text begins, by the writer that words it (`mail`, `webhook`, `delivery`), and
# the kind of failure it is: the delivery log says the kind in the reader's language beside the text.
_FAILURE_KINDS: Final = (
    ("recipient refused", "recipient_refused"),
    ("SMTP ", "mail_server_refused"),
    ("timed out", "timed_out"),
    ("TimeoutError", "timed_out"),
    ("HTTP 4", "receiver_refused"),
    ("HTTP 5", "receiver_failed"),
    ("DingTalk", "dingtalk_refused"),
    ("not tried", "not_tried"),
    ("the webhook endpoint was deleted", "endpoint_deleted"),
)
_UNREACHABLE: Final = (
    "ConnectError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "OSError",
    "gaierror",
    "SMTPServerDisconnected",
)


def failure_kind(error: str | None) -> str | None:
    """The kind of a failed attempt from its error text (`notify.failure.<kind>`); None for no error."""
    if not error:
        return None
    for prefix, kind in _FAILURE_KINDS:
        if error.startswith(prefix):
            return kind
    return "unreachable" if error.startswith(_UNREACHABLE) else "other"


class Channel(Protocol):
    """A way of delivering: it sends one envelope and says how it went, never raising for a failure."""

    name: str

    def send(self, envelope: Envelope) -> SendResult:
        """Deliver one message; a timeout or refusal is a failed result, not an exception."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
