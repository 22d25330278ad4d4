"""Open311's reads: the catalog as services, public service requests, the keys' list for administrators.

Open311 reads are public (no login): the matter catalog is public knowledge, and a service request
shows only what GeoReport v2 allows of a case, never who reported it. Which cases are public is a
setting (`ZHILI_OPEN311_PUBLIC_CHANNELS`: by default the reports that came in through Open311 itself),
so the cases staff file, warnings about firms and hotline calls stay inside. These reads therefore
apply no actor's scope; the key list is for administrators.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from zhili.cases.models import Case, CaseEvent, CasePhoto, CollaborationRequest
from zhili.cases.states import CaseStatus, CommandKind
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.matters import queries as matters
from zhili.matters.definition import MatterDefinition
from zhili.matters.models import MatterVersion
from zhili.open311.mapping import CLOSED_STATUSES, RequestFilter, RequestRow
from zhili.open311.models import Open311Client
from zhili.org.models import Department, DepartmentKind, Division

OPEN311_UPLOADER = "open311:"
"""How the photos a client sent with its report are named as uploaded (`open311:<id>:<name>`): the public ones."""
CLOSED = tuple(status.value for status in CLOSED_STATUSES)
OPEN = tuple(status.value for status in CaseStatus if status not in CLOSED_STATUSES)


def changeset(session: Session) -> datetime | None:
    """When the catalog last changed (the newest version loaded): discovery's `changeset`."""
    return session.scalar(select(func.max(MatterVersion.loaded_at)))


@dataclass(frozen=True)
class Service:
    """A current matter with the name of its lead kind (the service's group)."""

    definition: MatterDefinition
    group_zh: str
    group_en: str


def services(session: Session) -> list[Service]:
    """Every current matter, by code, with its lead kind's name (the kinds: a small table, read whole)."""
    kinds = {
        code: (zh, en)
        for code, zh, en in session.execute(select(DepartmentKind.code, DepartmentKind.name_zh, DepartmentKind.name_en))
    }
    rows = session.scalars(
        select(MatterVersion.definition).where(MatterVersion.is_current).order_by(MatterVersion.code)
    )
    found = []
    for text in rows:
        definition = matters.parse_stored(text)
        zh, en = kinds.get(definition.lead_kind, (definition.lead_kind, definition.lead_kind))
        found.append(Service(definition, zh, en))
    return found


def definition(session: Session, code: str) -> MatterDefinition:
    """The current definition of a service (matter); 404 for an unknown or withdrawn code."""
    return matters.current_definition(session, code)[1]


def _public(channels: Sequence[str]) -> ColumnElement[bool]:
    return Case.channel.in_(list(channels))


def requests(session: Session, where: RequestFilter, *, channels: Sequence[str]) -> list[RequestRow]:
    """The public requests matching the filter, newest first, one page: one query (a second for helpers)."""
    lead = aliased(Department)
    grid = aliased(Division)
    photo = (
        select(func.min(CasePhoto.id))
        .where(CasePhoto.case_id == Case.id, CasePhoto.uploaded_by.startswith(OPEN311_UPLOADER, autoescape=True))
        .scalar_subquery()
    )
    reply = (
        select(CaseEvent.details)
        .where(CaseEvent.case_id == Case.id, CaseEvent.kind == CommandKind.REPLY.value)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.matter_code,
            MatterVersion.name_zh,
            MatterVersion.name_en,
            Case.description,
            lead.name.label("lead_name"),
            Case.created_at,
            Case.updated_at,
            Case.closed_at,
            Case.phase_due_at,
            Case.address,
            Case.lon,
            Case.lat,
            photo.label("photo_id"),
            reply.label("reply"),
            Case.reject_reason,
            Case.last_reason,
            Case.grid_code,
            grid.name.label("grid_name"),
            Case.rating,
        )
        .join(MatterVersion, MatterVersion.id == Case.matter_version_id)
        .join(lead, lead.id == func.coalesce(Case.lead_unit_id, Case.routed_unit_id), isouter=True)
        .join(grid, grid.code == Case.grid_code, isouter=True)
        .where(*_conditions(where, channels))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(where.page_size)
        .offset((where.page - 1) * where.page_size)
    )
    rows: dict[int, RequestRow] = {}
    for row in session.execute(stmt):
        rows[row.id] = RequestRow(
            number=row.number,
            status=row.status,
            matter_code=row.matter_code,
            matter_name_zh=row.name_zh,
            matter_name_en=row.name_en,
            description=row.description,
            lead_unit=row.lead_name,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            due_at=row.phase_due_at,
            address=row.address,
            lon=row.lon,
            lat=row.lat,
            photo_id=row.photo_id,
            reply=_reply_text(row.reply),
            reason=row.reject_reason if row.status == CaseStatus.REJECTED else row.last_reason,
            rejected_for=row.reject_reason,
            grid_code=row.grid_code,
            grid_name=row.grid_name,
            rating=row.rating,
        )
    if where.extensions and rows:
        helpers = _collaborating_units(session, list(rows))
        rows = {case_id: replace(row, collaborating_units=helpers.get(case_id, ())) for case_id, row in rows.items()}
    return list(rows.values())


