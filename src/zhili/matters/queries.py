"""Reads of the matter catalog: current matters, one matter's history, the definition a case runs on.

The catalog is public knowledge to every logged-in user (like the department kinds), so these
reads are not scoped.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.core.errors import NotFoundError
from zhili.core.prepared import Prepared
from zhili.matters.definition import MatterDefinition
from zhili.matters.models import MatterVersion
from zhili.matters.schemas import MatterRead, MatterSummary, MatterVersionRead, VersionRef


@lru_cache(maxsize=1024)
def parse_stored(definition_json: str) -> MatterDefinition:
    """A stored definition as a model; cached by its text, which never changes for a version."""
    return MatterDefinition.model_validate_json(definition_json)


def _ref(row: MatterVersion) -> VersionRef:
    return VersionRef(
        id=row.id,
        version=row.version,
        content_hash=row.content_hash,
        loaded_at=row.loaded_at,
        is_current=row.is_current,
        source="page" if row.source == "page" else "file",
        edited_by=row.edited_by,
        reason=row.reason,
    )


def _read(row: MatterVersion) -> MatterVersionRead:
    return MatterVersionRead(**_ref(row).model_dump(), code=row.code, definition=parse_stored(row.definition))


def list_current(session: Session) -> list[MatterSummary]:
    """The current version of every matter, by code."""
    rows = session.scalars(select(MatterVersion).where(MatterVersion.is_current).order_by(MatterVersion.code))
    summaries = []
    for row in rows:
        definition = parse_stored(row.definition)
        summaries.append(
            MatterSummary(
                code=row.code,
                name_zh=row.name_zh,
                name_en=row.name_en,
                lead_kind=definition.lead_kind,
                collaborator_kinds=list(definition.collaborator_kinds),
                handling_level=definition.handling_level,
                urgent=definition.urgent,
                is_default_assignment=definition.is_default_assignment,
                version=row.version,
                version_id=row.id,
            )
        )
    return summaries


def current_codes(session: Session) -> set[str]:
    """The codes of the catalog's matters (their current versions)."""
    return set(session.scalars(select(MatterVersion.code).where(MatterVersion.is_current)))


def current_names(session: Session) -> dict[str, tuple[str, str]]:
    """The catalog's matters' names (Chinese, English) by code, as their current versions have them."""
    rows = session.execute(
        select(MatterVersion.code, MatterVersion.name_zh, MatterVersion.name_en).where(MatterVersion.is_current)
    )
    return {code: (zh, en) for code, zh, en in rows}


def _current_row(session: Session, code: str) -> MatterVersion:
    row = session.scalar(select(MatterVersion).where(MatterVersion.code == code, MatterVersion.is_current))
    if row is None:
        raise NotFoundError(f"matter {code} not found")
    return row


def current_version(session: Session, code: str) -> MatterVersionRead:
    """The version a new case of this matter starts on, with its definition."""
    return _read(_current_row(session, code))


_CURRENT_REF = Prepared(
    select(
        MatterVersion.id,
        MatterVersion.version,
        MatterVersion.content_hash,
        MatterVersion.loaded_at,
        MatterVersion.is_current,
        MatterVersion.source,
        MatterVersion.edited_by,
        MatterVersion.reason,
    ).where(MatterVersion.code == bindparam("b_code"), MatterVersion.is_current)
)


def current_definition(session: Session, code: str) -> tuple[VersionRef, MatterDefinition]:
    """For opening a case: the current version (store its `id` on the case) and its definition.

    Which version is current is read every time (a reload may have moved it); its definition comes
    from the cache by content hash.
    """
    row = _CURRENT_REF.run(session, {"b_code": code}).first()
    if row is None:
        raise NotFoundError(f"matter {code} not found")
    ref = VersionRef(
        id=row.id,
        version=row.version,
        content_hash=row.content_hash,
        loaded_at=row.loaded_at,
        is_current=True,
        source="page" if row.source == "page" else "file",
        edited_by=row.edited_by,
        reason=row.reason,
    )
    return ref, definition_by_version_id(session, row.id, content_hash=row.content_hash)


def get_matter(session: Session, code: str) -> MatterRead:
    """A matter's newest version (the current one, unless the matter was withdrawn) and its history."""
    rows = list(
        session.scalars(select(MatterVersion).where(MatterVersion.code == code).order_by(MatterVersion.version.desc()))
    )
    if not rows:
        raise NotFoundError(f"matter {code} not found")
    shown = next((row for row in rows if row.is_current), rows[0])
    return MatterRead(code=code, latest=_read(shown), versions=[_ref(row) for row in rows])


def get_version(session: Session, code: str, version: int) -> MatterVersionRead:
    """One version of a matter, current or not."""
    row = session.scalar(select(MatterVersion).where(MatterVersion.code == code, MatterVersion.version == version))
    if row is None:
        raise NotFoundError(f"matter {code} has no version {version}")
    return _read(row)


def get_version_by_id(session: Session, version_id: int) -> MatterVersionRead:
    """The version a case stored when it started, whatever has been loaded since."""
    row = session.get(MatterVersion, version_id)
    if row is None:
        raise NotFoundError(f"matter version {version_id} not found")
    return _read(row)


def definition_at(session: Session, code: str, version: int) -> MatterDefinition:
    """The definition of one version of a matter."""
    return get_version(session, code, version).definition


# Parsed definitions by content hash: a hash names one definition, whatever database or version id
# it was read from, so entries never go stale. Bounded: the catalog holds a few hundred versions.
_BY_HASH: dict[str, MatterDefinition] = {}
_MAX_CACHED = 4096
_DEFINITION = select(MatterVersion.definition, MatterVersion.content_hash).where(MatterVersion.id == bindparam("b_id"))


def definition_by_version_id(session: Session, version_id: int, *, content_hash: str | None = None) -> MatterDefinition:
    """The definition a case runs on, by the MatterVersion id it stored.

    Given the version's content hash (a case reads it with its row), a definition seen before is
    returned without a query.
    """
    if content_hash is not None and (cached := _BY_HASH.get(content_hash)) is not None:
        return cached
    row = session.execute(_DEFINITION, {"b_id": version_id}).first()
    if row is None:
        raise NotFoundError(f"matter version {version_id} not found")
    definition = parse_stored(row.definition)
    if len(_BY_HASH) >= _MAX_CACHED:
        _BY_HASH.clear()
    _BY_HASH[row.content_hash] = definition
    return definition
