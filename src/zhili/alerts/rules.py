"""Trigger rules as values, and whether one matches an alert, over which divisions (pure).

A rule matches an alert when one of its infos has the rule's event text (or category) and at least
its severity, urgency and certainty, and the alert's divisions meet the rule's areas. The divisions a
rule acts on are where the two overlap in the division tree: an alert for 龙游县 and a rule for 湖镇镇
act on 湖镇镇; an alert for 湖镇镇 and a rule for 龙游县 act on 湖镇镇.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhili.alerts.message import Alert, Category, Certainty, Info, MsgType, Severity, Urgency, rank
from zhili.org.division_code import DivisionCode, codes_of, outermost

FIRING_TYPES = frozenset({MsgType.ALERT, MsgType.UPDATE})


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What a rule asks of an alert (the stored rule, read as values)."""

    id: int
    event_match: str = ""
    category: Category | None = None
    min_severity: Severity = Severity.UNKNOWN
    min_urgency: Urgency | None = None
    min_certainty: Certainty | None = None
    areas: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The event texts, any of which matches (none: any event)."""
        return tuple(w.strip().casefold() for w in self.event_match.split("|") if w.strip())


def info_matches(rule: RuleSpec, info: Info) -> bool:
    """True when this info has the rule's event (or category) and meets its minimums."""
    text = f"{info.event} {info.headline}".casefold()
    if rule.words and not any(word in text for word in rule.words):
        return False
    if rule.category is not None and rule.category not in info.categories:
        return False
    if rank(info.severity) < rank(rule.min_severity):
        return False
    if rule.min_urgency is not None and rank(info.urgency) < rank(rule.min_urgency):
        return False
    return rule.min_certainty is None or rank(info.certainty) >= rank(rule.min_certainty)


def overlap(rule_areas: Sequence[str], divisions: Sequence[str]) -> list[str]:
    """Where the alert's divisions and the rule's areas overlap (the finer of each related pair), outermost."""
    alert_codes = codes_of(divisions)
    if not rule_areas:
        return [code.value for code in outermost(alert_codes)]
    found: list[DivisionCode] = []
    for area in codes_of(rule_areas):
        found += [code if code.under(area) else area for code in alert_codes if code.is_related(area)]
    return [code.value for code in outermost(found)]


def scope_of(rule: RuleSpec, alert: Alert, divisions: Sequence[str]) -> list[str] | None:
    """The divisions the rule acts on for this alert; None when the rule does not match it.

    Only alerts and updates fire rules (a cancellation or an all-clear ends, it never starts), and
    only over a division: an alert that resolved to none of ours fires nothing.
    """
    if alert.msg_type not in FIRING_TYPES or alert.ends_referenced:
        return None
    if not any(info_matches(rule, info) for info in alert.infos):
        return None
    scope = overlap(rule.areas, divisions)
    return scope or None
