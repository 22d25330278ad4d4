"""A finding (what moved, by how much, since when, which rule or score fired) in a person's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhili.web.i18n import translate


def finding_text(finding: Mapping[str, Any], lang: str) -> str:
    """One finding as a sentence in the page's language; unknown parts are left out."""
    name = _rule_name(finding, lang)
    indicator = finding.get("indicator")
    what = translate(f"indicator.{indicator}", lang) if indicator else ""
    change = finding.get("change")
    moved = ""
    if isinstance(change, int | float):
        moved = f"{change:+.0%}"
    since = finding.get("since")
    months = finding.get("months")
    parts = [part for part in (what, moved) if part]
    text = " ".join(parts)
    if since:
        text += f"（自 {since} 起" if lang != "en" else f" (since {since}"
        if isinstance(months, int) and months > 1:
            text += f"，连续 {months} 个月）" if lang != "en" else f", {months} months running)"
        else:
            text += "）" if lang != "en" else ")"
    if name:
        text = f"{name}：{text}" if lang != "en" else f"{name}: {text}"
    return text.strip("：: ")


def _rule_name(finding: Mapping[str, Any], lang: str) -> str:
    key = "name_en" if lang == "en" else "name_zh"
    if isinstance(finding.get(key), str):
        return str(finding[key])
    detector = finding.get("detector") or finding.get("kind")
    return translate(f"detector.{detector}", lang) if detector else ""
