"""How pages say things: one function per formatting rule, installed as the templates' filters.

- `local`: a stored UTC time in Quzhou's local time (China Standard Time, no daylight saving), with no
  zone suffix: `2026-12-02 18:10` in Chinese, `2 Dec 2026 18:10` in English (`local_date`: the date).
- `duration(amount, unit)`: `1 小时`, `2 个工作日`, `30 分钟`; `1 hour`, `2 working days`.
  `minutes`: a number of minutes in the largest whole units (`1 小时 30 分钟`).
- `label(prefix)`: an enum value by its message `prefix.value` (a missing message shows its key, which
  the page crawl test catches); `labels(prefix)`: a list of them; `listing`: a list of words.
- `yesno`: 是 / 否. `actor`: who did something (`system:clock` → 系统时钟; `account:8:gridworker` → the
  person's name from the page's `actor_names`, else the username). `more`: 另有 3 项 / 3 more.
- `topic`: a notification topic by its label (`case.red_card` → 红牌警告, through the event's label).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from zhili.core.local_time import LOCAL_ZONE, MONTHS_EN
from zhili.web.i18n import messages, translate

MONTHS = MONTHS_EN
UNITS = ("minutes", "hours", "days", "working_hours", "working_days")
MINUTES_PER = {"days": 24 * 60, "hours": 60, "minutes": 1}
SYSTEM_PREFIX = "system:"
NAMED_KINDS = frozenset({"account", "person"})
SOURCE_KINDS = frozenset({"citizen", "hotline"})
CLIENT_KINDS = frozenset({"open311"})  # open311:3:衢州市民App: an app reporting for citizens, by its name
PUBLIC_KINDS = frozenset({"web", "tracker"})  # web:public (the public form), tracker:ZL… (its reporter, by the link)


def local_time(value: datetime | None, language: str = "zh") -> str:
    """A stored UTC time as Quzhou reads it, without a zone suffix."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_ZONE)
    if language == "en":
        return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def local_date(value: datetime | date | None, language: str = "zh") -> str:
    """The local date of a stored time (or a date as it is)."""
    if value is None:
        return ""
    day = value.astimezone(LOCAL_ZONE).date() if isinstance(value, datetime) else value
    if language == "en":
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{day:%Y-%m-%d}"


def duration(amount: float, unit: str, language: str = "zh") -> str:
    """An amount of a unit of time: `2 个工作日`, `1 hour`."""
    shown = f"{amount:g}" if isinstance(amount, float) else str(amount)
    key = f"unit.{unit}.one" if amount == 1 else f"unit.{unit}"
    return f"{shown} {translate(key, language)}"


def minutes(total: int, language: str = "zh") -> str:
    """Minutes in the largest whole units: `1 小时 30 分钟`, `1 day`."""
    parts: list[str] = []
    left = int(total)
    for unit, size in MINUTES_PER.items():
        amount, left = divmod(left, size)
        if amount:
            parts.append(duration(amount, unit, language))
    return " ".join(parts) or duration(0, "minutes", language)


def label(value: object, prefix: str, language: str = "zh") -> str:
    """An enum value by its label: the message `prefix.value`."""
    raw = getattr(value, "value", value)
    return "" if raw is None or raw == "" else translate(f"{prefix}.{raw}", language)


def listing(values: Iterable[object], language: str = "zh") -> str:
    """A list of words as a reader writes it: `甲、乙` or `A, B`."""
    return (", " if language == "en" else "、").join(str(v) for v in values if v is not None and v != "")


def labels(values: Iterable[object], prefix: str, language: str = "zh") -> str:
    """A list of enum values by their labels."""
    return listing((label(v, prefix, language) for v in values), language)


def yesno(value: object, language: str = "zh") -> str:
    """是 / 否 (Yes / No); a stored `yes`/`no` or `true`/`false` string counts as well."""
    is_yes = value.lower() in {"yes", "true", "1", "on"} if isinstance(value, str) else bool(value)
    return translate("label.yes" if is_yes else "label.no", language)


def actor(key: str | None, language: str = "zh", names: Mapping[str, str] | None = None) -> str:
    """Who did something, from an audit actor string; a person's name when the page resolved it."""
    if not key:
        return ""
    if names and key in names:
        return names[key]
    kind, _, rest = key.partition(":")
    if kind in NAMED_KINDS:  # account:8:gridworker, person:7520:程华琪: the last part names them
        return rest.rsplit(":", 1)[-1]
    if kind in SOURCE_KINDS:  # citizen:135****3508, hotline:12345: who reported, with their number
        return f"{translate(f'actor.{kind}', language)} {rest}"
    if kind in CLIENT_KINDS:
        return f"{translate(f'actor.{kind}', language)} {rest.split(':', 1)[-1]}"
    name = kind if kind in PUBLIC_KINDS else key.removeprefix(SYSTEM_PREFIX)
    found = translate(f"actor.{name}", language)
    return found if found != f"actor.{name}" else translate("actor.system", language)


def topic(value: str, language: str = "zh") -> str:
    """A notification topic by its label: `topic.<topic>`, or for `case.<event>` the event's label."""
    for key in (f"topic.{value}", f"event.{value.removeprefix('case.')}" if value.startswith("case.") else ""):
        if key and key in messages():
            return translate(key, language)
    return value


def topic_labels(language: str = "zh") -> dict[str, str]:
    """Every labelled topic, for the live inbox script."""
    found = {key.removeprefix("topic."): key for key in messages() if key.startswith("topic.")}
    found |= {f"case.{key.removeprefix('event.')}": key for key in messages() if key.startswith("event.")}
    return {name: translate(key, language) for name, key in sorted(found.items())}


def more(count: int, language: str = "zh") -> str:
    """How many more there are than the page shows: 另有 3 项 / 3 more."""
    return translate("label.more", language).format(n=count)


def _language(context: Context) -> str:
    found = context.get("lang")
    return found if isinstance(found, str) else "zh"


def install(environment: Environment) -> None:
    """Add the filters to a Jinja environment; each reads the page's language from its `lang`."""

    def in_language(function: Any) -> Any:
        @pass_context
        def with_language(context: Context, value: Any, *args: Any) -> Any:
            return function(value, *args, _language(context))

        return with_language

    @pass_context
    def actor_filter(context: Context, key: str | None) -> str:
        names = context.get("actor_names")
        return actor(key, _language(context), names if isinstance(names, Mapping) else None)

    for name, function in {
        "local": local_time,
        "local_date": local_date,
        "duration": duration,
        "minutes": minutes,
        "label": label,
        "labels": labels,
        "listing": listing,
        "yesno": yesno,
        "more": more,
        "topic": topic,
    }.items():
        environment.filters[name] = in_language(function)
    environment.filters["actor"] = actor_filter
    environment.globals["topic_labels"] = topic_labels
