"""Webhook endpoints, kept by administrators: add, change, remove; the secret goes in and never comes out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.core import audit, shared_reads
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, NotFoundError
from zhili.core.redact import masked_url
from zhili.notify.kinds import Severity, WebhookFormat
from zhili.notify.models import WebhookEndpoint
from zhili.notify.schemas import WebhookCreate, WebhookRead, WebhookUpdate


def redacted_url(url: str) -> str:
    """A URL as pages, the API and the audit record show it: a robot's `access_token=…9f3a`, other parameters plain."""
    return masked_url(url)


def to_read(endpoint: WebhookEndpoint) -> WebhookRead:
    """How the API shows an endpoint."""
    return WebhookRead(
        id=endpoint.id,
        name=endpoint.name,
        url=redacted_url(endpoint.url),
        format=WebhookFormat(endpoint.format),
        has_secret=bool(endpoint.secret),
        topics=endpoint.topics,
        min_severity=Severity(endpoint.min_severity),
        is_enabled=endpoint.is_enabled,
        created_at=endpoint.created_at,
    )


def list_webhooks(session: Session, actor: Actor) -> list[WebhookRead]:
    """Every endpoint (administrators only)."""
    actor.require_admin("see webhook endpoints")
    return [to_read(e) for e in session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))]


def get_webhook(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint (administrators only; 404 when there is none)."""
    actor.require_admin("see webhook endpoints")
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError("webhook endpoint not found")
    return endpoint


def create_webhook(session: Session, *, actor: Actor, data: WebhookCreate, clock: Clock) -> WebhookEndpoint:
    """Add an endpoint; from now on matching notifications are queued for it."""
    actor.require_admin("add webhook endpoints")
    endpoint = WebhookEndpoint(
        name=data.name,
        url=str(data.url),
        format=data.format.value,
        secret=data.secret,
        topics=data.topics,
        min_severity=data.min_severity.value,
        is_enabled=data.is_enabled,
        created_at=clock.now(),
    )
    session.add(endpoint)
    _flush(session)
    _audit(session, actor, "created", endpoint, before=None, after=_state(endpoint), clock=clock)
    shared_reads.forget(session)
    commit(session)
    return endpoint


def update_webhook(
    session: Session, *, endpoint_id: int, actor: Actor, data: WebhookUpdate, clock: Clock
) -> WebhookEndpoint:
    """Change an endpoint; fields left out stay as they are."""
    endpoint = get_webhook(session, actor, endpoint_id)
    before = _state(endpoint)
    changes = data.model_dump(exclude_unset=True, exclude={"clear_secret"})
    for field, value in changes.items():
        if value is not None:
            setattr(endpoint, field, str(value) if field in {"url", "format", "min_severity"} else value)
    if data.clear_secret:
        endpoint.secret = None
    _flush(session)
    _audit(session, actor, "changed", endpoint, before=before, after=_state(endpoint), clock=clock)
    shared_reads.forget(session)
    commit(session)
    return endpoint


def delete_webhook(session: Session, *, endpoint_id: int, actor: Actor, clock: Clock) -> None:
    """Remove an endpoint; its messages still waiting are given up when they come due."""
    endpoint = get_webhook(session, actor, endpoint_id)
    _audit(session, actor, "deleted", endpoint, before=_state(endpoint), after=None, clock=clock)
    session.delete(endpoint)
    shared_reads.forget(session)
    commit(session)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError("a webhook endpoint of that name exists") from exc


def _state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    # The secret is never written to the audit record either; only whether there is one.
    return {**to_read(endpoint).model_dump(mode="json", exclude={"id", "created_at"})}


def _audit(
    session: Session,
    actor: Actor,
    what: str,
    endpoint: WebhookEndpoint,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    clock: Clock,
) -> None:
    audit.record_by(
        session,
        actor,
        f"notify.webhook.{what}",
        entity_type="webhook_endpoint",
        entity_id=endpoint.id,
        at=clock.now(),
        before=before,
        after=after,
    )
