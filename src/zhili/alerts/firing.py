"""Firing trigger rules for a stored alert, once per (rule, alert); and recording the end of what an alert fired.

Each rule fires in a transaction of its own, as the system actor `alerts` (the name the audit
record shows): a drill alert records a `drill` firing and sends nothing; an update of an alert that
already fired the rule records `covered` with the earlier campaign; otherwise the campaign template
is dispatched to the divisions through `campaigns.dispatch.service` (its `source_key` names the
alert and rule, so a retry is the same campaign) and/or a command group is opened. A cancellation
never closes a campaign: it is recorded on the firing and the centres are told.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.alerts.message import Alert, Category, Certainty, Severity, Urgency
from zhili.alerts.models import AlertFiring, AlertRecord, AlertRule
from zhili.alerts.rules import RuleSpec, scope_of
from zhili.alerts.standing import ACTIVE, standing
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign, preview_campaign
from zhili.command_groups.groups import AREA_LEVELS, BODY_LENGTH, GroupOpen, open_group
from zhili.command_groups.lifecycle import MemberRole
from zhili.command_groups.members import NewMember
from zhili.core import audit
from zhili.core.auth import Actor, system_actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import DomainError
from zhili.notify.kinds import Severity as NoticeSeverity
from zhili.notify.service import notify
from zhili.notify.wording import Name, Param, Words
from zhili.org.division_code import DivisionCode, codes_of, common_ancestor
from zhili.org.models import Position
from zhili.org.roles import Role

ACTOR_NAME = "alerts"


def rule_spec(rule: AlertRule) -> RuleSpec:
    """A stored rule as the values the pure matcher takes."""
    return RuleSpec(
        id=rule.id,
        event_match=rule.event_match,
        category=Category(rule.category) if rule.category else None,
        min_severity=Severity(rule.min_severity),
        min_urgency=Urgency(rule.min_urgency) if rule.min_urgency else None,
        min_certainty=Certainty(rule.min_certainty) if rule.min_certainty else None,
        areas=tuple(rule.areas),
    )


def fire_rules(
    session: Session, *, record: AlertRecord, alert: Alert, divisions: Sequence[str], clock: Clock
) -> list[int]:
    """Fire every active rule the alert matches and has not fired yet; the ids of the firings made.

    An alert no longer in force when it is received fires nothing: past its `expires`, or, without one,
    past `standing.UNDATED_FOR` after it was sent (an old message delivered late is kept, not acted on).
    """
    if standing(ACTIVE, sent=record.sent, expires=record.expires, now=clock.now()) != ACTIVE:
        return []
    rules = session.scalars(select(AlertRule).where(AlertRule.is_active.is_(True)).order_by(AlertRule.id)).all()
    fired = set(session.scalars(select(AlertFiring.rule_id).where(AlertFiring.alert_id == record.id)))
    made: list[int] = []
    for rule in rules:
        scope = scope_of(rule_spec(rule), alert, divisions)
        if scope is None or rule.id in fired:
            continue
        firing_id = _fire(session, rule=rule, record=record, alert=alert, scope=scope, clock=clock)
        if firing_id is not None:
            made.append(firing_id)
    return made


def _fire(
    session: Session, *, rule: AlertRule, record: AlertRecord, alert: Alert, scope: list[str], clock: Clock
) -> int | None:
    actor = system_actor(ACTOR_NAME)
    now = clock.now()
    firing = AlertFiring(
        rule_id=rule.id, alert_id=record.id, fired_at=now, is_drill=record.is_drill, divisions=scope, detail=""
    )
    earlier = _earlier_firing(session, rule.id, record)
    if earlier is not None:
        firing.outcome, firing.campaign_id, firing.group_id = "covered", earlier.campaign_id, earlier.group_id
        firing.campaign_number = earlier.campaign_number
        firing.detail = f"firing {earlier.id} of alert {earlier.alert_id} stands"
    elif record.is_drill:
        firing.outcome = "drill"
        firing.detail = f"{record.status}: drill mode, nothing sent"
    else:
        firing.outcome = "dispatched"
    session.add(firing)
    try:
        session.flush()
    except IntegrityError:  # fired at the same moment elsewhere
        session.rollback()
        return None
    if firing.outcome == "dispatched":
        _act(session, firing=firing, rule=rule, record=record, alert=alert, actor=actor, clock=clock)
        _tell_centres(session, firing=firing, rule=rule, record=record, clock=clock)
    _audit(session, actor, firing, rule)
    commit(session)
    return firing.id


def _act(
    session: Session,
    *,
    firing: AlertFiring,
    rule: AlertRule,
    record: AlertRecord,
    alert: Alert,
    actor: Actor,
    clock: Clock,
) -> None:
    """Dispatch the campaign and/or open the group; a refusal is recorded on the firing, never raised."""
    problems: list[str] = []
    if rule.campaign_template:
        data = CampaignCreate(
            template=rule.campaign_template,
            divisions=list(firing.divisions),
            title=(record.headline or record.event or rule.name)[:120],
            message=_message(alert)[:2000],
            source_key=f"cap:{record.id}:rule:{rule.id}",
        )
        try:
            if preview_campaign(session, data=data, actor=actor).total == 0:
                problems.append("the campaign's scope reaches nobody")
            else:
                campaign = dispatch_campaign(session, data=data, actor=actor, clock=clock)
                firing.campaign_id, firing.campaign_number = campaign.id, campaign.number
        except DomainError as refused:
            problems.append(f"campaign: {refused.detail}")
    if rule.open_group:
        try:
            firing.group_id = _open_group(session, firing=firing, record=record, alert=alert, actor=actor, clock=clock)
        except DomainError as refused:
            problems.append(f"command group: {refused.detail}")
    if problems:
        firing.detail = "; ".join(problems)[:2000]
        if firing.campaign_id is None and firing.group_id is None:
            firing.outcome = "failed"


def _centres_over(divisions: Sequence[str]) -> Select[int]:
    """The centre staff of the divisions and of every level above them (a county's, the city's)."""
    codes = {code.value for division in divisions for code in DivisionCode(division).lineage}
    return select(Position.person_id).where(Position.role == Role.CENTRE_STAFF.value, Position.division_code.in_(codes))


def _tell_centres(session: Session, *, firing: AlertFiring, rule: AlertRule, record: AlertRecord, clock: Clock) -> None:
    """Tell the centres over the fired divisions what the rule did (or could not do), linking the alert's page."""
    said: dict[str, Param] = {"rule": rule.name, "event": record.headline or record.event or record.identifier}
    body: list[Words] = []
    if firing.campaign_number:
        body.append(Words("notice.alert.fired_campaign", {"campaign": firing.campaign_number}))
    if firing.group_id is not None:
        body.append(Words("notice.alert.fired_group"))
    if firing.outcome == "failed" or firing.detail:
        body.append(Words("notice.alert.fired_failed"))
    notify(
        session,
        recipients=_centres_over(firing.divisions),
        topic="alert.fired",
        severity=NoticeSeverity.RED if firing.outcome == "failed" else NoticeSeverity.YELLOW,
        title=Words("notice.alert.fired", said),
        body=body,
        key=f"alert:{record.id}:rule:{rule.id}:fired",
        clock=clock,
        link=f"/alerts/{record.id}",
    )


