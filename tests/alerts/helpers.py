"""CAP messages for the alert tests: the demo's Longyou typhoon warning and variations of it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from zhili.alerts.models import AlertRule
from zhili.alerts.rule_service import create_rule
from zhili.alerts.schemas import RuleIn
from zhili.core.auth import system_actor
from zhili.core.clock import Clock

DEMO = Path(__file__).parents[2] / "src" / "zhili" / "demo" / "data" / "longyou_typhoon_orange.xml"
LONGYOU, HUZHEN = "330825", "330825101"
IDENTIFIER = "33082541600000_20260723150000"
SENDER = "衢州市气象台"
SYSTEM = system_actor("test")


def demo_bytes() -> bytes:
    return DEMO.read_bytes()


def variant(
    *,
    identifier: str = "T-2",
    status: str = "Actual",
    msg_type: str = "Alert",
    references: str = "",
    area: str | None = None,
    severity: str = "Severe",
    response: str = "Prepare",
    event: str = "台风",
    sent: datetime | None = None,
) -> bytes:
    """The demo message with another identifier, status, type, references, area, severity, response or `sent`."""
    text = DEMO.read_text(encoding="utf-8")
    if sent is not None:
        text = text.replace("<sent>2026-07-23T15:00:00+08:00</sent>", f"<sent>{sent.isoformat()}</sent>")
    text = text.replace(IDENTIFIER, identifier).replace("<status>Actual</status>", f"<status>{status}</status>")
    text = text.replace("<msgType>Alert</msgType>", f"<msgType>{msg_type}</msgType>")
    if references:
        text = text.replace("<scope>Public</scope>", f"<scope>Public</scope><references>{references}</references>")
    text = text.replace("<severity>Severe</severity>", f"<severity>{severity}</severity>")
    text = text.replace("<responseType>Prepare</responseType>", f"<responseType>{response}</responseType>")
    text = text.replace("<event>台风</event>", f"<event>{event}</event>")
    if area is not None:
        start, end = text.index("<area>"), text.index("</area>") + len("</area>")
        text = text[:start] + area + text[end:]
    return text.encode("utf-8")


def reference(identifier: str = IDENTIFIER) -> str:
    return f"{SENDER},{identifier},2026-07-23T15:00:00+08:00"


def typhoon_rule(session: Session, clock: Clock, **changes: object) -> int:
    """A rule: 台风 at least Severe dispatches the typhoon campaign (anywhere unless `areas`)."""
    fields: dict[str, object] = {"name": "台风橙色以上", "event_match": "台风|typhoon", "campaign_template": "typhoon"}
    data = RuleIn.model_validate(fields | changes)
    return create_rule(session, data=data, actor=SYSTEM, clock=clock).id


def without_demo_rules(session: Session) -> None:
    """Switch the demo's trigger rules off, so a test's own rules are the only ones that fire."""
    session.execute(update(AlertRule).values(is_active=False))
    session.commit()
