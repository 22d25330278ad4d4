"""A small explicit world for assessment tests: one county, two townships, two units, a few cases.

Rows are written straight into a fresh database (the tests own it), so every late phase, card and
rating is known and the expected points can be worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.templates_service import packaged_templates
from zhili.cases.models import Case, CaseEvent, SupervisionCard
from zhili.matters.models import MatterVersion
from zhili.org.models import Department, DepartmentKind, Division, Person, Position

COUNTY, EAST, WEST = "330825", "330825101", "330825102"
OTHER_COUNTY, OTHER_TOWNSHIP = "330802", "330802001"
POLICE, MARKET = 1, 2
ANNA, BO = 1, 2  # people: Anna in the east command room, Bo in the police unit
NOV = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in Quzhou


def at(day: int, hour: int = 2) -> datetime:
    """A UTC instant in November 2026."""
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def build_org(session: Session) -> None:
    """Divisions, units, people and posts."""
    divisions = [
        {"code": "33", "name": "浙江省", "level": "province", "parent_code": None},
        {"code": "3308", "name": "衢州市", "level": "city", "parent_code": "33"},
        {"code": COUNTY, "name": "龙游县", "level": "county", "parent_code": "3308"},
        {"code": OTHER_COUNTY, "name": "柯城区", "level": "county", "parent_code": "3308"},
        {"code": EAST, "name": "东华街道", "level": "township", "parent_code": COUNTY},
        {"code": WEST, "name": "湖镇镇", "level": "township", "parent_code": COUNTY},
        {"code": OTHER_TOWNSHIP, "name": "府山街道", "level": "township", "parent_code": OTHER_COUNTY},
    ]
    session.execute(insert(Division), [{**d, "is_synthetic": True, "source": "test"} for d in divisions])
    session.execute(
        insert(DepartmentKind),
        [
            {
                "code": "police",
                "name_zh": "公安",
                "name_en": "Police",
                "unit_suffix_zh": "局",
                "levels": "county",
                "sort_order": 1,
            }
        ],
    )
    session.execute(
        insert(Department),
        [
            {"id": POLICE, "kind_code": "police", "division_code": COUNTY, "name": "龙游县公安局"},
            {"id": MARKET, "kind_code": "police", "division_code": WEST, "name": "湖镇派出所"},
        ],
    )
    session.execute(insert(Person), [{"id": ANNA, "name": "安娜"}, {"id": BO, "name": "薄波"}])
    session.execute(
        insert(Position),
        [
            {"id": 1, "person_id": ANNA, "role": "township_command", "division_code": EAST, "department_id": None},
            {"id": 2, "person_id": BO, "role": "dept_staff", "division_code": COUNTY, "department_id": POLICE},
        ],
    )
    session.execute(
        insert(MatterVersion),
        [
            {
                "id": 1,
                "code": "m",
                "version": 1,
                "content_hash": "h",
                "definition": "{}",
                "name_zh": "事项",
                "name_en": "Matter",
                "loaded_at": NOV,
                "is_current": True,
            }
        ],
    )


def add_case(session: Session, case_id: int, *, dispatcher: str, lead: int, place: str | None = None) -> None:
    """A case dispatched by `dispatcher` and led by unit `lead`."""
    session.execute(
        insert(Case),
        [
            {
                "id": case_id,
                "number": f"LY2026110{case_id:02d}",
                "matter_code": "m",
                "matter_version_id": 1,
                "status": "closed",
                "version": 1,
                "channel": "app",
                "description": "d",
                "attributes": {},
                "place_code": place or dispatcher,
                "handling_division": dispatcher,
                "dispatcher_division": dispatcher,
                "lead_unit_id": lead,
                "routed_unit_id": lead,
                "handler_level": "county",
                "created_at": NOV,
                "updated_at": NOV,
            }
        ],
    )


def add_event(
    session: Session, case_id: int, seq: int, kind: str, when: datetime, *, actor: str = "system", **details: Any
) -> None:
    """A timeline line."""
    session.execute(
        insert(CaseEvent),
        [
            {
                "case_id": case_id,
                "seq": seq,
                "kind": kind,
                "at": when,
                "actor": actor,
                "parties": "",
                "status_after": details.pop("status_after", "closed"),
                "details": details,
            }
        ],
    )


def add_card(session: Session, case_id: int, action: str, when: datetime, *, unit: int | None) -> None:
    """A supervision card."""
    session.execute(
        insert(SupervisionCard),
        [
            {
                "case_id": case_id,
                "action": action,
                "phase": "handle" if unit else "accept",
                "unit_id": unit,
                "county_code": COUNTY,
                "is_manual": False,
                "issued_by": "system:clock",
                "issued_at": when,
                "note": "",
            }
        ],
    )


def add_task(
    session: Session,
    task_id: int,
    *,
    person: int,
    division: str,
    claim_due: datetime,
    claimed: datetime | None,
    position: int = 1,
) -> None:
    """A campaign task (and its campaign, the first time)."""
    if task_id == 1:
        campaign = {
            "id": 1,
            "number": "C1",
            "template_code": "t",
            "template": next(t for t in packaged_templates() if t.code == "typhoon"),
            "title": "台风",
            "message": "m",
            "severity": "red",
            "mode": "direct",
            "owner_division": COUNTY,
            "status": "open",
            "created_by": "x",
            "created_at": NOV,
        }
        session.execute(insert(Campaign), [campaign])
    session.execute(
        insert(CampaignTask),
        [
            {
                "id": task_id,
                "campaign_id": 1,
                "person_id": person,
                "position_id": position,
                "role": "township_command",
                "division_code": division,
                "state": "claimed" if claimed else "notified",
                "notified_at": claim_due,
                "claim_due_at": claim_due,
                "report_due_at": datetime(2026, 12, 20, tzinfo=UTC),
                "claimed_at": claimed,
            }
        ],
    )


def build_month(session: Session) -> None:
    """November 2026: the world the expected points in test_scoring.py are worked out from."""
    build_org(session)
    anna = f"person:{ANNA}:安娜"
    bo = f"person:{BO}:薄波"
    # Case 1: east dispatches late (accept ended late), police handles late, a red card to police.
    add_case(session, 1, dispatcher=EAST, lead=POLICE)
    add_event(session, 1, 1, "dispatch", at(2), actor=anna, phase_ended="accept", phase_late=True)
    add_event(session, 1, 2, "sign", at(2, 3), actor=bo, phase_ended="sign", phase_late=False)
    add_event(session, 1, 3, "reply", at(9), actor=bo, phase_ended="handle", phase_late=True)
    add_event(session, 1, 4, "verify_failed", at(9, 5), actor=anna, phase_ended="verify", phase_late=False)
    add_event(session, 1, 5, "rate", at(12), actor="citizen", rating="dissatisfied", status_after="reopened")
    add_card(session, 1, "red_card", at(8), unit=POLICE)
    # Case 2: east dispatches on time, police on time, satisfied.
    add_case(session, 2, dispatcher=EAST, lead=POLICE)
    add_event(session, 2, 1, "dispatch", at(3), actor=anna, phase_ended="accept", phase_late=False)
    add_event(session, 2, 2, "sign", at(3, 3), actor=bo, phase_ended="sign", phase_late=False)
    add_event(session, 2, 3, "reply", at(4), actor=bo, phase_ended="handle", phase_late=False)
    add_event(session, 2, 4, "verify", at(4, 5), actor=anna, phase_ended="verify", phase_late=False)
    add_event(session, 2, 5, "rate", at(5), actor="citizen", rating="satisfied")
    # Case 3: west dispatches on time; the market unit returns it; a yellow card to west (accept).
    add_case(session, 3, dispatcher=WEST, lead=MARKET)
    add_event(session, 3, 1, "dispatch", at(6), phase_ended="accept", phase_late=False)
    add_event(session, 3, 2, "return", at(6, 5), phase_ended="sign", phase_late=False, from_lead_unit_id=MARKET)
    add_card(session, 3, "yellow_card", at(7), unit=None)
    # Outside the month and outside the county: never counted.
    add_event(session, 2, 6, "archive", datetime(2026, 12, 2, tzinfo=UTC), phase_ended="handle", phase_late=True)
    add_case(session, 4, dispatcher=OTHER_TOWNSHIP, lead=POLICE)
    add_event(session, 4, 1, "dispatch", at(2), actor=anna, phase_ended="accept", phase_late=True)
    # A campaign task: Anna claims late.
    add_task(session, 1, person=ANNA, division=EAST + "001", claim_due=at(15), claimed=at(16))
