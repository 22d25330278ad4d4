"""Whether a trigger rule matches an alert, and over which divisions (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from zhili.alerts.message import (
    Alert,
    Category,
    Certainty,
    Info,
    MsgType,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from zhili.alerts.rules import RuleSpec, overlap, scope_of

INFO = Info(
    language="zh-CN",
    categories=(Category.MET,),
    event="台风",
    urgency=Urgency.EXPECTED,
    severity=Severity.SEVERE,
    certainty=Certainty.LIKELY,
    headline="龙游县气象台发布台风橙色预警",
)
ALERT = Alert(
    identifier="x",
    sender="s",
    sent=datetime(2026, 7, 23, tzinfo=UTC),
    status=Status.ACTUAL,
    msg_type=MsgType.ALERT,
    scope=Scope.PUBLIC,
    infos=(INFO,),
)
LONGYOU = ["330825"]


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        (RuleSpec(1), True),
        (RuleSpec(1, event_match="暴雨|台风"), True),
        (RuleSpec(1, event_match="TYPHOON|橙色预警"), True),  # the headline counts, case does not
        (RuleSpec(1, event_match="暴雨"), False),
        (RuleSpec(1, category=Category.MET), True),
        (RuleSpec(1, category=Category.GEO), False),
        (RuleSpec(1, min_severity=Severity.SEVERE), True),
        (RuleSpec(1, min_severity=Severity.EXTREME), False),
        (RuleSpec(1, min_urgency=Urgency.IMMEDIATE), False),
        (RuleSpec(1, min_urgency=Urgency.EXPECTED), True),
        (RuleSpec(1, min_certainty=Certainty.OBSERVED), False),
        (RuleSpec(1, areas=("330802",)), False),
        (RuleSpec(1, areas=("3308",)), True),
    ],
)
def test_a_rule_matches_by_event_category_minimums_and_area(rule: RuleSpec, matches: bool) -> None:
    assert (scope_of(rule, ALERT, LONGYOU) is not None) is matches


def test_an_unknown_severity_never_meets_a_minimum() -> None:
    unknown = replace(ALERT, infos=(replace(INFO, severity=Severity.UNKNOWN),))
    assert scope_of(RuleSpec(1, min_severity=Severity.MINOR), unknown, LONGYOU) is None
    assert scope_of(RuleSpec(1, min_severity=Severity.UNKNOWN), unknown, LONGYOU) == LONGYOU


def test_cancellations_all_clears_and_alerts_over_no_division_fire_nothing() -> None:
    assert scope_of(RuleSpec(1), replace(ALERT, msg_type=MsgType.CANCEL), LONGYOU) is None
    clear = replace(ALERT, msg_type=MsgType.UPDATE, infos=(replace(INFO, response_types=(ResponseType.ALL_CLEAR,)),))
    assert scope_of(RuleSpec(1), clear, LONGYOU) is None
    assert scope_of(RuleSpec(1), replace(ALERT, msg_type=MsgType.ACK), LONGYOU) is None
    assert scope_of(RuleSpec(1), ALERT, []) is None
    assert scope_of(RuleSpec(1), replace(ALERT, msg_type=MsgType.UPDATE), LONGYOU) == LONGYOU


def test_the_divisions_acted_on_are_where_the_alert_and_the_rule_overlap() -> None:
    assert overlap([], ["330825", "330825101", "330802"]) == ["330802", "330825"]
    assert overlap(["330825101"], ["330825"]) == ["330825101"]  # a county warning, a township rule
    assert overlap(["330825"], ["330825101", "330802006"]) == ["330825101"]  # a township warning, a county rule
    assert overlap(["330825", "330802"], ["3308"]) == ["330802", "330825"]  # a city warning
    assert overlap(["330881"], ["330825"]) == []
