"""The SMS channel: a pluggable `SmsGateway` and the gateway that only writes a log line.

A real gateway (an operator's HTTP API) implements `SmsGateway.send`; the channel shortens the
text and passes the message key, which gateways commonly accept as the client's own message id.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from zhili.notify.channels import Envelope, SendResult
from zhili.notify.dingtalk import SEVERITY_MARK

log = structlog.get_logger(__name__)
SMS_SIGNATURE = "【治理】"
MAX_SMS_CHARACTERS = 200


class SmsGateway(Protocol):
    """Sends one text to one phone number."""

    def send(self, *, phone: str, text: str, message_key: str) -> SendResult:
        """Hand the text to the operator; a refusal is a failed result."""
        ...


def masked(phone: str) -> str:
    """A phone number fit for a log line: 139****0001."""
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****"  # noqa: PLR2004 - a phone's length


class LoggingSmsGateway:
    """A gateway that sends nothing: it writes one structured log line per message (development, demo)."""

    def __init__(self, logger: Any = None) -> None:
        self.log = logger if logger is not None else log

    def send(self, *, phone: str, text: str, message_key: str) -> SendResult:
        """Log the message as sent."""
        self.log.info("sms.sent", phone=masked(phone), text=text, message_key=message_key)
        return SendResult.delivered()


def sms_text(envelope: Envelope) -> str:
    """The short text: signature, severity, title and body, cut to the length one message allows."""
    mark = SEVERITY_MARK.get(envelope.severity, envelope.severity)
    text = f"{SMS_SIGNATURE}[{mark}]{envelope.title}：{envelope.body}"
    return text if len(text) <= MAX_SMS_CHARACTERS else text[: MAX_SMS_CHARACTERS - 1] + "…"


class SmsChannel:
    """Delivers to a person's phone through a gateway."""

    name = "sms"

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, envelope: Envelope) -> SendResult:
        """Send the short text to the phone number recorded when the message was queued."""
        return self.gateway.send(phone=envelope.destination, text=sms_text(envelope), message_key=envelope.message_key)

    def close(self) -> None:
        """Nothing to release."""
