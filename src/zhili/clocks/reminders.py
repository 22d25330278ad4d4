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
from zhili.notify.batch import Letter, notify_each
from zhili.notify.kinds import Severity
from zhili.notify.service import Notice
from zhili.notify.wording import Part, Words

REMIND = "clocks.remind"
"""The timer kind of reminders."""


@dataclass(frozen=True)
class Reminder:
    """What to tell whom, and when; `subject_id` ties it to the thing it is about (for cancelling)."""

    people: tuple[int, ...]
    at: datetime
    topic: str
    title: str | Words  # `Words`: shown in the reader's language in the inbox (`notify.wording`)
    body: str | Sequence[Part]
    subject_id: int = 0
    severity: Severity = Severity.INFO
    link: str | None = None
    subject: str | None = None
    tag: str = "reminder"


def reminder_timer(reminder: Reminder) -> TimerSpec:
    """The timer that sends a reminder when it is due (its words in Chinese, with their keys when worded)."""
    notice = Notice.worded(
        topic=reminder.topic,
        severity=reminder.severity,
        title=reminder.title,
        body=reminder.body,
        key=REMIND,
        now=reminder.at,
    )
    return TimerSpec(
        kind=REMIND,
        subject_id=reminder.subject_id,
        step=reminder.tag,
        due_at=reminder.at,
        generation=int(reminder.at.timestamp()),
        payload={
            "people": list(reminder.people),
            "topic": reminder.topic,
            "title": notice.title,
            "body": notice.body,
            "title_key": notice.title_key,
            "title_params": notice.title_params,
            "body_parts": notice.body_parts,
            "severity": reminder.severity.value,
            "link": reminder.link,
            "subject": reminder.subject,
        },
    )


def fire_reminders(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
    """The `clocks.remind` handler: one notification per reminder, keyed by the timer, queued as one batch."""
    letters = [
        Letter(
            Notice(
                topic=str(timer.payload["topic"]),
                severity=Severity(timer.payload["severity"]),
                title=str(timer.payload["title"]),
                body=str(timer.payload["body"]),
                key=f"reminder:{timer.id}",
                link=timer.payload.get("link"),
                subject=timer.payload.get("subject"),
                title_key=timer.payload.get("title_key"),
                title_params=timer.payload.get("title_params"),
                body_parts=timer.payload.get("body_parts"),
            ),
            tuple(int(person) for person in timer.payload["people"]),
        )
        for timer in due
    ]
    notify_each(session, letters, clock=FrozenClock(now))
