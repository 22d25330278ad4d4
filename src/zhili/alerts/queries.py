"""Reads of alerts, through `alerts.visibility`: the list, one alert with its divisions and firings, the rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.alerts.models import AlertDivision, AlertFiring, AlertRecord, AlertRule
from zhili.alerts.schemas import AlertDetail, AlertReceipt, AlertSummary, DivisionRead, FiringRead, RuleRead
from zhili.alerts.standing import standing
from zhili.alerts.visibility import require_reader, visible_alerts
from zhili.command_groups.models import CommandGroup
from zhili.command_groups.queries import group_number
from zhili.command_groups.visibility import visible_groups
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.org.models import Division


def _summary(record: AlertRecord, now: datetime) -> AlertSummary:
    summary = AlertSummary.model_validate(record, from_attributes=True)
    return summary.model_copy(
        update={"standing": standing(record.state, sent=record.sent, expires=record.expires, now=now)}
    )


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    drill: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AlertSummary]:
    """The alerts the actor reads, newest received first; `drill` keeps only drills (True) or real ones (False)."""
    require_reader(actor)
    statement = select(AlertRecord).where(visible_alerts(actor)).order_by(AlertRecord.id.desc()).limit(limit + 1)
    if drill is not None:
        statement = statement.where(AlertRecord.is_drill.is_(drill))
    if cursor:
        (last,) = decode_cursor(cursor, (Key.INT,))
        statement = statement.where(AlertRecord.id < last)
    rows = session.scalars(statement).all()
    items = [_summary(row, now) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([items[-1].id]) if more and items else None)


def alert_detail(session: Session, actor: Actor, alert_id: int, *, now: datetime) -> AlertDetail:
    """One alert the actor reads, with its words, divisions and firings; 404 when out of reach."""
    require_reader(actor)
    record = session.scalars(select(AlertRecord).where(AlertRecord.id == alert_id, visible_alerts(actor))).first()
    if record is None:
        raise NotFoundError("alert not found")
    divisions = session.execute(
        select(AlertDivision.division_code, Division.name, AlertDivision.how)
        .join(Division, Division.code == AlertDivision.division_code)
        .where(AlertDivision.alert_id == alert_id)
        .order_by(AlertDivision.division_code)
    )
    return AlertDetail.model_validate(
        {
            **_summary(record, now).model_dump(),
            "scope": record.scope,
            "urgency": record.urgency,
            "certainty": record.certainty,
            "references": record.cap_references,
            "note": record.note,
            "ended_at": record.ended_at,
            "ended_by_id": record.ended_by_id,
            "received_by": record.received_by,
            "infos": record.infos,
            "divisions": [DivisionRead(code=c, name=n, how=h) for c, n, h in divisions],
            "firings": firings_of(session, actor, alert_id),
            "links": {"self": f"/api/v1/alerts/{alert_id}", "page": f"/alerts/{alert_id}"},
        }
    )


def receipt(session: Session, alert_id: int, *, now: datetime) -> AlertReceipt:
    """What handing in an alert answers (unscoped: the one who handed it in may not reach its divisions)."""
    record = session.get(AlertRecord, alert_id)
    if record is None:
        raise NotFoundError("alert not found")
    divisions = session.scalars(
        select(AlertDivision.division_code)
        .where(AlertDivision.alert_id == alert_id)
        .order_by(AlertDivision.division_code)
    )
    return AlertReceipt(
        id=record.id,
        sender=record.sender,
        identifier=record.identifier,
        status=record.status,
        msg_type=record.msg_type,
        is_drill=record.is_drill,
        state=record.state,
        sent=record.sent,
        standing=standing(record.state, sent=record.sent, expires=record.expires, now=now),
        divisions=list(divisions),
        firings=firings_of(session, None, alert_id),
        links={"self": f"/api/v1/alerts/{alert_id}", "page": f"/alerts/{alert_id}"},
    )


def firings_of(session: Session, actor: Actor | None, alert_id: int) -> list[FiringRead]:
    """The rules an alert fired, in order, with what each did.

    For an actor, those that acted on places related to their scope (inside or above it, as
    `visible_alerts` decides for the alert; an administrator reads them all); None: every one.
    """
    rows = session.execute(
        select(AlertFiring, AlertRule.name, CommandGroup.opened_at)
        .join(AlertRule, AlertRule.id == AlertFiring.rule_id)
        .outerjoin(CommandGroup, CommandGroup.id == AlertFiring.group_id)
        .where(AlertFiring.alert_id == alert_id)
        .order_by(AlertFiring.id)
    )
    prefixes = None if actor is None or actor.scope.is_everything else list(actor.scope.division_prefixes)
    return [
        FiringRead(
            id=f.id,
            rule_id=f.rule_id,
            rule_name=name,
            fired_at=f.fired_at,
            is_drill=f.is_drill,
            outcome=f.outcome,
            divisions=list(f.divisions),
            campaign_id=f.campaign_id,
            campaign_number=f.campaign_number,
            group_id=f.group_id,
            group_number=group_number(f.group_id, opened_at) if f.group_id and opened_at else None,
            detail=f.detail,
            cancelled_at=f.cancelled_at,
        )
        for f, name, opened_at in rows
        if prefixes is None or _related(list(f.divisions), prefixes)
    ]


def readable_groups(session: Session, actor: Actor, firings: list[FiringRead]) -> set[int]:
    """The groups the firings opened that the actor may open (a county centre does not see the city's group)."""
    ids = [f.group_id for f in firings if f.group_id is not None]
    if not ids:
        return set()
    return set(session.scalars(select(CommandGroup.id).where(CommandGroup.id.in_(ids), visible_groups(actor))))


def _related(divisions: list[str], prefixes: list[str]) -> bool:
    """A firing whose divisions lie inside or above one of the scope's blocks (one over no division: nobody's)."""
    return any(code.startswith(prefix) or prefix.startswith(code) for code in divisions for prefix in prefixes)


def raw_xml(session: Session, actor: Actor, alert_id: int) -> str:
    """The message as received, for an alert the actor reads."""
    require_reader(actor)
    found = session.scalar(select(AlertRecord.raw_xml).where(AlertRecord.id == alert_id, visible_alerts(actor)))
    if found is None:
        raise NotFoundError("alert not found")
    return found


def list_rules(session: Session) -> list[RuleRead]:
    """Every trigger rule, active first, by name (administrators manage them; the CLI lists them)."""
    rows = session.scalars(select(AlertRule).order_by(AlertRule.is_active.desc(), AlertRule.name))
    return [RuleRead.model_validate(rule) for rule in rows]
