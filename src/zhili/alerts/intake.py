"""Receiving a CAP alert, whichever way it came (HTTP, feed, CLI): parse, de-duplicate, store, resolve, fire.

The same (sender, identifier) twice is one row and the same answer. An Update marks what it
references as updated; a Cancel, or an Update saying AllClear, ends them, records that on what they
fired and tells the centres. A refused message is kept for inspection (`alert_refusals`) before
its refusal is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.alerts import firing
from zhili.alerts.cap import parse_alert
from zhili.alerts.message import Alert, MsgType
from zhili.alerts.models import AlertDivision, AlertRecord, AlertRefusal
from zhili.alerts.resolve import resolve_divisions
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import DomainError, ForbiddenError
from zhili.org.roles import Role

Source = Literal["http", "feed", "cli"]
RECEIVING_ROLES = frozenset({Role.ADMIN, Role.CENTRE_STAFF})
KEPT_REFUSED_BYTES = 65_536
_DECLARED = re.compile(rb"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True, slots=True)
class Receipt:
    """What receiving a message came to: the stored alert, and whether it was new."""

    alert_id: int
    is_new: bool


def require_receiver(actor: Actor) -> None:
    """Only the centres and administrators (and the system's own intake) hand in alerts."""
    if not actor.has_any_role(RECEIVING_ROLES):
        raise ForbiddenError(
            "only a social governance centre or an administrator may hand in alerts",
            message_key="forbidden.alerts_intake",
        )


def ingest(session: Session, *, data: bytes, source: Source, source_detail: str, actor: Actor, clock: Clock) -> Receipt:
    """Parse and receive a CAP document; a refused one is kept (`alert_refusals`) and its refusal raised."""
    require_receiver(actor)
    try:
        alert = parse_alert(data)
    except DomainError as refused:
        record_refusal(
            session,
            data=data,
            reason=refused.detail,
            source=source,
            source_detail=source_detail,
            actor=actor,
            clock=clock,
        )
        raise
    return receive_alert(
        session, alert=alert, data=data, source=source, source_detail=source_detail, actor=actor, clock=clock
    )


def record_refusal(
    session: Session, *, data: bytes, reason: str, source: Source, source_detail: str, actor: Actor, clock: Clock
) -> int:
    """Keep a refused message's reason and first 64 KB for inspection; audited; committed."""
    now = clock.now()
    refusal = AlertRefusal(
        received_at=now,
        source=source,
        source_detail=source_detail[:500],
        received_by=actor.audit_name,
        reason=reason[:4000],
        raw=data[:KEPT_REFUSED_BYTES].decode("utf-8", errors="replace"),
    )
    session.add(refusal)
    session.flush()
    after = {"source": source, "detail": source_detail[:200], "reason": reason[:500], "bytes": len(data)}
    audit.record_by(
        session, actor, "alert.refused", entity_type="alert_refusal", entity_id=refusal.id, at=now, after=after
    )
    commit(session)
    return refusal.id


def receive_alert(
    session: Session, *, alert: Alert, data: bytes, source: Source, source_detail: str, actor: Actor, clock: Clock
) -> Receipt:
    """Store a parsed alert once per (sender, identifier), resolve its areas, apply its references, fire rules."""
    require_receiver(actor)
    if (found := _find(session, alert.sender, alert.identifier)) is not None:
        return Receipt(found, is_new=False)
    now = clock.now()
    divisions = resolve_divisions(session, alert.areas)
    outside = sorted(d.code for d in divisions if not actor.write_scope.reaches_unit(d.code, None))
    if outside:  # its rules would act there with the system's rights: the area's own centre, or an administrator
        raise ForbiddenError(
            f"the alert covers places outside your area ({', '.join(outside[:5])}); it is not received",
            message_key="forbidden.alert_outside",
        )
    record = _record(alert, _text(data), source=source, source_detail=source_detail, actor=actor, now=now)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # the same message received at the same moment elsewhere: theirs won
        session.rollback()
        if (found := _find(session, alert.sender, alert.identifier)) is not None:
            return Receipt(found, is_new=False)
        raise
    if divisions:
        rows = [{"alert_id": record.id, "division_code": d.code, "how": d.how.value} for d in divisions]
        session.execute(insert(AlertDivision), rows)
    referenced = _apply_references(session, record, alert, actor=actor, now=now)
    after = {
        "sender": alert.sender,
        "identifier": alert.identifier,
        "status": alert.status.value,
        "msg_type": alert.msg_type.value,
        "source": source,
        "divisions": [d.code for d in divisions],
        "references": referenced,
    }
    audit.record_by(session, actor, "alert.received", entity_type="alert", entity_id=record.id, at=now, after=after)
    if alert.ends_referenced and referenced:
        firing.end_firings(session, ended=referenced, by=record, clock=clock)
    commit(session)
    firing.fire_rules(session, record=record, alert=alert, divisions=[d.code for d in divisions], clock=clock)
    return Receipt(record.id, is_new=True)


def _find(session: Session, sender: str, identifier: str) -> int | None:
    return session.scalar(
        select(AlertRecord.id).where(AlertRecord.sender == sender, AlertRecord.identifier == identifier)
    )


def _apply_references(session: Session, record: AlertRecord, alert: Alert, *, actor: Actor, now: datetime) -> list[int]:
    """Mark the still-active alerts this one references (same drill flag) updated, cancelled or ended; audited."""
    if not alert.references or alert.msg_type not in {MsgType.UPDATE, MsgType.CANCEL}:
        return []
    # Only the sender's own alerts: one sender never cancels or ends another's.
    pairs = {(ref.sender, ref.identifier) for ref in alert.references if ref.sender == alert.sender}
    if not pairs:
        return []
    candidates = session.execute(
        select(AlertRecord.id, AlertRecord.sender, AlertRecord.identifier).where(
            AlertRecord.sender.in_({s for s, _ in pairs}),
            AlertRecord.identifier.in_({i for _, i in pairs}),
            AlertRecord.is_drill.is_(alert.is_drill),  # an exercise never ends a real alert
            AlertRecord.state == "active",
        )
    )
    ids = [row.id for row in candidates if (row.sender, row.identifier) in pairs]
    if not ids:
        return []
    state = "cancelled" if alert.msg_type is MsgType.CANCEL else "ended" if alert.is_all_clear else "updated"
    session.execute(
        update(AlertRecord).where(AlertRecord.id.in_(ids)).values(state=state, ended_at=now, ended_by_id=record.id)
    )
    for alert_id in ids:
        audit.record_by(
            session,
            actor,
            f"alert.{state}",
            entity_type="alert",
            entity_id=alert_id,
            at=now,
            before={"state": "active"},
            after={"state": state, "ended_by_id": record.id},
        )
    return ids


def _record(alert: Alert, raw: str, *, source: Source, source_detail: str, actor: Actor, now: datetime) -> AlertRecord:
    info = alert.main_info()
    return AlertRecord(
        sender=alert.sender,
        identifier=alert.identifier,
        sent=alert.sent,
        status=alert.status.value,
        msg_type=alert.msg_type.value,
        scope=alert.scope.value,
        cap_references=" ".join(f"{r.sender},{r.identifier},{r.sent}" for r in alert.references),
        note=alert.note,
        infos=list(alert.infos),
        event=(info.event if info else "")[:200],
        headline=(info.headline if info else "")[:300],
        severity=info.severity.value if info else "Unknown",
        urgency=info.urgency.value if info else "Unknown",
        certainty=info.certainty.value if info else "Unknown",
        area_desc="；".join(dict.fromkeys(area.description for area in (info.areas if info else ()))),
        expires=info.expires if info else None,
        is_drill=alert.is_drill,
        state="active",
        raw_xml=raw,
        source=source,
        source_detail=source_detail[:500],
        received_at=now,
        received_by=actor.audit_name,
    )


def _text(data: bytes) -> str:
    """The document as text for keeping: UTF-8, else the encoding its XML declaration names (GB 18030 often)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        declared = _DECLARED.match(data)
        try:
            return data.decode(declared.group(1).decode("ascii") if declared else "gb18030")
        except (LookupError, UnicodeDecodeError):
            return data.decode("utf-8", errors="replace")
