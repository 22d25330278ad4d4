"""Notification pages: my inbox (live), my channel preferences, and the delivery log for administrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.http import ClockDep, DbSession, run_in_write_session
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath, id_in
from zhili.notify import deliveries, inbox, preferences, webhooks
from zhili.notify.channels import failure_kind
from zhili.notify.kinds import PERSONAL_CHANNELS, SEVERITY_ORDER, Status
from zhili.notify.schemas import DeliveredChannel, PreferencesUpdate
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox_page(request: Request, session: DbSession, actor: PageActor, cursor: CursorQuery = None) -> Response:
    """My notifications, newest first; new ones appear while the page is open."""
    page = inbox.list_inbox(session, actor, cursor=cursor, limit=50, language=renderer(request).language(request))
    context = {
        "actor": actor,
        "page": page,
        "unread": inbox.unread_count(session, actor).unread,
        "newest_id": inbox.latest_item_id(session, actor.person_id) if actor.person_id is not None else 0,
        "has_person": actor.person_id is not None,
    }
    return renderer(request).render(request, "notify/inbox.html", context)


@router.post("/inbox/{item_id}/open")
async def open_item(request: Request, item_id: IdPath, actor: PageActor, clock: ClockDep) -> Response:
    """Mark the item read and go where it points (a page of this app), else back to the inbox.

    Every hand-off's notice is opened here: its write takes the write path (on SQLite, the group commit).
    """
    item = await run_in_write_session(
        request, lambda session: inbox.mark_read(session, item_id=item_id, actor=actor, clock=clock)
    )
    link = item.link or ""
    target = link if link.startswith("/") and not link.startswith("//") else "/inbox"
    return RedirectResponse(target, status_code=303)


@router.post("/inbox/read-all")
async def read_all(request: Request, actor: PageActor, clock: ClockDep) -> Response:
    """Mark everything the page showed as read."""
    raw = (await request.form()).get("up_to")
    up_to = id_in(raw) if isinstance(raw, str) else None
    await run_in_write_session(
        request, lambda session: inbox.mark_all_read(session, actor=actor, clock=clock, up_to=up_to)
    )
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox/preferences")
def preferences_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """My e-mail and SMS settings and quiet hours."""
    return _preferences(request, session, actor, errors=FormErrors(), status_code=200)


@router.post("/inbox/preferences")
async def save_preferences(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Save the preferences form; a wrong value shows the form again with the reasons."""
    form = await request.form()
    return await run_in_threadpool(_save, request, form, session, actor, clock)


# Body paths of the preferences (channels in the form's order) → the form's inputs (`sms_quiet_start` …).
_INPUTS = {
    f"channels.{n}.{name}": f"{channel.value}_{name}"
    for n, channel in enumerate(PERSONAL_CHANNELS)
    for name in ("min_severity", "quiet_start", "quiet_end")
}
_CHOICES = frozenset(f"{channel.value}_min_severity" for channel in PERSONAL_CHANNELS)


def _save(request: Request, form: FormData, session: Session, actor: Actor, clock: Clock) -> Response:
    typed = [_channel_from(form, c.value) for c in PERSONAL_CHANNELS]
    try:
        data = PreferencesUpdate.model_validate({"channels": typed})
    except ValidationError as exc:
        errors = form_errors(exc, renderer(request).language(request), _INPUTS, choices=_CHOICES)
        return _preferences(request, session, actor, errors=errors, status_code=422, typed=typed)
    preferences.set_preferences(session, actor=actor, data=data, clock=clock)
    return RedirectResponse("/inbox/preferences?saved=1", status_code=303)


def _channel_from(form: FormData, channel: str) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = form.get(f"{channel}_{name}")
        return value.strip() or None if isinstance(value, str) else None

    return {
        "channel": channel,
        "is_enabled": form.get(f"{channel}_enabled") == "on",
        "min_severity": text("min_severity") or "info",
        "quiet_start": text("quiet_start"),
        "quiet_end": text("quiet_end"),
    }


def _preferences(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: FormErrors,
    status_code: int,
    typed: list[dict[str, Any]] | None = None,
) -> Response:
    """The form: what is on record, or what was typed when it was refused, each reason by its input."""
    stored = preferences.read_preferences(session, actor)
    shown = [p.model_copy(update=t) for p, t in zip(stored, typed, strict=True)] if typed else stored
    context = {
        "actor": actor,
        "preferences": shown,
        "severities": [s.value for s in SEVERITY_ORDER],
        "errors": errors,
        "saved": request.query_params.get("saved") == "1",
    }
    return renderer(request).render(request, "notify/preferences.html", context, status_code=status_code)


@router.get("/admin/deliveries")
def deliveries_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    status: Status | None = None,
    channel: DeliveredChannel | None = None,
    cursor: CursorQuery = None,
) -> Response:
    """The delivery log: counts per channel and status, the newest messages, the webhook endpoints."""
    page = deliveries.list_deliveries(session, actor, status=status, channel=channel, cursor=cursor, limit=50)
    context = {
        "actor": actor,
        "page": page,
        "recipients": deliveries.recipient_names(session, page.items),
        "failure_kind": failure_kind,
        "counts": deliveries.status_counts(session, actor),
        "endpoints": webhooks.list_webhooks(session, actor),
        "status": status.value if status else None,
        "channel": channel,
        "statuses": [s.value for s in Status],
    }
    return renderer(request).render(request, "notify/deliveries.html", context)


@router.get("/admin/deliveries/{outbox_id}")
def delivery_page(request: Request, outbox_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One message and every attempt to deliver it."""
    detail = deliveries.delivery_detail(session, actor, outbox_id)
    recipient = deliveries.recipient_names(session, [detail]).get(detail.id)
    context = {"actor": actor, "delivery": detail, "recipient": recipient, "failure_kind": failure_kind}
    return renderer(request).render(request, "notify/delivery.html", context)


@router.post("/admin/deliveries/{outbox_id}/retry")
async def retry(outbox_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Give a message that was given up one more attempt."""
    await run_in_threadpool(deliveries.retry_delivery, session, outbox_id=outbox_id, actor=actor, clock=clock)
    return RedirectResponse(f"/admin/deliveries/{outbox_id}", status_code=303)
