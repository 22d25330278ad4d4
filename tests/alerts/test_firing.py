"""Trigger rules firing: once per (rule, alert), the campaign dispatched to the divisions, drills and cancellations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.alerts.helpers import (
    HUZHEN,
    LONGYOU,
    SYSTEM,
    demo_bytes,
    reference,
    typhoon_rule,
    variant,
    without_demo_rules,
)
from tests.notify.helpers import in_both_languages
from zhili.access.models import Account
from zhili.alerts.intake import ingest
from zhili.alerts.models import AlertFiring
from zhili.alerts.queries import firings_of
from zhili.campaigns.models import Campaign, CampaignScopeDivision
from zhili.command_groups.models import CommandGroup, GroupMember
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Position


@pytest.fixture(autouse=True)
def own_rules_only(session: Session) -> None:
    without_demo_rules(session)


def receive(session: Session, clock: FrozenClock, data: bytes) -> int:
    return ingest(session, data=data, source="cli", source_detail="t", actor=SYSTEM, clock=clock).alert_id


def firings(session: Session, alert_id: int) -> list[AlertFiring]:
    return list(session.scalars(select(AlertFiring).where(AlertFiring.alert_id == alert_id)))


def _typhoon_campaigns(session: Session) -> int:
    """Typhoon campaigns besides the demo's own live one (阳湖社区)."""
    demo = Campaign.source_key.startswith("demo:")
    return session.scalar(select(func.count()).where(Campaign.template_code == "typhoon", ~demo)) or 0


def test_a_typhoon_warning_for_longyou_dispatches_the_typhoon_campaign_to_longyou_once(
    session: Session, clock: FrozenClock
) -> None:
    rule_id = typhoon_rule(session, clock)
    alert_id = receive(session, clock, demo_bytes())
    receive(session, clock, demo_bytes())  # the same alert again fires nothing more
    (firing,) = firings(session, alert_id)
    assert (firing.rule_id, firing.outcome, firing.divisions, firing.is_drill) == (
        rule_id,
        "dispatched",
        [LONGYOU],
        False,
    )
    campaign = session.get(Campaign, firing.campaign_id)
    assert campaign is not None
    assert (campaign.template_code, campaign.source_key, campaign.created_by) == (
        "typhoon",
        f"cap:{alert_id}:rule:{rule_id}",
        "alerts",
    )
    assert campaign.title == "龙游县气象台发布台风橙色预警"
    assert firing.campaign_number == campaign.number
    assert campaign.recipients > 1000  # team leaders, grid heads and party members of Longyou
    scope = session.scalars(
        select(CampaignScopeDivision.division_code).where(CampaignScopeDivision.campaign_id == campaign.id)
    )
    assert list(scope) == [LONGYOU]
    assert _typhoon_campaigns(session) == 1
    fired = session.scalar(select(AuditRecord.actor).where(AuditRecord.action == "alert.rule_fired"))
    assert fired == "alerts"


def test_a_rule_below_the_alerts_severity_or_for_another_event_does_not_fire(
    session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock, min_severity="Extreme")
    typhoon_rule(session, clock, name="暴雨", event_match="暴雨")
    alert_id = receive(session, clock, demo_bytes())
    assert firings(session, alert_id) == []


def test_a_rule_for_a_township_acts_on_the_township_of_a_county_warning(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock, areas=[HUZHEN])
    typhoon_rule(session, clock, name="柯城", areas=["330802"])  # another county: no overlap, no firing
    alert_id = receive(session, clock, demo_bytes())
    (firing,) = firings(session, alert_id)
    assert firing.divisions == [HUZHEN]


def test_a_drill_is_recorded_and_dispatches_nothing(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock)
    before = session.scalar(select(func.count()).select_from(Campaign))
    alert_id = receive(session, clock, variant(identifier="T-drill", status="Exercise"))
    (firing,) = firings(session, alert_id)
    assert (firing.outcome, firing.is_drill, firing.campaign_id) == ("drill", True, None)
    assert session.scalar(select(func.count()).select_from(Campaign)) == before


def test_an_update_is_covered_by_the_campaign_its_alert_fired(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock)
    first = receive(session, clock, demo_bytes())
    second = receive(
        session, clock, variant(identifier="T-upd", msg_type="Update", references=reference(), severity="Extreme")
    )
    (earlier,), (later,) = firings(session, first), firings(session, second)
    assert (later.outcome, later.campaign_id) == ("covered", earlier.campaign_id)
    assert _typhoon_campaigns(session) == 1


def test_a_cancel_is_recorded_on_what_the_alert_fired_and_the_centre_is_told(
    session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock)
    first = receive(session, clock, demo_bytes())
    cancel = receive(session, clock, variant(identifier="T-cancel", msg_type="Cancel", references=reference()))
    (firing,) = firings(session, first)
    assert firing.cancelled_at == clock.now()
    assert firings(session, cancel) == []  # a cancellation fires nothing
    campaign = session.get(Campaign, firing.campaign_id)
    assert campaign is not None
    assert campaign.status == "active"
    notice = session.scalars(select(Notification).where(Notification.key == f"alert:{cancel}:ended")).one()
    assert notice.topic == "alert.ended"
    ly_centre = session.scalar(select(Account.person_id).where(Account.username == "ly-centre"))
    told = session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notice.id))
    assert ly_centre in set(told)
    assert ly_centre is not None
    zh, en = in_both_languages(session, notice.key, ly_centre)
    assert zh.title.startswith("预警已取消：")
    assert en.title.startswith("Alert cancelled: ")
    assert " has cancelled the earlier alert; " in en.body
    assert "Related campaigns: " in en.body
    audited = set(session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("alert.%"))))
    assert {"alert.received", "alert.rule_fired", "alert.cancelled", "alert.firing_ended"} <= audited


