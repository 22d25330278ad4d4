"""The alert API: hand in a CAP 1.2 message (`POST /api/v1/alerts`), list and read alerts.

The body is the CAP XML itself (`application/cap+xml`, `application/xml` or `text/xml`), at most
`cap.MAX_BYTES`. A refused message is answered with a problem naming each wrong element (and kept
for inspection); the same message twice is one alert, answered the same.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from zhili.alerts import intake, queries
from zhili.alerts.cap import MAX_BYTES, CapTooLargeError, parse_alert
from zhili.alerts.schemas import AlertDetail, AlertReceipt, AlertSummary
from zhili.core.auth import CurrentActor
from zhili.core.errors import DomainError
from zhili.core.http import ClockDep, DbSession, read_declared_body
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
CAP_BODY = {
    "requestBody": {
        "required": True,
        "content": {kind: {"schema": {"type": "string", "description": "a CAP 1.2 <alert>"}} for kind in CAP_TYPES},
    }
}
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried post safe")]


async def _cap_body(request: Request, actor: CurrentActor, content_type: Annotated[str, Header()] = "") -> bytes:
    """The body of someone who may hand in alerts (403 first), declared as XML (415), read up to the limit (413)."""
    intake.require_receiver(actor)
    return await read_declared_body(
        request,
        content_type,
        media_types=CAP_TYPES,
        what="a CAP 1.2 document",
        limit=MAX_BYTES,
        too_large=CapTooLargeError,
    )


CapBody = Annotated[bytes, Depends(_cap_body)]


@router.post(
    "",
    status_code=201,
    response_model=AlertReceipt,
    openapi_extra=CAP_BODY,
    responses={201: {"headers": {"Location": {"description": "the alert", "schema": {"type": "string"}}}}},
)
def post_alert(
    actor: CurrentActor,
    data: CapBody,
    session: DbSession,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Hand in a CAP 1.2 alert (centres and administrators): stored once, resolved to divisions, rules fired."""
    intake.require_receiver(actor)
    source_detail = actor.audit_name
    try:
        alert = parse_alert(data)
    except DomainError as refused:
        intake.record_refusal(
            session,
            data=data,
            reason=refused.detail,
            source="http",
            source_detail=source_detail,
            actor=actor,
            clock=clock,
        )
        raise

    def create() -> AlertReceipt:
        receipt = intake.receive_alert(
            session, alert=alert, data=data, source="http", source_detail=source_detail, actor=actor, clock=clock
        )
        return queries.receipt(session, receipt.alert_id, now=clock.now())

    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", "/api/v1/alerts", hashlib.sha256(data).hexdigest()),
        now=clock.now(),
        create=create,
        location=lambda created: f"/api/v1/alerts/{created['id']}",
    )


@router.get("")
def list_alerts(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    drill: Annotated[bool | None, Query(description="true: drills only; false: real alerts only")] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[AlertSummary]:
    """The alerts you read (centres: over your divisions; administrators: all), newest first."""
    return queries.list_alerts(session, actor, now=clock.now(), drill=drill, cursor=cursor, limit=limit)


@router.get("/{alert_id}")
def get_alert(alert_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> AlertDetail:
    """One alert: its words, the divisions it resolved to, the rules it fired and what they did."""
    return queries.alert_detail(session, actor, alert_id, now=clock.now())


@router.get("/{alert_id}/cap.xml", response_class=PlainTextResponse)
def get_alert_xml(alert_id: IdPath, session: DbSession, actor: CurrentActor) -> PlainTextResponse:
    """The message exactly as it was received (as a download: a browser never renders what a sender wrote)."""
    headers = {"Content-Disposition": f'attachment; filename="alert-{alert_id}.xml"'}
    return PlainTextResponse(
        queries.raw_xml(session, actor, alert_id), media_type="application/cap+xml", headers=headers
    )
