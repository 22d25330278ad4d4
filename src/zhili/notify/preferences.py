"""My channel preferences: which of e-mail and SMS reach me, from which severity, and my quiet hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import NotFoundError
from zhili.notify.kinds import PERSONAL_CHANNELS, Channel, Severity
from zhili.notify.models import ChannelPreference
from zhili.notify.schemas import PreferenceRead, PreferencesUpdate
from zhili.notify.service import DEFAULT_MIN_SEVERITY
from zhili.notify.sms import masked
from zhili.org.models import Person


def _person(session: Session, actor: Actor) -> Person:
    person = session.get(Person, actor.person_id) if actor.person_id is not None else None
    if person is None:
        raise NotFoundError("this login is not linked to a person, so it has no notification preferences")
    return person


def _destination(person: Person, channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        return person.email
    return masked(person.phone) if person.phone else None


def _rows(session: Session, person_id: int) -> dict[str, ChannelPreference]:
    stmt = select(ChannelPreference).where(ChannelPreference.person_id == person_id)
    return {row.channel: row for row in session.scalars(stmt)}


def _read(person: Person, rows: dict[str, ChannelPreference]) -> list[PreferenceRead]:
    found = []
    for channel in PERSONAL_CHANNELS:
        row = rows.get(channel.value)
        found.append(
            PreferenceRead(
                channel=channel.value,
                is_enabled=row.is_enabled if row else True,
                min_severity=Severity(row.min_severity) if row else DEFAULT_MIN_SEVERITY[channel],
                quiet_start=row.quiet_start if row else None,
                quiet_end=row.quiet_end if row else None,
                destination=_destination(person, channel),
                is_default=row is None,
            )
        )
    return found


def read_preferences(session: Session, actor: Actor) -> list[PreferenceRead]:
    """My settings per channel (the defaults where I chose nothing: e-mail for all, SMS for red)."""
    person = _person(session, actor)
    return _read(person, _rows(session, person.id))


def set_preferences(session: Session, *, actor: Actor, data: PreferencesUpdate, clock: Clock) -> list[PreferenceRead]:
    """Change my settings for the channels given; recorded in the audit trail."""
    person = _person(session, actor)
    rows = _rows(session, person.id)
    now = clock.now()
    before = {name: _state(row) for name, row in rows.items()}
    for item in data.channels:
        row = rows.get(item.channel)
        if row is None:
            row = ChannelPreference(person_id=person.id, channel=item.channel)
            session.add(row)
            rows[item.channel] = row
        row.is_enabled = item.is_enabled
        row.min_severity = item.min_severity.value
        row.quiet_start, row.quiet_end = item.quiet_start, item.quiet_end
        row.updated_at = now
    after = {name: _state(row) for name, row in rows.items()}
    audit.record_by(
        session,
        actor,
        "notify.preferences.changed",
        entity_type="person",
        entity_id=person.id,
        at=now,
        before=before,
        after=after,
    )
    commit(session)
    return _read(person, rows)


def _state(row: ChannelPreference) -> dict[str, Any]:
    return {
        "is_enabled": row.is_enabled,
        "min_severity": row.min_severity,
        "quiet_start": row.quiet_start,
        "quiet_end": row.quiet_end,
    }
