"""Receiving alerts: stored once per (sender, identifier), resolved to divisions, updates and cancellations applied."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.alerts.helpers import HUZHEN, IDENTIFIER, LONGYOU, SENDER, SYSTEM, demo_bytes, reference, variant
from zhili.alerts.cap import CapRefusedError, UnsafeXmlError
from zhili.alerts.intake import ingest
from zhili.alerts.models import AlertDivision, AlertRecord, AlertRefusal
from zhili.core.audit import AuditRecord
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.clock import FrozenClock
from zhili.core.errors import ForbiddenError


def receive(session: Session, clock: FrozenClock, data: bytes, actor: Actor = SYSTEM) -> int:
    return ingest(session, data=data, source="cli", source_detail="test.xml", actor=actor, clock=clock).alert_id


def test_the_demo_warning_is_stored_with_its_raw_xml_and_resolves_to_longyou(
    session: Session, clock: FrozenClock
) -> None:
    receipt = ingest(session, data=demo_bytes(), source="cli", source_detail="demo.xml", actor=SYSTEM, clock=clock)
    assert receipt.is_new
    record = session.get(AlertRecord, receipt.alert_id)
    assert record is not None
    assert (record.sender, record.identifier, record.event, record.severity) == (
        "衢州市气象台",
        IDENTIFIER,
        "台风",
        "Severe",
    )
    assert (record.state, record.is_drill, record.source, record.received_at) == ("active", False, "cli", clock.now())
    assert "<areaDesc>龙游县</areaDesc>" in record.raw_xml
    assert record.infos[0].headline == "龙游县气象台发布台风橙色预警"
    divisions = session.execute(
        select(AlertDivision.division_code, AlertDivision.how).where(AlertDivision.alert_id == record.id)
    )
    assert list(divisions) == [(LONGYOU, "geocode")]
    audited = session.scalar(
        select(AuditRecord.action).where(AuditRecord.entity_type == "alert", AuditRecord.entity_id == str(record.id))
    )
    assert audited == "alert.received"


def test_the_same_alert_twice_is_one_row_answered_the_same(session: Session, clock: FrozenClock) -> None:
    first = ingest(session, data=demo_bytes(), source="cli", source_detail="a", actor=SYSTEM, clock=clock)
    again = ingest(session, data=demo_bytes(), source="feed", source_detail="b", actor=SYSTEM, clock=clock)
    assert (again.alert_id, again.is_new) == (first.alert_id, False)
    assert (
        session.scalar(select(func.count()).select_from(AlertRecord).where(AlertRecord.identifier == IDENTIFIER)) == 1
    )


def test_a_township_geocode_resolves_to_the_township_and_an_unknown_one_to_nothing(
    session: Session, clock: FrozenClock
) -> None:
    area = (
        "<area><areaDesc>湖镇镇及外省</areaDesc>"
        "<geocode><valueName>CPEAS Geographic Code</valueName><value>330825101000</value></geocode>"
        "<geocode><valueName>CPEAS Geographic Code</valueName><value>110101000000</value></geocode>"
        "<geocode><valueName>SAME</valueName><value>330825</value></geocode></area>"
    )
    alert_id = receive(session, clock, variant(area=area))
    codes = session.scalars(select(AlertDivision.division_code).where(AlertDivision.alert_id == alert_id))
    assert list(codes) == [HUZHEN]


def test_an_update_marks_what_it_references_updated(session: Session, clock: FrozenClock) -> None:
    first = receive(session, clock, demo_bytes())
    second = receive(
        session, clock, variant(identifier="T-upd", msg_type="Update", references=reference(), severity="Extreme")
    )
    old, new = session.get(AlertRecord, first), session.get(AlertRecord, second)
    assert old is not None
    assert new is not None
    assert (old.state, old.ended_by_id, new.state, new.severity) == ("updated", second, "active", "Extreme")


def test_a_cancel_and_an_all_clear_end_what_they_reference(session: Session, clock: FrozenClock) -> None:
    first = receive(session, clock, demo_bytes())
    receive(session, clock, variant(identifier="T-cancel", msg_type="Cancel", references=reference()))
    other = receive(session, clock, variant(identifier="T-other"))
    receive(
        session,
        clock,
        variant(identifier="T-clear", msg_type="Update", references=reference("T-other"), response="AllClear"),
    )
    found = select(AlertRecord.id, AlertRecord.state).where(AlertRecord.id.in_([first, other]))
    states = {alert_id: state for alert_id, state in session.execute(found)}  # noqa: C416 - dict() reads a Result as a mapping
    assert states == {first: "cancelled", other: "ended"}


def test_an_exercise_never_ends_a_real_alert(session: Session, clock: FrozenClock) -> None:
    first = receive(session, clock, demo_bytes())
    receive(session, clock, variant(identifier="T-ex", status="Exercise", msg_type="Cancel", references=reference()))
    record = session.get(AlertRecord, first)
    assert record is not None
    assert record.state == "active"


def test_a_refused_message_is_kept_for_inspection_and_its_refusal_raised(session: Session, clock: FrozenClock) -> None:
    with pytest.raises(CapRefusedError):
        receive(session, clock, variant(severity="Orange"))
    with pytest.raises(UnsafeXmlError):
        receive(session, clock, b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
    kept = session.execute(select(AlertRefusal.reason, AlertRefusal.raw).order_by(AlertRefusal.id)).all()
    assert len(kept) == 2
    assert "'Orange' is not one of" in kept[0].reason
    assert "<severity>Orange</severity>" in kept[0].raw
    assert "DTDForbidden" in kept[1].reason


def test_only_centres_and_administrators_hand_in_alerts(session: Session, clock: FrozenClock) -> None:
    worker = Actor(username="gw", display_name="gw", roles=frozenset({"grid_worker"}), scope=Scope.everything())
    with pytest.raises(ForbiddenError):
        receive(session, clock, demo_bytes(), actor=worker)
    assert session.scalar(select(func.count()).select_from(AlertRecord)) == 0


def test_one_sender_never_cancels_anothers_alert(session: Session, clock: FrozenClock) -> None:
    first = receive(session, clock, demo_bytes())
    forged = variant(identifier="T-forged", msg_type="Cancel", references=reference())
    receive(session, clock, forged.replace(f"<sender>{SENDER}</sender>".encode(), b"<sender>someone@else</sender>"))
    record = session.get(AlertRecord, first)
    assert record is not None
    assert record.state == "active"


def test_a_centre_hands_in_only_alerts_over_its_own_area(session: Session, clock: FrozenClock) -> None:
    kecheng = Actor(
        username="kc",
        display_name="kc",
        roles=frozenset({"centre_staff"}),
        scope=Scope.of([Grant("330802")]),
        write_scope=Scope.of([Grant("330802")]),
    )
    with pytest.raises(ForbiddenError):
        receive(session, clock, demo_bytes(), actor=kecheng)  # 龙游县's typhoon: not Kecheng's to hand in
    assert session.scalar(select(func.count()).select_from(AlertRecord)) == 0
