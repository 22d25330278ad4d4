"""The case page in words: attributes by their labels, limits, evidence and timeline details, in the page's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhili.cases.page_names import ActorName, Names
from zhili.cases.states import gps_point
from zhili.core.params import id_in
from zhili.matters.definition import AttributeDefinition, Datatype, MatterDefinition
from zhili.web.i18n import translate
from zhili.web.labels import local_time


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """One piece of evidence as the page shows it: a photo, a GPS fix, a text or a document reference."""

    kind: str
    label: str
    text: str = ""
    photo_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    far_m: float | None = None  # a GPS fix this far from the case's point (`FAR_FROM_CASE_M` or more): said so


# The kinds of actor a page names by a label alone.
LABELLED = {
    "clock": "casepage.actor.clock",
    "hotline": "casepage.actor.hotline",
    "web": "actor.web",
    "tracker": "actor.tracker",
}


class Words:
    """Formats values for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def t(self, key: str) -> str:
        """The message for `key`."""
        return translate(key, self.lang)

    def pick(self, zh: str, en: str) -> str:
        """The Chinese or English name."""
        return en if self.lang == "en" else zh

    def joined(self, items: list[str]) -> str:
        """A list as one phrase."""
        return (", " if self.lang == "en" else "、").join(items)

    def limit(self, amount: int | None, unit: str | None) -> str:
        """`4 小时` / `2 个工作日` (never `4 hours` on a Chinese page)."""
        if not amount or not unit:
            return ""
        key = f"casepage.limit.{unit}" + (".one" if amount == 1 else "")
        return self.t(key).replace("{n}", str(amount))

    def actor(self, who: ActorName | None) -> str:
        """A person by name and unit; the clock, the system, a citizen by their label."""
        if who is None or who.kind == "system":
            named = self.t(f"actor.{who.name}") if who and who.name else ""
            return named if named and not named.startswith("actor.") else self.t("casepage.actor.system")
        if who.kind in LABELLED:  # the clock, 12345, the public form, a reporter through their tracking link
            return self.t(LABELLED[who.kind])
        if who.kind == "citizen":
            return f"{self.t('casepage.actor.citizen')} {who.name}"
        if who.kind == "open311":
            return f"{self.t('actor.open311')} {who.name}"
        if not who.unit:
            return who.name
        return f"{who.name} ({who.unit})" if self.lang == "en" else f"{who.name}（{who.unit}）"

    def attributes(self, definition: MatterDefinition, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(label, value) of each attribute given, in the matter's order; values by their labels."""
        return [
            (self.pick(a.name_zh, a.name_en), self.attribute_value(a, values[a.code]))
            for a in sorted(definition.attributes, key=lambda a: a.order)
            if values.get(a.code) not in (None, "", [])
        ]

    def attribute_value(self, attribute: AttributeDefinition, value: Any) -> str:
        """A stored attribute value in words: list keys by label, times local, numbers plain."""
        labels = {v.key: self.pick(v.name_zh, v.name_en) for v in attribute.values}
        if attribute.datatype is Datatype.MULTIVALUELIST and isinstance(value, list):
            return self.joined([labels.get(str(v), str(v)) for v in value])
        if attribute.datatype is Datatype.SINGLEVALUELIST:
            return labels.get(str(value), str(value))
        if attribute.datatype is Datatype.DATETIME and isinstance(value, str):
            try:
                return local_time(datetime.fromisoformat(value), self.lang)
            except ValueError:
                return value
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def evidence(self, items: list[dict[str, Any]]) -> list[EvidenceView]:
        """Stored evidence `{kind, ref}` as the page shows it."""
        views = []
        for item in items:
            kind, ref = str(item.get("kind", "")), str(item.get("ref", ""))
            label = self.t(f"casepage.evidence.{kind}")
            if kind == "photo" and ref.startswith("photo:") and (photo := id_in(ref[6:])) is not None:
                views.append(EvidenceView(kind, label, photo_id=photo))
            elif kind == "gps" and (point := gps_point(ref)) is not None:
                views.append(
                    EvidenceView(kind, label, text=f"{point[0]:.5f}, {point[1]:.5f}", lon=point[0], lat=point[1])
                )
            else:
                views.append(EvidenceView(kind, label, text=ref))
        return views

    def event(self, details: Mapping[str, Any], names: Names, extra: Mapping[str, str]) -> str:
        """An event's details as one line of words; ids by name, codes by label, unknown keys left out."""
        parts = []
        for key, describe in _DETAILS.items():
            if key in details and details[key] not in (None, "", []):
                text = describe(self, details[key], names, extra)
                if text:
                    parts.append(f"{self.t('casepage.detail.' + key)}：{text}")
        if self.lang == "en":
            return _clauses([p.replace("：", ": ") for p in parts], "; ", " ")
        return _clauses(parts, "；", "")


# A detail that already ends a sentence (a reply's text often does) takes no separator after it.
_END_PUNCTUATION = tuple("。！？；.!?;")


def _clauses(parts: list[str], separator: str, after_stop: str) -> str:
    """The details as one line: `separator` between them, `after_stop` after one that ends in end punctuation."""
    line = ""
    for part in parts:
        if line:
            line += after_stop if line.rstrip().endswith(_END_PUNCTUATION) else separator
        line += part
    return line


Describe = Callable[[Words, Any, Names, Mapping[str, str]], str]


def _text(_w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    return str(value)


def _localized(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    """Text another domain wrote in both languages (`{"zh": …, "en": …}`), in the page's."""
    if isinstance(value, Mapping):
        return str(value.get("en" if w.lang == "en" else "zh", ""))
    return str(value)


def _unit(_w: Words, value: Any, names: Names, _e: Mapping[str, str]) -> str:
    return names.units.get(int(value), "") if isinstance(value, int) else ""


def _units(w: Words, value: Any, names: Names, _e: Mapping[str, str]) -> str:
    return w.joined([names.units.get(v, "") for v in value if isinstance(v, int)]) if isinstance(value, list) else ""


def _hours(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    return w.limit(int(value), "hours") if isinstance(value, int) else ""


def _keyed(prefix: str) -> Describe:
    def describe(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
        if isinstance(value, list):  # one stage per unit asked: each said once
            return w.joined([w.t(f"{prefix}.{v}") for v in dict.fromkeys(value)])
        return w.t(f"{prefix}.{value}")

    return describe


def _evidence(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    return w.joined([e.label for e in w.evidence(value)]) if isinstance(value, list) else ""


def _on_time(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    return w.t("casepage.on_time" if value else "casepage.late")


def _division(_w: Words, value: Any, names: Names, _e: Mapping[str, str]) -> str:
    return names.divisions.get(str(value), "")


def _post(w: Words, value: Any, names: Names, _e: Mapping[str, str]) -> str:
    holder = names.posts.get(value) if isinstance(value, int) else None
    if holder is None:
        return ""
    return w.t("casepage.contact_of_unit").format(unit=holder.name) if holder.is_unit else holder.name


def _named(prefix: str) -> Describe:
    def describe(_w: Words, value: Any, _n: Names, extra: Mapping[str, str]) -> str:
        return extra.get(f"{prefix}:{value}", "")

    return describe


def _time(w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    try:
        return local_time(datetime.fromisoformat(str(value)), w.lang)
    except ValueError:
        return ""


def _count(_w: Words, value: Any, _n: Names, _e: Mapping[str, str]) -> str:
    return str(value) if isinstance(value, int) and value else ""


# What each detail key says, in the order a line reads; keys not listed (parties, codes) are left out.
_DETAILS: dict[str, Describe] = {
    "routed_unit_id": _unit,
    "handling_division": _division,
    "contact_position_id": _post,
    "lead_unit_id": _unit,
    "from_lead_unit_id": _unit,
    "units": _units,
    "stages": _keyed("stage"),
    "request_id": _named("request"),
    "task_id": _named("task"),
    "meeting_id": _named("meeting"),
    "attendees": lambda w, v, _n, _e: w.joined([str(a) for a in v]) if isinstance(v, list) else "",
    "decisions": _count,
    "on_time": _on_time,
    "group": _text,
    "number": _text,  # the other case of a 重新上报
    "closure": _text,
    "text": _text,
    "summary": _localized,
    "evidence": _evidence,
    "hours": _hours,
    "withdrawn_extension_hours": _hours,
    "rating": _keyed("rating"),
    "comment": _text,
    "phase": _keyed("phase"),
    "due_at": _time,
    "phase_started": _keyed("phase"),
    "reason": _text,
    "note": _text,
}