def _open_group(
    session: Session, *, firing: AlertFiring, record: AlertRecord, alert: Alert, actor: Actor, clock: Clock
) -> int:
    area = common_ancestor(codes_of(firing.divisions))
    if area is None or area.level not in AREA_LEVELS:
        raise _wide(firing.divisions)
    commander = _centre_person(session, area)
    members = [NewMember(commander, MemberRole.COMMANDER)] if commander is not None else []
    data = GroupOpen(
        title=(record.headline or record.event)[:120] or "预警响应",
        summary=_group_summary(record, alert),
        area=area.value,
        campaign_id=firing.campaign_id,
        members=members,
    )
    return open_group(session, data=data, actor=actor, clock=clock)


def _group_summary(record: AlertRecord, alert: Alert) -> str:
    """What the members read first (and in the notice that they joined): who warned, and the alert's own words."""
    info = alert.main_info()
    sender = (info.sender_name if info is not None else "") or record.sender
    words = [part for part in (info.description, info.instruction) if part] if info is not None else []
    return "\n\n".join([f"由{sender}发布的预警触发。", *words])[:BODY_LENGTH]


def _wide(divisions: Sequence[str]) -> DomainError:
    return DomainError(f"a command group is opened over one city or finer, not {', '.join(divisions)}")


def _centre_person(session: Session, area: DivisionCode) -> int | None:
    """The person who commands for the area: a centre post of its county, else of its city."""
    for code in reversed(area.lineage):
        found = session.scalar(
            select(Position.person_id)
            .where(Position.role == Role.CENTRE_STAFF.value, Position.division_code == code.value)
            .order_by(Position.id)
            .limit(1)
        )
        if found is not None:
            return found
    return None


