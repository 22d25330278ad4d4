"""The demo's alert trigger rules: a typhoon warning (orange or red) for 龙游县 dispatches the typhoon campaign.

So `zhili alerts example --out typhoon.xml && zhili alerts ingest typhoon.xml` (the demo's 台风橙色预警
in the national system's style, sent now) reaches Longyou's team leaders, grid heads and party members in one step; a
rainstorm red warning anywhere in 衢州市 dispatches the flood template and opens a command group.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.alerts.message import Category, Severity
from zhili.alerts.rule_service import create_rule
from zhili.alerts.schemas import RuleIn
from zhili.core.auth import Actor
from zhili.core.clock import Clock

LONGYOU = "330825"
QUZHOU = "3308"
RULES = (
    RuleIn(
        name="龙游县台风橙色及以上预警",
        event_match="台风|typhoon",
        category=Category.MET,
        min_severity=Severity.SEVERE,
        areas=[LONGYOU],
        campaign_template="typhoon",
    ),
    RuleIn(
        name="衢州市暴雨红色预警",
        event_match="暴雨|rainstorm",
        min_severity=Severity.EXTREME,
        areas=[QUZHOU],
        campaign_template="flood",
        open_group=True,
    ),
)


def seed_demo_alert_rules(session: Session, *, actor: Actor, clock: Clock) -> list[int]:
    """Add the demo's trigger rules (after the task templates they dispatch); their ids."""
    return [create_rule(session, data=rule, actor=actor, clock=clock).id for rule in RULES]
