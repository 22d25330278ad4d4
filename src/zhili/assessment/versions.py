"""Versions of the assessment model: which one a month is scored by, and saving a new one.

The packaged default is stored as the first version (in force from 2000-01) the first time anyone
asks. An administrator saves a new version in force from a chosen month on; a month that is closed
in any county cannot be chosen, and closed months keep their frozen scores whatever comes later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.assessment.model import AssessmentModel, load_default, parse
from zhili.assessment.models import AssessmentClose, AssessmentModelVersion
from zhili.assessment.period import Month
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError

FIRST_MONTH = "2000-01"


@dataclass(frozen=True)
class Version:
    """A stored version: its id, the month it applies from, the model, and who saved it why."""

    id: int
    effective_from: str
    model: AssessmentModel
    note: str
    created_at: datetime
    created_by: str


def _version(row: AssessmentModelVersion) -> Version:
    model = AssessmentModel.model_validate(json.loads(row.definition))
    return Version(row.id, row.effective_from, model, row.note, row.created_at, row.created_by)


def ensure_stored(session: Session, now: datetime) -> None:
    """Store the packaged default as the first version unless a version is stored (writers only)."""
    if session.scalar(select(AssessmentModelVersion.id).limit(1)) is None:
        session.add(
            AssessmentModelVersion(
                effective_from=FIRST_MONTH,
                definition=load_default().model_dump_json(),
                note="默认模型 / the default model",
                created_at=now,
                created_by="system",
            )
        )
        session.flush()


def for_month(session: Session, month: Month, *, now: datetime) -> Version:
    """The version a month is scored by: the newest in force from that month or earlier.

    Before any version is stored (the first close or save stores it), the packaged default, id 0.
    """
    row = session.scalars(
        select(AssessmentModelVersion)
        .where(AssessmentModelVersion.effective_from <= str(month))
        .order_by(AssessmentModelVersion.effective_from.desc(), AssessmentModelVersion.id.desc())
        .limit(1)
    ).first()
    if row is None:  # a month before the first version (or none stored yet): the first one
        row = session.scalars(select(AssessmentModelVersion).order_by(AssessmentModelVersion.id).limit(1)).first()
    return _version(row) if row is not None else _packaged(now)


def _packaged(now: datetime) -> Version:
    return Version(0, FIRST_MONTH, load_default(), "默认模型 / the default model", now, "system")


def history(session: Session, *, now: datetime) -> list[Version]:
    """Every version, newest first (the packaged default alone before any is stored)."""
    rows = session.scalars(select(AssessmentModelVersion).order_by(AssessmentModelVersion.id.desc()))
    return [_version(row) for row in rows] or [_packaged(now)]


def latest_closed(session: Session) -> str | None:
    """The latest month closed in any county."""
    return session.scalar(select(AssessmentClose.month).order_by(AssessmentClose.month.desc()).limit(1))


def save(
    session: Session, *, actor: Actor, clock: Clock, values: dict[str, Any], effective_from: str, note: str
) -> Version:
    """Store a new version in force from `effective_from` (administrators); never over a closed month."""
    actor.require_admin("change the assessment model")
    month = Month.parse(effective_from, field="effective_from")
    closed = latest_closed(session)
    if closed is not None and str(month) <= closed:
        raise InvalidInputError(
            f"{closed} is closed; a new model applies from a later month",
            errors=[{"field": "effective_from", "message": f"after {closed}"}],
        )
    model = parse(values)
    now = clock.now()
    ensure_stored(session, now)
    row = AssessmentModelVersion(
        effective_from=str(month),
        definition=model.model_dump_json(),
        note=note.strip()[:200],
        created_at=now,
        created_by=actor.audit_name,
    )
    session.add(row)
    session.flush()
    audit.record_by(
        session,
        actor,
        "assessment.model.saved",
        entity_type="assessment_model",
        entity_id=row.id,
        after={"effective_from": str(month), "note": row.note},
        at=now,
    )
    commit(session)
    return _version(row)
