"""Trigger rules: administrators add and change them (the pages and the demo); each write audited, one commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.alerts.models import AlertRule
from zhili.alerts.schemas import RuleIn
from zhili.campaigns.templates_service import get_template
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.org.models import Division


def create_rule(session: Session, *, data: RuleIn, actor: Actor, clock: Clock) -> AlertRule:
    """Add a trigger rule (administrators)."""
    actor.require_admin("add alert trigger rules")
    _check(session, data, rule_id=None)
    now = clock.now()
    rule = AlertRule(created_by=actor.audit_name, created_at=now, **_columns(data, actor, now))
    session.add(rule)
    _flush(session)
    audit.record_by(
        session, actor, "alert_rule.created", entity_type="alert_rule", entity_id=rule.id, at=now, after=_shown(rule)
    )
    commit(session)
    return rule


def update_rule(session: Session, *, rule_id: int, data: RuleIn, actor: Actor, clock: Clock) -> AlertRule:
    """Change a trigger rule (administrators); switching it off is `is_active = False`."""
    actor.require_admin("change alert trigger rules")
    rule = get_rule(session, rule_id)
    _check(session, data, rule_id=rule_id)
    before, now = _shown(rule), clock.now()
    for name, value in _columns(data, actor, now).items():
        setattr(rule, name, value)
    _flush(session)
    audit.record_by(
        session,
        actor,
        "alert_rule.changed",
        entity_type="alert_rule",
        entity_id=rule.id,
        at=now,
        before=before,
        after=_shown(rule),
    )
    commit(session)
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    """A stored rule, or 404."""
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError("alert rule not found")
    return rule


def _check(session: Session, data: RuleIn, *, rule_id: int | None) -> None:
    """The rule's references exist and it does something; every problem named by its field and message key."""
    errors: list[dict[str, str]] = []
    if not data.campaign_template and not data.open_group:
        errors.append(
            {
                "field": "campaign_template",
                "message": "a rule dispatches a campaign or opens a group",
                "key": "alert.rule.error.no_action",
            }
        )
    if data.campaign_template and not _template_exists(session, data.campaign_template):
        errors.append(
            {
                "field": "campaign_template",
                "message": f"no template {data.campaign_template!r}",
                "key": "alert.rule.error.template",
            }
        )
    if data.areas:
        known = set(session.scalars(select(Division.code).where(Division.code.in_(data.areas))))
        if missing := [code for code in data.areas if code not in known]:
            errors.append(
                {
                    "field": "areas",
                    "message": f"unknown division codes: {', '.join(missing)}",
                    "key": "alert.rule.error.areas",
                }
            )
    taken = session.scalar(select(AlertRule.id).where(AlertRule.name == data.name))
    if taken is not None and taken != rule_id:
        errors.append(
            {"field": "name", "message": f"a rule named {data.name!r} exists", "key": "alert.rule.error.name_taken"}
        )
    if errors:
        raise InvalidInputError("the rule is refused: " + "; ".join(e["message"] for e in errors), errors=errors)


def _template_exists(session: Session, code: str) -> bool:
    try:
        get_template(session, code)
    except NotFoundError:
        return False
    return True


def _columns(data: RuleIn, actor: Actor, now: Any) -> dict[str, Any]:
    return {
        "name": data.name,
        "event_match": data.event_match or "",
        "category": data.category.value if data.category else None,
        "min_severity": data.min_severity.value,
        "min_urgency": data.min_urgency.value if data.min_urgency else None,
        "min_certainty": data.min_certainty.value if data.min_certainty else None,
        "areas": list(data.areas),
        "campaign_template": data.campaign_template,
        "open_group": data.open_group,
        "is_active": data.is_active,
        "updated_by": actor.audit_name,
        "updated_at": now,
    }


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # the name taken at the same moment
        session.rollback()
        errors = [{"field": "name", "message": "the name is taken", "key": "alert.rule.error.name_taken"}]
        raise InvalidInputError("the rule's name is taken", errors=errors) from exc


def _shown(rule: AlertRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "event_match": rule.event_match,
        "category": rule.category,
        "min_severity": rule.min_severity,
        "min_urgency": rule.min_urgency,
        "min_certainty": rule.min_certainty,
        "areas": list(rule.areas),
        "campaign_template": rule.campaign_template,
        "open_group": rule.open_group,
        "is_active": rule.is_active,
    }
