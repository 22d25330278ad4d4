"""Versions of the detector configuration: the newest is in force; every run names the version it used.

The first version is the packaged default (`detect.config.load_default()`), stored the first time anyone asks.
An administrator saves a new version (on `/admin/detectors` or by API); old versions are never
changed, so a warning can always be read against the settings that raised it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError
from zhili.early_warning.detect.config import DetectorConfig, load_default
from zhili.early_warning.models import DetectorConfigVersion


def current(session: Session, *, now: datetime) -> tuple[int, DetectorConfig]:
    """The configuration in force and its version id (the default is stored as version 1 if none is)."""
    found = session.scalars(select(DetectorConfigVersion).order_by(DetectorConfigVersion.id.desc()).limit(1)).first()
    if found is None:
        found = DetectorConfigVersion(
            config=load_default().model_dump(mode="json"),
            note="默认配置 / the default",
            created_at=now,
            created_by="system",
        )
        session.add(found)
        session.flush()
    return found.id, DetectorConfig.model_validate(found.config)


def history(session: Session) -> list[DetectorConfigVersion]:
    """Every version, newest first."""
    return list(session.scalars(select(DetectorConfigVersion).order_by(DetectorConfigVersion.id.desc())))


def save(session: Session, *, actor: Actor, clock: Clock, config: dict[str, Any], note: str) -> int:
    """Store a new version (administrators); a configuration that does not validate is a 422 naming the field."""
    actor.require_admin("change the early-warning detectors")
    try:
        checked = DetectorConfig.model_validate(config)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInputError("the detector configuration is not valid", errors=errors) from exc
    now = clock.now()
    row = DetectorConfigVersion(
        config=checked.model_dump(mode="json"), note=note[:200], created_at=now, created_by=actor.audit_name
    )
    session.add(row)
    session.flush()
    audit.record_by(
        session,
        actor,
        "early_warning.detectors.saved",
        entity_type="detector_config",
        entity_id=row.id,
        after={"note": note[:200]},
        at=now,
    )
    commit(session)
    return row.id