def _conditions(where: RequestFilter, channels: Sequence[str]) -> list[ColumnElement[bool]]:
    conditions = [_public(channels)]
    if where.numbers:  # ids override every other filter
        return [*conditions, Case.number.in_(where.numbers)]
    if where.service_codes:
        conditions.append(Case.matter_code.in_(where.service_codes))
    if where.statuses and set(where.statuses) != {"open", "closed"}:
        conditions.append(Case.status.in_(CLOSED if where.statuses == ("closed",) else OPEN))
    if where.start is not None:
        conditions.append(Case.created_at >= where.start)
    if where.end is not None:
        conditions.append(Case.created_at <= where.end)
    if where.updated_after is not None:
        conditions.append(Case.updated_at >= where.updated_after)
    if where.updated_before is not None:
        conditions.append(Case.updated_at <= where.updated_before)
    return conditions


def _reply_text(details: dict[str, Any] | None) -> str | None:
    """The text of the lead's latest reply (办理反馈), from its timeline line."""
    text = (details or {}).get("text")
    return text.strip() or None if isinstance(text, str) else None


def _collaborating_units(session: Session, case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The units asked to help on each case (协同部门), by name: one query for the page."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(CollaborationRequest.case_id, Department.name)
        .join(Department, Department.id == CollaborationRequest.unit_id)
        .where(CollaborationRequest.case_id.in_(case_ids))
        .order_by(CollaborationRequest.case_id, CollaborationRequest.id)
    )
    for case_id, name in rows:
        found[case_id].append(name)
    return {case_id: tuple(names) for case_id, names in found.items()}


def request(session: Session, number: str, *, channels: Sequence[str], extensions: bool) -> RequestRow:
    """One public request by its number; 404 when there is none (or it is not public)."""
    found = requests(session, RequestFilter(numbers=(number,), extensions=extensions), channels=channels)
    if not found:
        raise NotFoundError(f"service request {number} not found")
    return found[0]


def public_photo(session: Session, photo_id: int, *, channels: Sequence[str]) -> CasePhoto:
    """A photo a client sent with a public report (its `media_url`); 404 for any other."""
    found = session.scalars(
        select(CasePhoto)
        .join(Case, Case.id == CasePhoto.case_id)
        .where(
            CasePhoto.id == photo_id,
            CasePhoto.uploaded_by.startswith(OPEN311_UPLOADER, autoescape=True),
            _public(channels),
        )
    ).first()
    if found is None:
        raise NotFoundError(f"media {photo_id} not found")
    return found


# ---- the keys (administrators) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientInfo:
    """A client as the key list shows it: never the key, only its first characters."""

    id: int
    name: str
    key_hint: str
    is_active: bool
    created_by: str
    created_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None


def list_clients(session: Session, actor: Actor) -> list[ClientInfo]:
    """Every client, active first, newest first (administrators only)."""
    actor.require_admin("see the Open311 clients")
    rows = session.scalars(
        select(Open311Client).order_by(Open311Client.is_active.desc(), Open311Client.created_at.desc())
    )
    return [
        ClientInfo(
            id=row.id,
            name=row.name,
            key_hint=row.key_hint,
            is_active=row.is_active,
            created_by=row.created_by,
            created_at=row.created_at,
            revoked_by=row.revoked_by,
            revoked_at=row.revoked_at,
        )
        for row in rows
    ]
