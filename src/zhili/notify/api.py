"""The notification API: my inbox (and its live stream), my preferences, the delivery log, webhook endpoints.

/api/v1/inbox is the caller's own; /api/v1/notify/preferences too; the delivery log and the
webhook endpoints under /api/v1/notify are for administrators.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from zhili.core.auth import CurrentActor
from zhili.core.errors import NotFoundError
from zhili.core.http import ClockDep, DbSession, run_in_write_session, services
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import MAX_ID, Id, IdPath, id_in
from zhili.notify import deliveries, inbox, preferences, stream, webhooks
from zhili.notify.kinds import Status
from zhili.notify.schemas import (
    DeliveredChannel,
    DeliveryDetail,
    DeliveryRead,
    InboxItemRead,
    MarkedRead,
    PreferenceRead,
    PreferencesUpdate,
    UnreadCount,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
)
from zhili.web import sse

inbox_router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])
router = APIRouter(prefix="/api/v1/notify", tags=["notify"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried POST safe")]


@inbox_router.get("")
def list_inbox(
    session: DbSession,
    actor: CurrentActor,
    unread: bool = False,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[InboxItemRead]:
    """My notifications, newest first (only the unread ones with `unread=true`)."""
    return inbox.list_inbox(session, actor, is_unread=unread, cursor=cursor, limit=limit)


@inbox_router.get("/unread-count")
def unread_count(session: DbSession, actor: CurrentActor) -> UnreadCount:
    """How many of my notifications are unread."""
    return inbox.unread_count(session, actor)


@inbox_router.post("/{item_id}/read")
async def mark_read(item_id: IdPath, request: Request, actor: CurrentActor, clock: ClockDep) -> InboxItemRead:
    """Mark one of my notifications read (404 for anyone else's)."""
    return await run_in_write_session(
        request, lambda session: inbox.mark_read(session, item_id=item_id, actor=actor, clock=clock)
    )


@inbox_router.post("/read-all")
async def mark_all_read(
    request: Request,
    actor: CurrentActor,
    clock: ClockDep,
    up_to: Annotated[Id | None, Query(description="only items up to this id: what the page showed")] = None,
) -> MarkedRead:
    """Mark all my unread notifications read."""
    return await run_in_write_session(
        request, lambda session: inbox.mark_all_read(session, actor=actor, clock=clock, up_to=up_to)
    )


@inbox_router.get("/stream", response_class=StreamingResponse, responses=sse.OPENAPI_RESPONSES)
async def stream_inbox(
    request: Request,
    actor: CurrentActor,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="send items after this id")] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: `notification` for each new item, `unread` when the count changes, heartbeats.

    A reconnecting EventSource sends `Last-Event-ID` and continues after it; without it, or
    `after`, the stream starts from now.
    """
    if actor.person_id is None:
        raise NotFoundError("this login is not linked to a person, so it has no inbox")
    found = services(request)
    if last_event_id is not None and (last_seen := id_in(last_event_id)) is not None:
        after = last_seen
    if after is None:
        after = await run_in_threadpool(stream.starting_point, found.read_sessions, actor.person_id)
    events = stream.inbox_events(request, found, person_id=actor.person_id, after_id=after)
    return sse.response(events)


@router.get("/preferences")
def read_preferences(session: DbSession, actor: CurrentActor) -> list[PreferenceRead]:
    """My e-mail and SMS settings (the defaults where I chose nothing: e-mail for all, SMS for red)."""
    return preferences.read_preferences(session, actor)


@router.put("/preferences")
def set_preferences(
    body: PreferencesUpdate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> list[PreferenceRead]:
    """Change my settings: on or off, the lowest severity sent, quiet hours (red ignores them)."""
    return preferences.set_preferences(session, actor=actor, data=body, clock=clock)


@router.get("/deliveries")
def list_deliveries(
    session: DbSession,
    actor: CurrentActor,
    status: Status | None = None,
    channel: DeliveredChannel | None = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DeliveryRead]:
    """The delivery log, newest first (administrators)."""
    return deliveries.list_deliveries(session, actor, status=status, channel=channel, cursor=cursor, limit=limit)


@router.get("/deliveries/{outbox_id}")
def get_delivery(outbox_id: IdPath, session: DbSession, actor: CurrentActor) -> DeliveryDetail:
    """One message with every attempt (administrators)."""
    return deliveries.delivery_detail(session, actor, outbox_id)


@router.post("/deliveries/{outbox_id}/retry")
def retry_delivery(outbox_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> DeliveryDetail:
    """Give a message that was given up one more attempt, now (administrators)."""
    return deliveries.retry_delivery(session, outbox_id=outbox_id, actor=actor, clock=clock)


@router.get("/webhooks")
def list_webhooks(session: DbSession, actor: CurrentActor) -> list[WebhookRead]:
    """Every webhook endpoint, secrets never shown (administrators)."""
    return webhooks.list_webhooks(session, actor)


@router.post("/webhooks", status_code=201, response_model=WebhookRead)
def create_webhook(
    body: WebhookCreate,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add a receiver: generic JSON or a DingTalk robot (administrators)."""
    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", "/api/v1/notify/webhooks", body.model_dump(mode="json")),
        now=clock.now(),
        create=lambda: webhooks.to_read(webhooks.create_webhook(session, actor=actor, data=body, clock=clock)),
    )


@router.get("/webhooks/{endpoint_id}")
def get_webhook(endpoint_id: IdPath, session: DbSession, actor: CurrentActor) -> WebhookRead:
    """One webhook endpoint (administrators)."""
    return webhooks.to_read(webhooks.get_webhook(session, actor, endpoint_id))


@router.patch("/webhooks/{endpoint_id}")
def update_webhook(
    endpoint_id: IdPath, body: WebhookUpdate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> WebhookRead:
    """Change a webhook endpoint; the secret can be replaced or cleared, never read (administrators)."""
    endpoint = webhooks.update_webhook(session, endpoint_id=endpoint_id, actor=actor, data=body, clock=clock)
    return webhooks.to_read(endpoint)


@router.delete("/webhooks/{endpoint_id}", status_code=204)
def delete_webhook(endpoint_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> Response:
    """Remove a webhook endpoint; its waiting messages are given up (administrators)."""
    webhooks.delete_webhook(session, endpoint_id=endpoint_id, actor=actor, clock=clock)
    return Response(status_code=204)
