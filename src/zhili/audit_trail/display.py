"""How an audit record reads on a page: the action by its label, the entity as a link, before → after by field.

Pure: plain values in, plain values out, in the page's language. A label comes from the message
catalog where one exists; a field or value without one is shown as data (`is_code`, which the
template marks `translate="no"`), and a long or nested value is folded as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhili.org.roles import role_name
from zhili.web.i18n import messages, translate
from zhili.web.labels import local_time, yesno

ACTION_PREFIX = "audit.action."
AREA_PREFIX = "audit.area."
FIELD_PREFIX = "audit.field."
ENTITY_PREFIX = "audit.entity."
LONG_VALUE = 80
"""A text longer than this, or any list or mapping, is folded as JSON under a summary."""

# Pages an entity has, by its type: where a record's entity links to.
ENTITY_PAGES = {
    "case": "/cases/{id}",
    "campaign": "/campaigns/{id}",
    "command_group": "/groups/{id}",
    "campaign_task": "/tasks/{id}",
    "matter": "/matters/{id}",
    "person": "/org/people/{id}",
    "webhook_endpoint": "/admin/webhooks/{id}",
    "open311_client": "/admin/open311",
    "alert": "/alerts/{id}",
    "alert_rule": "/admin/alert-rules/{id}",
}
# The kinds of entity a filter offers (the others are reached by their records' links).
ENTITY_TYPES = (
    "case", "campaign", "campaign_task", "command_group", "command_instruction",
    "warning", "matter", "account", "person",
)  # fmt: skip
# A value by its label: the message prefix of a field's values, for an entity type or any ("").
VALUE_LABELS = {
    ("case", "status"): "status",
    ("", "severity"): "severity",
    ("webhook_endpoint", "min_severity"): "severity",
    ("webhook_endpoint", "format"): "notify.format",
    ("command_group", "state"): "group.state",
    ("command_instruction", "state"): "group.instruction_state",
    ("campaign_task", "state"): "task_state",
    ("warning", "verdict"): "verdict",
    ("open311_client", "state"): "open311.client_state",
    ("command_group", "origin"): "group.origin",
    ("case", "suspended_from"): "status",
    ("case", "phase"): "phase",
    ("case", "phase_limit_unit"): "unit",
    ("alert_rule", "min_urgency"): "alert.urgency",
    ("alert_rule", "min_certainty"): "alert.certainty",
    ("alert_rule", "category"): "alert.category",
    ("case", "rating"): "rating",
    ("campaign_task", "rating"): "task_rating",
    ("campaign", "mode"): "campaigns.mode_",  # a prefix ending in "_" takes the value without a dot
    ("matter", "source"): "matters.source",
}
# Numbers people use for cases (ZL<year><7-digit id>) and campaigns (SL<year><6-digit id>).
NUMBERS = (("case", re.compile(r"ZL\d{4}(\d{7})")), ("campaign", re.compile(r"SL\d{4}(\d{6})")))
# The problems `core.audit.verify` reports, each by its message (`audit.problem.<kind>`), with the seq it names.
PROBLEMS = (
    ("missing", re.compile(r"seq (\d+): missing \(next present is (\d+)\)")),
    ("unlinked", re.compile(r"seq (\d+): does not link")),
    ("edited", re.compile(r"seq (\d+): content does not match")),
    ("head", re.compile(r"the chain's head does not match")),
)
# Fields whose value is a record's id or code, shown by the name behind it (`Names`): the kind of record each names.
NAMED_FIELDS = {
    "division_code": "division",
    "area": "division",
    "area_code": "division",
    "dispatcher_division": "division",
    "handling_division": "division",
    "department_id": "department",
    "unit_id": "department",
    "lead_unit_id": "department",
    "matter": "matter",
    "matter_code": "matter",
    "person_id": "person",
    "position_id": "position",
    "supervisor_position_id": "position",
    "place": "division",
    "routed_unit_id": "department",
    "case_id": "case",
    "template": "template",
    # lists of them
    "units": "department",
    "added": "person",
    "areas": "division",
    "divisions": "division",
    "people": "person",
    "person_ids": "person",
    "members": "person",
}
_RAW_NUMBERS = frozenset({"seed", "year"})  # numbers that are names, not amounts: never 20,210,723
_GONE = object()  # a field the new state no longer holds
Names = Mapping[tuple[str, str], str]
"""What the page knows by name: (kind of record, id or code) → its name (`division`, `department`, ...)."""
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:+-]+")


@dataclass(frozen=True)
class Shown:
    """One value as the page shows it: text, or JSON folded under a summary (`folded`)."""

    text: str
    is_code: bool = False
    folded: str | None = None


@dataclass(frozen=True)
class Change:
    """One field of a record: its label, and its value before (if recorded) and after."""

    field: str
    is_code: bool
    before: Shown | None
    after: Shown | None


def action_label(action: str, language: str = "zh") -> str | None:
    """An action by its label (`audit.action.<action>`, a case's by its event's label); None when it has none."""
    keys = [f"{ACTION_PREFIX}{action}"]
    if action.startswith("case."):
        keys.append(f"event.{action.removeprefix('case.')}")
    found = next((key for key in keys if key in messages()), None)
    return translate(found, language) if found else None


def action_choices(language: str = "zh") -> list[tuple[str, list[tuple[str, str]]]]:
    """The actions a filter offers, by area: every labelled action (and each case event), sorted by label."""
    actions = {key.removeprefix(ACTION_PREFIX) for key in messages() if key.startswith(ACTION_PREFIX)}
    actions |= {f"case.{key.removeprefix('event.')}" for key in messages() if key.startswith("event.")}
    areas: dict[str, list[tuple[str, str]]] = {}
    for action in actions:
        areas.setdefault(action.split(".", 1)[0], []).append((action, action_label(action, language) or action))
    return [
        (area_label(area, language), sorted(items, key=lambda item: item[1]))
        for area, items in sorted(areas.items(), key=lambda item: area_label(item[0], language))
    ]


def area_label(area: str, language: str = "zh") -> str:
    """The part of the product an action belongs to (`case` → 案件)."""
    key = f"{AREA_PREFIX}{area}"
    return translate(key, language) if key in messages() else translate(f"{AREA_PREFIX}other", language)


def entity_label(entity_type: str, language: str = "zh") -> str | None:
    """A kind of entity by its label, or None when it has none."""
    key = f"{ENTITY_PREFIX}{entity_type}"
    return translate(key, language) if key in messages() else None


def entity_link(entity_type: str, entity_id: str) -> str | None:
    """The page of an entity, where it has one."""
    page = ENTITY_PAGES.get(entity_type)
    return page.format(id=entity_id) if page and _IDENTIFIER.fullmatch(entity_id) else None


def entity_from_number(text: str) -> tuple[str, str] | None:
    """A case or campaign number (`ZL20260012546`) as its entity (`case`, `12546`); None for anything else."""
    for entity_type, pattern in NUMBERS:
        if found := pattern.fullmatch(text.strip().upper()):
            return entity_type, str(int(found.group(1)))
    return None


def role_label(role: str, language: str = "zh") -> str | None:
    """The role an actor acted in, by its name; None for what is not a role (a login's `login`)."""
    name = role_name(role, language)
    return None if name == role else name


def changes(
    entity_type: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    language: str = "zh",
    names: Names | None = None,
) -> list[Change]:
    """Every field of the record, in order: its label, old → new (old only when `before` names it).

    A field that holds an id or a code (`NAMED_FIELDS`) is shown by the name `names` gives it.
    """
    old, new = before or {}, after or {}
    fields = sorted(set(old) | set(new))
    known = names or {}
    # What changed comes first: a value that moved, or one the record did not hold before (when it says what
    # it held). A value kept as it was is said once (the new value), not as "A → A".
    changed = {
        name
        for name in fields
        if old.get(name, _GONE) != new.get(name, _GONE)
        and (name in old or (old and new.get(name) not in (None, "")))  # unset to unset is no change
    }
    found = [
        Change(
            field=_field_label(name, language) or name,
            is_code=_field_label(name, language) is None,
            before=_shown(entity_type, name, old[name], language, known) if name in old and name in changed else None,
            after=_shown(entity_type, name, new[name], language, known) if name in new else None,
        )
        for name in fields
    ]
    # An empty field that stayed empty says nothing (a refused case's two dozen unset columns): left out.
    return [change for name, change in zip(fields, found, strict=True) if name in changed] + [
        change
        for name, change in zip(fields, found, strict=True)
        if name not in changed and not (change.after is not None and change.after.text == "—")
    ]


def named_values(records: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> set[tuple[str, str]]:
    """The ids and codes the records' fields name (`NAMED_FIELDS`), as (kind of record, id or code)."""
    found: set[tuple[str, str]] = set()
    for before, after in records:
        for values in (before or {}, after or {}):
            for name, value in values.items():
                kind = NAMED_FIELDS.get(name)
                for one in value if isinstance(value, list) else [value]:
                    if kind and isinstance(one, int | str) and not isinstance(one, bool) and one != "":
                        found.add((kind, str(one)))
    return found


def _field_label(name: str, language: str) -> str | None:
    key = f"{FIELD_PREFIX}{name}"
    return translate(key, language) if key in messages() else None


def _shown(entity_type: str, name: str, value: object, language: str, names: Names) -> Shown:
    if value is None or value == "":
        return Shown("—")
    if isinstance(value, str):
        return _text(entity_type, name, value, language, names)
    if isinstance(value, bool | int | float):
        return Shown(_scalar(name, value, language, names))
    if isinstance(value, list) and (listed := _listed(name, value, language, names)) is not None:
        return listed
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return Shown(_summary(value, language), folded=text)


def _scalar(name: str, value: bool | float, language: str, names: Names) -> str:
    if isinstance(value, bool):
        return yesno(value, language)
    if isinstance(value, int) and (name == "id" or name.endswith("_id")):  # an id, not an amount: by its name
        return names.get((NAMED_FIELDS.get(name, ""), str(value)), str(value))
    if name in _RAW_NUMBERS:
        return str(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)  # noqa: PLR2004


def _text(entity_type: str, name: str, value: str, language: str, names: Names) -> Shown:
    if name == "phase_calendar_basis" and (years := _calendar_basis(value, language)) is not None:
        return Shown(years)
    if name == "evidence" and (pieces := _evidence(value, language)) is not None:
        value = pieces or "—"  # in words, folded when long as any text
    elif (label := _label(entity_type, name, value, language, names)) is not None:
        return Shown(label)
    if name.endswith("_at") and (instant := _instant(value)) is not None:
        return Shown(local_time(instant, language))
    if len(value) > LONG_VALUE:
        return Shown(value[:LONG_VALUE] + "…", folded=value)
    return Shown(value, is_code=name != "evidence" and _IDENTIFIER.fullmatch(value) is not None and not value.isdigit())


def _label(entity_type: str, name: str, value: str, language: str, names: Names) -> str | None:
    """A code's name or label: a place, a unit or a matter by its name, a role or an enum's value by its label."""
    if (kind := NAMED_FIELDS.get(name)) and (found := names.get((kind, value))):
        return found
    if name == "role" and (role := role_label(value, language)):
        return role
    prefix = VALUE_LABELS.get((entity_type, name)) or VALUE_LABELS.get(("", name))
    key = f"{prefix}{value}" if prefix and prefix.endswith("_") else f"{prefix}.{value}"
    if prefix and key in messages():
        return translate(key, language)
    return None


def _listed(name: str, values: list[Any], language: str, names: Names) -> Shown | None:
    """A list of ids, codes or numbers in words (names where known: 龙游县、柯城区); None for a list of records."""
    if not all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in values):
        return None
    if not values:
        return Shown("—")
    kind = NAMED_FIELDS.get(name, "")
    words = ("、" if language == "zh" else ", ").join(names.get((kind, str(v)), str(v)) for v in values)
    return Shown(words) if len(words) <= LONG_VALUE else Shown(_summary(values, language), folded=words)


def _evidence(value: str, language: str) -> str | None:
    """A case's evidence list (JSON of kind and reference) in words: 照片编号 12；定位 118.87,28.97; None if not one."""
    try:
        pieces = json.loads(value)
    except ValueError:
        return None
    if not isinstance(pieces, list) or not all(isinstance(p, dict) and "kind" in p for p in pieces):
        return None
    words = []
    for piece in pieces:
        key = f"evidence.{piece['kind']}"
        label = translate(key, language) if key in messages() else str(piece["kind"])
        ref = str(piece.get("ref", ""))
        words.append(f"{label} {ref.removeprefix('photo:') if piece['kind'] == 'photo' else ref}".strip())
    return ("；" if language == "zh" else "; ").join(words)


def _calendar_basis(value: str, language: str) -> str | None:
    """The calendar a deadline was counted on, year by year (2026:library → 2026 内置节假日库); None if not one."""
    parts = [part.split(":", 1) for part in value.split(",") if part]
    if not parts or any(len(p) != 2 or not p[0].isdigit() or f"calendar.basis.{p[1]}" not in messages() for p in parts):  # noqa: PLR2004
        return None
    return ("、" if language == "zh" else ", ").join(
        f"{y} {translate(f'calendar.basis.{b}', language)}" for y, b in parts
    )


def _instant(value: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _summary(value: object, language: str) -> str:
    count = len(value) if isinstance(value, list | dict) else 1
    return translate("audit.items", language).format(n=count)


def problem_label(problem: str, language: str = "zh") -> str:
    """A problem the chain's check found, in the page's language (`seq 5: … edited` → 第 5 条记录被修改)."""
    for kind, pattern in PROBLEMS:
        if found := pattern.match(problem):
            values = dict(enumerate(found.groups()))
            return translate(f"audit.problem.{kind}", language).format(seq=values.get(0, ""), next=values.get(1, ""))
    return problem
