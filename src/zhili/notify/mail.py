"""The e-mail channel: one MIME message per outbox message over SMTP (smtplib).

The message key travels in `X-Zhili-Message-Key`, and the `Message-ID` is derived from it, so the
same message sent twice carries the same Message-ID and a mail system can drop the repeat.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from zhili.notify.channels import Envelope, SendResult, absolute
from zhili.notify.dingtalk import SEVERITY_MARK

PERMANENT_SMTP_CODE = 500


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: the relay, the sender address, optional STARTTLS and login."""

    host: str
    port: int
    sender: str
    timeout_seconds: float
    public_url: str
    starttls: bool = False
    username: str = ""
    password: str = ""


def message_id(message_key: str) -> str:
    """A stable Message-ID for a message key (keys may hold characters a Message-ID may not)."""
    return f"<{hashlib.sha256(message_key.encode('utf-8')).hexdigest()[:40]}@zhili.notify>"


def build_message(envelope: Envelope, config: SmtpConfig) -> EmailMessage:
    """The e-mail for one message: subject with the severity, the text and the link."""
    message = EmailMessage()
    message["Subject"] = f"[{SEVERITY_MARK.get(envelope.severity, envelope.severity)}] {envelope.title}"
    message["From"] = config.sender
    message["To"] = envelope.destination
    message["Date"] = format_datetime(envelope.created_at)
    message["Message-ID"] = message_id(envelope.message_key)
    message["X-Zhili-Message-Key"] = envelope.message_key
    message["X-Zhili-Topic"] = envelope.topic
    link = absolute(config.public_url, envelope.link)
    text = envelope.body + (f"\n\n{link}" if link else "") + f"\n\n-- \n治理 Zhili ({envelope.message_key})\n"
    message.set_content(text)
    return message


class EmailChannel:
    """Sends e-mail through the configured SMTP relay, one connection per message."""

    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, envelope: Envelope) -> SendResult:
        """Send one e-mail; a 5xx refusal is permanent, anything else is tried again later."""
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
                if config.starttls:
                    smtp.starttls()
                if config.username:
                    smtp.login(config.username, config.password)
                smtp.send_message(build_message(envelope, config))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= PERMANENT_SMTP_CODE for code in codes)
            return SendResult.failed(f"recipient refused: {exc.recipients}", is_permanent=permanent)
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            return SendResult.failed(error, is_permanent=exc.smtp_code >= PERMANENT_SMTP_CODE)
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult.failed(f"{type(exc).__name__}: {exc}")
        return SendResult.delivered()

    def close(self) -> None:
        """Nothing held between messages."""