def _earlier_firing(session: Session, rule_id: int, record: AlertRecord) -> AlertFiring | None:
    """The same rule's firing by an alert this one updates (`ended_by_id` points here), if any."""
    return session.scalars(
        select(AlertFiring)
        .join(AlertRecord, AlertRecord.id == AlertFiring.alert_id)
        .where(
            AlertFiring.rule_id == rule_id,
            AlertRecord.ended_by_id == record.id,
            AlertFiring.outcome.in_(["dispatched", "covered"]),  # a failed response is no response to keep
        )
        .order_by(AlertFiring.id)
        .limit(1)
    ).first()


def _message(alert: Alert) -> str:
    info = alert.main_info()
    if info is None:
        return ""
    return "\n\n".join(part for part in (info.headline, info.description, info.instruction) if part)


def _audit(session: Session, actor: Actor, firing: AlertFiring, rule: AlertRule) -> None:
    after = {
        "rule": rule.name,
        "alert_id": firing.alert_id,
        "outcome": firing.outcome,
        "drill": firing.is_drill,
        "divisions": list(firing.divisions),
        "campaign_id": firing.campaign_id,
        "group_id": firing.group_id,
        "detail": firing.detail[:500],
    }
    audit.record_by(
        session,
        actor,
        "alert.rule_fired",
        entity_type="alert_firing",
        entity_id=firing.id,
        at=firing.fired_at,
        after=after,
    )


def end_firings(session: Session, *, ended: Sequence[int], by: AlertRecord, clock: Clock) -> int:
    """Record on the firings of the ended alerts that they were cancelled, and tell the centres over them. No commit."""
    now = clock.now()
    firings = session.scalars(
        select(AlertFiring).where(AlertFiring.alert_id.in_(ended), AlertFiring.cancelled_at.is_(None))
    ).all()
    if not firings:
        return 0
    session.execute(update(AlertFiring).where(AlertFiring.id.in_([f.id for f in firings])).values(cancelled_at=now))
    actor = system_actor(ACTOR_NAME)
    for f in firings:
        after = {
            "cancelled_at": now.isoformat(),
            "by_alert_id": by.id,
            "campaign_id": f.campaign_id,
            "group_id": f.group_id,
        }
        audit.record_by(
            session, actor, "alert.firing_ended", entity_type="alert_firing", entity_id=f.id, at=now, after=after
        )
    centres = _centres_over([division for f in firings for division in f.divisions])
    what = Name.label("notice.alert.cancelled" if by.msg_type == "Cancel" else "notice.alert.lifted")
    event = by.event or next(iter(session.scalars(select(AlertRecord.event).where(AlertRecord.id.in_(ended)))), "")
    campaigns = sorted({f.campaign_number for f in firings if f.campaign_number})  # by the numbers people see
    said: dict[str, Param] = {"what": what, "sender": by.sender}
    body = (
        Words("notice.alert.ended_body_campaigns", {**said, "campaigns": "、".join(campaigns)})
        if campaigns
        else Words("notice.alert.ended_body", said)
    )
    notify(
        session,
        recipients=centres,
        topic="alert.ended",
        severity=NoticeSeverity.YELLOW,
        title=Words("notice.alert.ended", {"what": what, "event": event or by.identifier}),
        body=[body],
        key=f"alert:{by.id}:ended",
        clock=clock,
        link=f"/alerts/{by.id}",
    )
    return len(firings)
