"""Building the courier from the settings: which channels exist, how often to retry, how many at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from zhili.core.clock import Clock
from zhili.core.settings import Settings
from zhili.notify.backoff import RetryPolicy
from zhili.notify.channels import Channel
from zhili.notify.delivery import Courier
from zhili.notify.mail import EmailChannel, SmtpConfig
from zhili.notify.sms import LoggingSmsGateway, SmsChannel, SmsGateway
from zhili.notify.webhook import WebhookChannel


def retry_policy(settings: Settings) -> RetryPolicy:
    """Attempts, back-off and lease from `ZHILI_NOTIFY_*`."""
    return RetryPolicy(
        max_attempts=settings.notify_max_attempts,
        base=timedelta(seconds=settings.notify_retry_base_seconds),
        cap=timedelta(seconds=settings.notify_retry_cap_seconds),
        lease=timedelta(seconds=settings.notify_lease_seconds),
    )


def channels(settings: Settings, *, sms_gateway: SmsGateway | None = None) -> dict[str, Channel]:
    """Webhooks and SMS always (SMS to the logging gateway unless another is given); e-mail when SMTP is set.

    Without `ZHILI_SMTP_HOST` no worker claims e-mail, so queued e-mails wait for one that can send.
    """
    found: dict[str, Channel] = {
        "webhook": WebhookChannel(
            public_url=settings.public_url,
            timeout_seconds=settings.notify_timeout_seconds,
            max_connections=settings.notify_concurrency,
        ),
        "sms": SmsChannel(sms_gateway or LoggingSmsGateway()),
    }
    if settings.smtp_host:
        config = SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            timeout_seconds=settings.notify_timeout_seconds,
            public_url=settings.public_url,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
        )
        found["email"] = EmailChannel(config)
    return found


def courier(settings: Settings, *, sessions: sessionmaker[Session], clock: Clock) -> Courier:
    """The outbox courier the worker runs."""
    return Courier(
        sessions,
        clock=clock,
        channels=channels(settings),
        policy=retry_policy(settings),
        batch_size=settings.notify_batch_size,
        concurrency=settings.notify_concurrency,
    )
