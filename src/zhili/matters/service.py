"""Writing the catalog: a changed file, or an administrator's edit on a matter's page, becomes a new version.

The version before stays, for the cases running on it (ADR 0006). A reload compares each file with
the last version loaded from that file, so a page edit stays current until its file changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.audit import AuditEntry
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, error_path
from zhili.matters.catalog import References, canonical_json, content_hash, load_catalog, reference_problems
from zhili.matters.definition import LEAD_COLLABORATOR, MatterDefinition, lead_collaborator_rule
from zhili.matters.models import SOURCE_FILE, SOURCE_PAGE, MatterVersion
from zhili.matters.schemas import MatterEdit, SyncReport
from zhili.org import links


def sync_catalog(
    session: Session, *, actor: Actor, clock: Clock, definitions: Sequence[MatterDefinition] | None = None
) -> SyncReport:
    """Bring the stored versions in line with the catalog files (or the given definitions).

    A new code becomes version 1; a changed definition becomes version N+1 and the previous one
    stays, no longer current (cases keep the version they started on); a code whose file is gone
    is withdrawn (no version current). Administrators only; one audit record per change.
    """
    if not actor.is_admin:
        raise ForbiddenError("only administrators may reload the matter catalog", message_key="forbidden.admin_only")
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
    file_hashes = _last_file_hashes(session)
    report = SyncReport()
    changes: list[AuditEntry] = []
    for definition in loaded:
        code = definition.code
        change = _sync_one(session, definition, latest.get(code), file_hashes.get(code), report=report, at=at)
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
    session: Session,
    definition: MatterDefinition,
    latest: MatterVersion | None,
    last_file_hash: str | None,
    *,
    report: SyncReport,
    at: datetime,
) -> Change | None:
    digest = content_hash(definition)
    # A page edit stands while its file is as it was when last loaded; a file changed since wins.
    edited = latest is not None and latest.source == SOURCE_PAGE
    if latest is not None and (last_file_hash == digest if edited else latest.content_hash == digest):
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
    row = _current_version(definition, version, at=at, source=SOURCE_FILE)
    session.add(row)
    if latest is None:
        report.added.append(definition.code)
        return "added", None, _state(row)
    report.new_versions[definition.code] = version
    after = _state(row)
    if edited:
        report.superseded[definition.code] = latest.version
        after["superseded_page_edit"] = latest.version
    return "versioned", _state(latest), after


def _current_version(definition: MatterDefinition, version: int, *, at: datetime, source: str) -> MatterVersion:
    """A new current version row of `definition`, stored canonically with its content hash."""
    return MatterVersion(
        code=definition.code,
        version=version,
        content_hash=content_hash(definition),
        definition=canonical_json(definition),
        name_zh=definition.name_zh,
        name_en=definition.name_en,
        loaded_at=at,
        is_current=True,
        source=source,
    )


def _latest_versions(session: Session) -> dict[str, MatterVersion]:
    newest = select(MatterVersion.code, func.max(MatterVersion.version).label("version")).group_by(MatterVersion.code)
    newest_sub = newest.subquery()
    stmt = select(MatterVersion).join(
        newest_sub, (MatterVersion.code == newest_sub.c.code) & (MatterVersion.version == newest_sub.c.version)
    )
    return {row.code: row for row in session.scalars(stmt)}


def _last_file_hashes(session: Session) -> dict[str, str]:
    """Per code, the hash of the file its newest file-loaded version came from: that version's content hash."""
    newest = (
        select(MatterVersion.code, func.max(MatterVersion.version).label("version"))
        .where(MatterVersion.source == SOURCE_FILE)
        .group_by(MatterVersion.code)
        .subquery()
    )
    stmt = select(MatterVersion.code, MatterVersion.content_hash).join(
        newest, (MatterVersion.code == newest.c.code) & (MatterVersion.version == newest.c.version)
    )
    return dict(session.execute(stmt).all())


def _state(row: MatterVersion) -> dict[str, object]:
    return {"version": row.version, "content_hash": row.content_hash, "source": row.source}


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


