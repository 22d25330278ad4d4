"""A finding (what moved, by how much, since when, which rule or score fired) in a person's words.

Findings are stored as `detect.findings.Finding.to_json()` with the rule's names added (`name_zh`, `name_en`),
so a warning reads the same after the configuration changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhili.early_warning.indicators import UNIT, Indicator, Unit
from zhili.web.i18n import translate

# Units counted one by one: a single one takes its singular in English ("1 event", not "1 events").
COUNTED = frozenset({Unit.PEOPLE, Unit.DAYS, Unit.EVENTS})


def finding_text(finding: Mapping[str, Any], lang: str) -> str:
    """One finding as a sentence in the page's language; parts it does not have are left out."""
    zh = lang != "en"
    name = _name(finding, lang)
    what = _series(finding, lang)
    numbers = _numbers(finding, lang)
    text = f"{what} {numbers}".strip() if numbers else what
    since, months = finding.get("since"), finding.get("consecutive_months")
    if since:
        run = isinstance(months, int) and months > 1
        if zh:
            text += f"，自 {since} 起" + (f"连续 {months} 个月" if run else "")
        else:
            text += f", since {since}" + (f" ({months} months running)" if run else "")
    return f"{name}：{text}" if zh else f"{name}: {text}"


def _name(finding: Mapping[str, Any], lang: str) -> str:
    key = "name_en" if lang == "en" else "name_zh"
    if isinstance(finding.get(key), str):
        return str(finding[key])
    return translate(f"detector.{finding.get('kind', 'rule')}", lang)


def _series(finding: Mapping[str, Any], lang: str) -> str:
    indicator, per = finding.get("indicator"), finding.get("per")
    if not indicator:
        return ""
    what = translate(f"indicator.{indicator}", lang)
    return f"{what} / {translate(f'indicator.{per}', lang)}" if per else what


def _numbers(finding: Mapping[str, Any], lang: str) -> str:
    current, baseline, change = finding.get("current"), finding.get("baseline"), finding.get("relative_change")
    zh = lang != "en"
    parts = []
    if isinstance(current, int | float):
        parts.append(_value(current, finding, lang))
    details = []
    if isinstance(baseline, int | float):
        details.append(("基准 " if zh else "baseline ") + _value(baseline, finding, lang))
    if isinstance(change, int | float) and baseline != 0:  # a change from nothing is no percentage
        details.append(f"{change:+.0%}")
    score = finding.get("score")
    if finding.get("kind") != "rule" and isinstance(score, int | float):
        change_score = finding.get("kind") == "change"
        word = ("偏离度 " if change_score else "罕见度 ") if zh else ("deviation " if change_score else "rarity ")
        details.append(f"{word}{score:.1f}")
    if details:
        joined = "，".join(details) if zh else ", ".join(details)
        parts.append(f"（{joined}）" if zh else f"({joined})")
    return "".join(parts) if zh else " ".join(parts)


def _value(number: float, finding: Mapping[str, Any], lang: str) -> str:
    if finding.get("per"):
        return f"{number:.0%}"
    try:
        unit = UNIT[Indicator(str(finding.get("indicator")))]
    except ValueError:
        return f"{number:,.0f}"
    shown = f"{number:,.0f}"
    key = f"unit.{unit.value}.one" if unit in COUNTED and shown == "1" else f"unit.{unit.value}"
    return f"{shown} {translate(key, lang)}"
