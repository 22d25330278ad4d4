"""Reminders: "tell these people this at that time", a timer whose firing sends a notification.

The shared way for any domain to schedule a message for later (a meeting, a task's deadline, a
campaign's claim time): the reminder and the notification it becomes are written in the
transactions of the scheduling change and of the firing, so it is sent once however the worker fares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.clocks.firing import DueTimer
from zhili.clocks.timers import TimerSpec
from zhili.core.clock import FrozenClock
from zhili.notify.kinds import Severity
from zhili.notify.service import notify

REMIND = "clocks.remind"
"""The timer kind of reminders."""


@dataclass(frozen=True)
class Reminder:
    """What to tell whom, and when; `subject_id` ties it to the thing it is about (for cancelling)."""

    people: tuple[int, ...]
    at: datetime
    topic: str
    title: str
    body: str
    subject_id: int = 0
    severity: Severity = Severity.INFO
    link: str | None = None
    subject: str | None = None
    tag: str = "reminder"


def reminder_timer(reminder: Reminder) -> TimerSpec:
    """The timer that sends a reminder when it is due."""
    return TimerSpec(
        kind=REMIND,
        subject_id=reminder.subject_id,
        step=reminder.tag,
        due_at=reminder.at,
        generation=int(reminder.at.timestamp()),
        payload={
            "people": list(reminder.people),
            "topic": reminder.topic,
            "title": reminder.title,
            "body": reminder.body,
            "severity": reminder.severity.value,
            "link": reminder.link,
            "subject": reminder.subject,
        },
    )


def fire_reminders(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
    """The `clocks.remind` handler: one notification per reminder, keyed by the timer."""
    clock = FrozenClock(now)
    for timer in due:
        payload = timer.payload
        notify(
            session,
            recipients=[int(person) for person in payload["people"]],
            topic=str(payload["topic"]),
            severity=str(payload["severity"]),
            title=str(payload["title"]),
            body=str(payload["body"]),
            key=f"reminder:{timer.id}",
            clock=clock,
            link=payload.get("link"),
            subject=payload.get("subject"),
        )