def edit_matter(session: Session, *, code: str, data: MatterEdit, actor: Actor, clock: Clock) -> MatterVersion:
    """Save an administrator's change to a matter's limits or assignment as version N+1, now current.

    Version N stays for the cases running on it. `data.version` is the version the edit was made
    on: when another edit or a reload has made a newer one since, the edit is refused (409) rather
    than silently undoing it. Validated as a whole definition, with errors by field (422).
    """
    actor.require_admin("edit the matter catalog")
    current = session.scalar(select(MatterVersion).where(MatterVersion.code == code, MatterVersion.is_current))
    if current is None:
        raise NotFoundError(f"matter {code} not found")
    if current.version != data.version:
        raise ConflictError(
            f"matter {code} is at version {current.version} now, not {data.version}: reload the page and edit again"
        )
    before = MatterDefinition.model_validate_json(current.definition)
    after = _edited(before, data, _references(session))
    changed = _changes(before, after)
    if not changed:
        raise InvalidInputError(
            "the edit changes nothing", errors=[{"field": "body", "message": "the edit changes nothing"}]
        )
    now = clock.now()
    row = _current_version(after, current.version + 1, at=now, source=SOURCE_PAGE)
    row.edited_by, row.reason = actor.display_name[:120], data.reason
    try:
        # Flushed before the insert: the partial unique index allows one current version per code.
        session.execute(update(MatterVersion).where(MatterVersion.id == current.id).values(is_current=False))
        session.add(row)
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"matter {code} was changed at the same time; reload the page and edit again") from exc
    before_state: dict[str, object] = {"version": current.version}
    after_state: dict[str, object] = {"version": row.version, "reason": data.reason}
    for name, (old, new) in changed.items():
        before_state[name], after_state[name] = old, new
    audit.record_by(
        session,
        actor,
        "matters.matter.edited",
        entity_type="matter",
        entity_id=code,
        before=before_state,
        after=after_state,
        at=now,
    )
    commit(session)
    return row


def _references(session: Session) -> References:
    items = {item.code: item.kind_code for item in links.enforcement_items(session, kind=None)}
    return References(frozenset(kind.code for kind in links.department_kinds(session)), items)


def _edited(before: MatterDefinition, data: MatterEdit, references: References) -> MatterDefinition:
    raw = before.model_dump(mode="json")
    if data.limits is not None:
        for level, phases in data.limits.items():
            raw["limits"][level.value] = {phase.value: limit.model_dump(mode="json") for phase, limit in phases.items()}
    if data.lead_kind is not None:
        raw["lead_kind"] = data.lead_kind
    if data.collaborator_kinds is not None:
        raw["collaborator_kinds"] = data.collaborator_kinds
    problems: list[dict[str, str]] = []
    broken = lead_collaborator_rule(raw["lead_kind"], raw["collaborator_kinds"])
    if broken is not None:  # said even when other fields are refused, which keeps the rule from running
        problems.append({"field": broken.field, "message": str(broken)})
    try:
        after = MatterDefinition.model_validate(raw)
    except ValidationError as exc:
        problems += [
            {"field": error_path(error["loc"], error.get("ctx")), "message": error["msg"].removeprefix("Value error, ")}
            for error in exc.errors()
            if LEAD_COLLABORATOR not in error["msg"]  # said above, by its field
        ]
        raise InvalidInputError(f"the edit is not valid: {problems}", errors=problems) from exc
    for problem in reference_problems(after, references):
        field = "lead_kind" if problem.field == "enforcement_item" else problem.field
        problems.append({"field": field, "message": problem.message})
    if problems:
        raise InvalidInputError(f"the edit is not valid: {problems}", errors=problems)
    return after


def _changes(before: MatterDefinition, after: MatterDefinition) -> dict[str, tuple[object, object]]:
    """What the edit changed, by field (limits by `level.phase`), as (before, after) JSON values."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    changed: dict[str, tuple[object, object]] = {}
    for name in ("lead_kind", "collaborator_kinds"):
        if old[name] != new[name]:
            changed[name] = (old[name], new[name])
    for level in sorted(set(old["limits"]) | set(new["limits"])):
        for phase in sorted(set(old["limits"].get(level, {})) | set(new["limits"].get(level, {}))):
            was, now = old["limits"].get(level, {}).get(phase), new["limits"].get(level, {}).get(phase)
            if was != now:
                changed[f"limits.{level}.{phase}"] = (was, now)
    return changed
