"""Pilots (试点): a reform tried for one matter in one area from a month on, with comparable areas.

`register_pilot` is the only writer (with its audit record); `list_pilots` and `load_pilot` read the
pilots whose area the reader's blocks reach. The comparison itself is `comparing.compare_pilot`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.analytics.models import pilots
from zhili.analytics.visibility import may_count_area
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.db import commit
from zhili.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.months import Month
from zhili.matters import queries as matters
from zhili.org.division_code import DivisionCode, DivisionLevel

AREA_LEVELS: Final = frozenset({DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP})
MAX_CONTROLS: Final = 30


@dataclass(frozen=True, slots=True)
class PilotIn:
    """What registering a pilot takes (its id comes from the table)."""

    name: str
    matter: str
    area: str
    controls: tuple[str, ...]
    start: Month
    reported_handling: float | None = None
    reported_volume: float | None = None
    reported_complaints: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pilot(PilotIn):
    """A registered pilot: what it was registered with, and its id."""

    id: int


def check_pilot(session: Session, actor: Actor, pilot: PilotIn) -> dict[str, str]:
    """The fields that are wrong, each with its message key (empty when the pilot can be registered)."""
    errors: dict[str, str] = {}
    if not pilot.name.strip() or len(pilot.name) > 120:  # noqa: PLR2004 - the column's width
        errors["name"] = "pilot.error.name"
    if pilot.matter not in {m.code for m in matters.list_current(session)}:
        errors["matter"] = "kpi.error.matter"
    code = DivisionCode.parse(pilot.area)
    if code is None or code.level not in AREA_LEVELS:
        errors["area"] = "kpi.error.area"
    elif not may_count_area(actor, pilot.area):
        errors["area"] = "pilot.error.outside"
    controls = [DivisionCode.parse(c) for c in pilot.controls]
    if len(controls) > MAX_CONTROLS or any(c is None or c.level not in AREA_LEVELS for c in controls):
        errors["controls"] = "pilot.error.controls"
    elif pilot.area in pilot.controls:
        errors["controls"] = "pilot.error.control_is_pilot"
    for name in ("reported_handling", "reported_volume", "reported_complaints"):
        value = getattr(pilot, name)
        if value is not None and not -1 < value < 10:  # noqa: PLR2004 - a relative change
            errors[name] = "pilot.error.change"
    return errors


def register_pilot(session: Session, actor: Actor, pilot: PilotIn, *, now: datetime) -> Pilot:
    """Store a pilot (422 naming each wrong field; 403 outside the actor's area) with its audit record."""
    errors = check_pilot(session, actor, pilot)
    if errors.get("area") == "pilot.error.outside":
        raise ForbiddenError("the pilot's area lies outside your area", message_key="forbidden.pilot_outside")
    if errors:
        raise InvalidInputError("the pilot cannot be registered: " + ", ".join(sorted(errors)))
    values = {
        **{k: v for k, v in asdict(pilot).items() if k not in {"controls", "start", "matter", "area"}},
        "matter_code": pilot.matter,
        "area_code": pilot.area,
        "control_codes": ",".join(pilot.controls),
        "start_month": pilot.start.index,
        "created_by": actor.audit_name,
        "created_at": now,
    }
    pilot_id = session.execute(insert(pilots).values(**values).returning(pilots.c.id)).scalar_one()
    after = {**values, "created_at": now.isoformat()}
    audit.record_by(session, actor, "pilot.register", entity_type="pilot", entity_id=pilot_id, at=now, after=after)
    commit(session)
    return load_pilot(session, actor, pilot_id)


def _pilot(row: object) -> Pilot:
    r = row._mapping  # type: ignore[attr-defined]  # noqa: SLF001 - a Row's mapping
    return Pilot(
        id=r["id"],
        name=r["name"],
        matter=r["matter_code"],
        area=r["area_code"],
        controls=tuple(c for c in r["control_codes"].split(",") if c),
        start=Month(r["start_month"]),
        reported_handling=r["reported_handling"],
        reported_volume=r["reported_volume"],
        reported_complaints=r["reported_complaints"],
    )


def list_pilots(session: Session, actor: Actor) -> list[Pilot]:
    """The pilots in areas the actor's blocks reach, newest first."""
    rows = session.execute(select(pilots).order_by(pilots.c.id.desc())).all()
    return [p for p in map(_pilot, rows) if may_count_area(actor, p.area)]


def load_pilot(session: Session, actor: Actor, pilot_id: int) -> Pilot:
    """One pilot the actor may see, or 404."""
    row = session.execute(select(pilots).where(pilots.c.id == pilot_id)).first()
    if row is None or not may_count_area(actor, (found := _pilot(row)).area):
        raise NotFoundError(f"pilot {pilot_id} not found")
    return found
