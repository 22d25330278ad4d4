"""Open311's writes: the clients' keys (administrators; audited) and a report made into a case.

A client is an app (a city's citizen app, a WeChat mini-program) that posts reports with its API key.
The key is shown once when the client is registered and stored as an HMAC digest keyed by the server
secret (`core.credentials.digest_token`), like the API tokens. A report acts as the client: a citizen
party with no person and no account (`client_actor`), so the case's timeline and the audit record
name the client (`open311:<id>:<name>`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.cases import location, photos
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case
from zhili.cases.store import StoredCase
from zhili.core import audit
from zhili.core.auth import Actor, Scope
from zhili.core.clock import Clock
from zhili.core.credentials import digest_token
from zhili.core.db import commit, deferred_commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.media import CheckedPhoto
from zhili.matters.definition import MatterDefinition
from zhili.open311.mapping import Report
from zhili.open311.models import Open311Client
from zhili.org.geo import LocatorCache
from zhili.org.models import Division

KEY_PREFIX = "o311_"
MAX_CLIENT_NAME = 80


@dataclass(frozen=True)
class ClientRef:
    """An active client, as a report acts for it."""

    id: int
    name: str


@dataclass(frozen=True)
class CreatedClient:
    """A client just registered, with its key in clear: shown once, never stored."""

    id: int
    name: str
    key: str


def new_key() -> str:
    """A random API key with a visible prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def client_actor(client: ClientRef) -> Actor:
    """The actor a client's reports act as: no roles, no scope, no person, no account (a citizen party)."""
    return Actor(
        username=f"open311:{client.id}:{client.name}",
        display_name=client.name,
        roles=frozenset(),
        scope=Scope(),
    )


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 0 < len(cleaned) <= MAX_CLIENT_NAME or not cleaned.isprintable():
        message = f"a client's name is 1 to {MAX_CLIENT_NAME} printable characters"
        raise InvalidInputError(message, errors=[{"field": "name", "message": message}])
    return cleaned


def create_client(session: Session, *, name: str, actor: Actor, clock: Clock, secret: str) -> CreatedClient:
    """Register a client and make its key (administrators); 409 when the name is taken."""
    actor.require_admin("register Open311 clients")
    cleaned = _clean_name(name)
    if session.scalar(select(Open311Client.id).where(Open311Client.name == cleaned)) is not None:
        message = f"an Open311 client named {cleaned} exists already"
        raise ConflictError(message, errors=[{"field": "name", "message": "is taken"}])
    key, now = new_key(), clock.now()
    row = Open311Client(
        name=cleaned,
        key_digest=digest_token(key, secret=secret),
        key_hint=f"{KEY_PREFIX}…{key[-4:]}",  # enough to tell keys apart; four characters of the secret at most
        is_active=True,
        created_by=actor.audit_name,
        created_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        message = f"an Open311 client named {cleaned} exists already"
        raise ConflictError(message, errors=[{"field": "name", "message": "is taken"}]) from exc
    after = {"name": row.name, "key_hint": row.key_hint, "state": "active"}
    audit.record_by(
        session, actor, "open311.client.created", entity_type="open311_client", entity_id=row.id, after=after, at=now
    )
    created = CreatedClient(row.id, row.name, key)
    commit(session)
    return created


def revoke_client(session: Session, *, client_id: int, actor: Actor, clock: Clock) -> None:
    """Revoke a client's key (administrators): its next report is a 403. Revoking twice changes nothing."""
    actor.require_admin("revoke Open311 clients")
    row = session.get(Open311Client, client_id)
    if row is None:
        message = f"Open311 client {client_id} not found"
        raise NotFoundError(message)
    if not row.is_active:
        return
    now = clock.now()
    row.is_active, row.revoked_by, row.revoked_at = False, actor.audit_name, now
    audit.record_by(
        session,
        actor,
        "open311.client.revoked",
        entity_type="open311_client",
        entity_id=row.id,
        before={"name": row.name, "state": "active"},
        after={"name": row.name, "state": "revoked"},
        at=now,
    )
    commit(session)


def client_for_key(session: Session, key: str | None, *, secret: str) -> ClientRef:
    """The active client a key belongs to; 403 for a missing, unknown or revoked key."""
    if not key:
        raise ForbiddenError("an api_key is required to post a service request")
    row = session.execute(
        select(Open311Client.id, Open311Client.name).where(
            Open311Client.key_digest == digest_token(key, secret=secret), Open311Client.is_active
        )
    ).first()
    if row is None:
        raise ForbiddenError("the api_key is unknown or revoked")
    return ClientRef(row.id, row.name)


def report(
    session: Session,
    *,
    given: Report,
    definition: MatterDefinition,
    attributes: dict[str, Any],
    photo: CheckedPhoto | None,
    client: ClientRef,
    clock: Clock,
    locators: LocatorCache,
    jurisdiction: str,
) -> StoredCase:
    """A client's report as a case (channel `open311`), its photo attached; one commit.

    The place must lie in the jurisdiction (衢州市 by default): a point elsewhere, or a place name
    naming none of its divisions, is refused (400) before anything is written.
    """
    actor = client_actor(client)
    point = Point(lon=given.lon, lat=given.lat) if given.lon is not None and given.lat is not None else None
    place_name = None if point is not None else given.address
    try:
        location.resolve_within(session, locators, point=point, place=place_name, jurisdiction=jurisdiction)
    except location.OutsideJurisdictionError as refused:
        area = session.scalar(select(Division.name).where(Division.code == jurisdiction)) or jurisdiction
        field = "lat" if point is not None else "address_string"  # GeoReport's own field names
        message = f"the location lies outside {area}, the area this service covers"
        raise InvalidInputError(message, errors=[{"field": field, "message": message}]) from refused
    try:
        data = CaseCreate(
            matter=definition.code,
            point=point,
            place=place_name,
            address=given.address,
            description=given.description or definition.name_zh,
            attributes=attributes,
            channel="open311",
            reporter_name=given.reporter_name,
            reporter_phone=given.reporter_phone,
        )
    except ValidationError as exc:
        errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInputError("the report is not valid", errors=errors) from exc
    with deferred_commit(session):
        case = report_case(session, data=data, actor=actor, clock=clock, locators=locators)
        if photo is not None:
            photos.attach_to_report(session, case=case, data=photo, actor=actor, clock=clock)
    commit(session)
    return case
