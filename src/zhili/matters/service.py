"""Loading the catalog into the database: a changed file becomes a new version, the old one stays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.audit import AuditEntry
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError
from zhili.matters.catalog import canonical_json, content_hash, load_catalog
from zhili.matters.definition import MatterDefinition
from zhili.matters.models import MatterVersion
from zhili.matters.schemas import SyncReport


def sync_catalog(
    session: Session, *, actor: Actor, clock: Clock, definitions: Sequence[MatterDefinition] | None = None
) -> SyncReport:
    """Bring the stored versions in line with the catalog files (or the given definitions).

    A new code becomes version 1; a changed definition becomes version N+1 and the previous one
    stays, no longer current (cases keep the version they started on); a code whose file is gone
    is withdrawn (no version current). Administrators only; one audit record per change.
    """
    if not actor.is_admin:
        raise ForbiddenError("only administrators may reload the matter catalog")
    loaded = list(definitions) if definitions is not None else load_catalog()
    codes = [definition.code for definition in loaded]
    if len(codes) != len(set(codes)):
        raise InvalidInputError("each matter code may appear only once in the catalog")
    now = clock.now()
    try:
        report, changes = _apply(session, loaded, actor=actor, at=now)
    except IntegrityError as exc:
        # Two reloads at once both compute version N+1; the unique (code, version) lets one win.
        session.rollback()
        raise ConflictError("the matter catalog was reloaded at the same time; try again") from exc
    audit.record_many(session, changes, at=now)
    commit(session)
    return report


def _apply(
    session: Session, loaded: Sequence[MatterDefinition], *, actor: Actor, at: datetime
) -> tuple[SyncReport, list[AuditEntry]]:
    latest = _latest_versions(session)
    report = SyncReport()
    changes: list[AuditEntry] = []
    for definition in loaded:
        change = _sync_one(session, definition, latest.get(definition.code), report=report, at=at)
        if change:
            changes.append(_entry(actor, definition.code, *change))
    codes = {definition.code for definition in loaded}
    for code, row in sorted(latest.items()):
        if code not in codes and row.is_current:
            row.is_current = False
            report.withdrawn.append(code)
            changes.append(_entry(actor, code, "withdrawn", _state(row), None))
    session.flush()
    return report, changes


Change = tuple[str, dict[str, object] | None, dict[str, object] | None]


def _sync_one(
    session: Session, definition: MatterDefinition, latest: MatterVersion | None, *, report: SyncReport, at: datetime
) -> Change | None:
    digest = content_hash(definition)
    if latest is not None and latest.content_hash == digest:
        if latest.is_current:
            report.unchanged.append(definition.code)
            return None
        latest.is_current = True
        report.restored.append(definition.code)
        return "restored", None, _state(latest)
    version = 1 if latest is None else latest.version + 1
    if latest is not None:
        # Flushed before the insert: the partial unique index allows one current version per code.
        session.execute(update(MatterVersion).where(MatterVersion.id == latest.id).values(is_current=False))
    row = MatterVersion(
        code=definition.code,
        version=version,
        content_hash=digest,
        definition=canonical_json(definition),
        name_zh=definition.name_zh,
        name_en=definition.name_en,
        loaded_at=at,
        is_current=True,
    )
    session.add(row)
    if latest is None:
        report.added.append(definition.code)
        return "added", None, _state(row)
    report.new_versions[definition.code] = version
    return "versioned", _state(latest), _state(row)


def _latest_versions(session: Session) -> dict[str, MatterVersion]:
    newest = select(MatterVersion.code, func.max(MatterVersion.version).label("version")).group_by(MatterVersion.code)
    newest_sub = newest.subquery()
    stmt = select(MatterVersion).join(
        newest_sub, (MatterVersion.code == newest_sub.c.code) & (MatterVersion.version == newest_sub.c.version)
    )
    return {row.code: row for row in session.scalars(stmt)}


def _state(row: MatterVersion) -> dict[str, object]:
    return {"version": row.version, "content_hash": row.content_hash}


def _entry(
    actor: Actor, code: str, what: str, before: dict[str, object] | None, after: dict[str, object] | None
) -> AuditEntry:
    return AuditEntry(
        actor=actor.audit_name,
        role=actor.audit_role,
        action=f"matters.matter.{what}",
        entity_type="matter",
        entity_id=code,
        before=before,
        after=after,
    )