def test_a_firing_tells_the_centres_over_its_divisions_with_a_link_to_the_alert(
    session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock)
    alert_id = receive(session, clock, demo_bytes())
    (firing,) = firings(session, alert_id)
    notice = session.scalars(select(Notification).where(Notification.topic == "alert.fired")).one()
    assert notice.link == f"/alerts/{alert_id}"
    told = set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notice.id)))
    centres = {
        name: session.scalar(select(Account.person_id).where(Account.username == name))
        for name in ("ly-centre", "qz-centre", "kc-centre")
    }
    assert {centres["ly-centre"], centres["qz-centre"]} <= told  # the county's centre and the city's
    assert centres["kc-centre"] not in told  # another county's is not
    person = centres["ly-centre"]
    assert person is not None
    zh, en = in_both_languages(session, notice.key, person)
    assert zh.title.startswith("预警触发规则")
    assert f"已派发三联工程 {firing.campaign_number}" in zh.body
    assert en.title.startswith("Alert rule ")
    assert f"Campaign {firing.campaign_number} dispatched." in en.body


def test_a_rule_opening_a_group_names_the_county_centre_its_commander(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock, open_group=True)
    alert_id = receive(session, clock, demo_bytes())
    (firing,) = firings(session, alert_id)
    group = session.get(CommandGroup, firing.group_id)
    assert group is not None
    assert (group.area_code, group.origin_kind, group.origin_campaign_id) == (LONGYOU, "campaign", firing.campaign_id)
    commander = session.scalar(
        select(GroupMember.person_id).where(GroupMember.group_id == group.id, GroupMember.role == "commander")
    )
    centre = select(Position.person_id).where(Position.role == "centre_staff", Position.division_code == LONGYOU)
    assert commander in set(session.scalars(centre))
    # Its summary in words the members read (the alert's sender and description), no path nor identifier.
    assert group.summary.startswith("由龙游县气象台发布的预警触发。")
    assert "受今年第5号台风影响" in group.summary
    assert "/alerts/" not in group.summary
    (read,) = firings_of(session, None, alert_id)
    assert read.group_number is not None
    assert read.group_number.startswith("ZH")  # the alert page names the group by the number people quote


TWO_CITIES = (
    "<area><areaDesc>衢州市、金华市</areaDesc>"
    "<geocode><valueName>CPEAS</valueName><value>330800000000</value></geocode>"
    "<geocode><valueName>CPEAS</valueName><value>330700000000</value></geocode></area>"
)


def test_a_rule_whose_action_fails_records_why(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock, campaign_template=None, open_group=True)
    alert_id = receive(session, clock, variant(area=TWO_CITIES))
    (firing,) = firings(session, alert_id)
    assert firing.outcome == "failed"
    assert "one city or finer" in firing.detail


def test_a_warning_for_the_whole_city_opens_a_group_commanded_by_the_city_centre(
    session: Session, clock: FrozenClock
) -> None:
    typhoon_rule(session, clock, campaign_template=None, open_group=True, areas=["3308"])
    city = (
        "<area><areaDesc>衢州市</areaDesc>"
        "<geocode><valueName>CPEAS</valueName><value>330800000000</value></geocode></area>"
    )
    (firing,) = firings(session, receive(session, clock, variant(area=city)))
    group = session.get(CommandGroup, firing.group_id)
    assert group is not None
    assert (firing.outcome, group.area_code) == ("dispatched", "3308")
    commander = session.scalar(
        select(GroupMember.person_id).where(GroupMember.group_id == group.id, GroupMember.role == "commander")
    )
    centre = select(Position.person_id).where(Position.role == "centre_staff", Position.division_code == "3308")
    assert commander in set(session.scalars(centre))


def test_an_alert_received_after_it_expired_fires_nothing(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock)
    late = variant(identifier="T-late").replace(
        b"<senderName>", b"<expires>2026-07-23T14:59:00+08:00</expires><senderName>"
    )  # the clock reads 15:00 local
    alert_id = receive(session, clock, late)
    assert firings(session, alert_id) == []


def test_an_update_of_an_alert_whose_rule_failed_acts_again(session: Session, clock: FrozenClock) -> None:
    typhoon_rule(session, clock, campaign_template=None, open_group=True)
    receive(session, clock, variant(area=TWO_CITIES))
    county = (
        "<area><areaDesc>龙游县</areaDesc>"
        "<geocode><valueName>CPEAS</valueName><value>330825000000</value></geocode></area>"
    )
    update = variant(identifier="T-upd", msg_type="Update", references=reference("T-2"), area=county)
    (firing,) = firings(session, receive(session, clock, update))
    assert (firing.outcome, firing.divisions) == ("dispatched", [LONGYOU])
    assert firing.group_id is not None
