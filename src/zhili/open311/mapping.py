"""What maps to what between GeoReport v2 and Zhili: pure rules, no database, no clock read.

matter → service; intake attribute → service-definition attribute; a POST's form → a case report;
a case (as `RequestRow`) → a service request; the GET filters → `RequestFilter`, with the 90-day rule.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from zhili.cases.schemas import (
    CALLBACK_PHONE,
    CALLBACK_REFUSAL,
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_REPORTER_NAME,
    PHONE,
    normalised_phone,
)
from zhili.cases.states import CaseStatus
from zhili.core.errors import InvalidInputError
from zhili.core.local_time import LOCAL_ZONE
from zhili.core.text import refusal
from zhili.matters.definition import AttributeDefinition, AttributeFormat, Datatype, MatterDefinition
from zhili.open311.formats import Value

SPECIFICATION: Final = "http://wiki.open311.org/GeoReport_v2"
FORMATS: Final = ("text/xml", "application/json")
MAX_SPAN: Final = timedelta(days=90)
MAX_PAGE_SIZE: Final = 1000
MAX_PAGE: Final = 1000
MAX_IDS: Final = 200
CLOSED_STATUSES: Final = frozenset({CaseStatus.CLOSED, CaseStatus.RATED, CaseStatus.ARCHIVED, CaseStatus.REJECTED})
"""`closed` from 办结 on, and a case not accepted (不予受理: it ends there); every other status is `open`."""
_ATTRIBUTE_KEY = re.compile(r"attribute\[([A-Za-z0-9_]{1,60})\](\[\])?")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_PLUS_AS_SPACE = re.compile(r"(T[\d:.]+) (\d{2}:?\d{2})$")


def iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in Quzhou's time (`2026-12-05T15:10:00+08:00`)."""
    return None if value is None else value.astimezone(LOCAL_ZONE).isoformat(timespec="seconds")


def _name(zh: str, en: str, language: str) -> str:
    return en if language == "en" else zh


# ---- discovery and services -------------------------------------------------------------------------


def discovery(*, base_url: str, changeset: datetime | None, contact: str, production: bool) -> dict[str, Value]:
    """The discovery document: one endpoint (ours), both formats."""
    stamp = iso(changeset)
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": f"{base_url}/admin/open311",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": stamp,
                "type": "production" if production else "test",
                "formats": list(FORMATS),
            }
        ],
    }


def service(definition: MatterDefinition, *, group: str, language: str) -> dict[str, Value]:
    """A matter as an Open311 service; `metadata` is true when it has intake attributes."""
    keywords = dict.fromkeys([definition.name_zh, definition.name_en, definition.code, group])
    return {
        "service_code": definition.code,
        "service_name": _name(definition.name_zh, definition.name_en, language),
        "description": _name(definition.description_zh, definition.description_en, language),
        "metadata": bool(definition.attributes),
        "type": "realtime",
        "keywords": ",".join(word.replace(",", " ") for word in keywords if word),
        "group": group,
    }


def service_definition(definition: MatterDefinition, *, language: str) -> dict[str, Value]:
    """The matter's intake attributes as the service definition, in their order."""
    attributes = sorted(definition.attributes, key=lambda attribute: attribute.order)
    return {"service_code": definition.code, "attributes": [_attribute(a, language) for a in attributes]}


def _attribute(attribute: AttributeDefinition, language: str) -> dict[str, Value]:
    name = _name(attribute.name_zh, attribute.name_en, language)
    description = _name(attribute.description_zh, attribute.description_en, language)
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype.value,
        "required": attribute.required,
        "datatype_description": datatype_description(attribute),
        "order": attribute.order,
        "description": f"{name}：{description}" if description else name,
        "values": [{"key": v.key, "name": _name(v.name_zh, v.name_en, language)} for v in attribute.values],
    }


def datatype_description(attribute: AttributeDefinition) -> str:
    """What a value of the attribute must be, in words: its datatype's, or its own format or limit."""
    if attribute.format is AttributeFormat.CREDIT_CODE:
        return "a unified social credit code: 18 digits or capital letters, the last a check character"
    if attribute.whole:
        return "a whole number"
    if attribute.max_length is not None:
        lines = "one line of text" if attribute.datatype == Datatype.STRING else "text"
        return f"{lines}, at most {attribute.max_length:,} characters"
    return DATATYPE_DESCRIPTIONS[attribute.datatype]


DATATYPE_DESCRIPTIONS: Final = {
    Datatype.STRING: "one line of text, at most 200 characters",
    Datatype.TEXT: "text, at most 4,000 characters",
    Datatype.NUMBER: "a number",
    Datatype.DATETIME: "ISO 8601 date and time with a zone",
    Datatype.SINGLEVALUELIST: "one of the keys listed",
    Datatype.MULTIVALUELIST: "one or more of the keys listed",
}


# ---- a report (POST) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A POST's fields, read and checked: what `open311.service.report` makes a case of."""

    service_code: str
    lon: float | None
    lat: float | None
    address: str | None
    description: str | None
    attributes: dict[str, Any]
    reporter_name: str | None
    reporter_phone: str | None
    fields: dict[str, str] = field(default_factory=dict)  # what was said, for the idempotency fingerprint


def _one(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    """A parameter's first value, stripped; an empty one is as good as absent."""
    values = form.get(name) or ()
    value = values[0].strip() if values else ""
    return value or None


def _refuse(problems: list[dict[str, str]]) -> InvalidInputError:
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return InvalidInputError(detail, errors=problems)


def read_report(form: Mapping[str, Sequence[str]]) -> Report:
    """The common fields of a POST: service, location, description, reporter; 400 naming each problem.

    Attributes are read against the service's definition afterwards (`read_attributes`).
    """
    problems: list[dict[str, str]] = []
    code = _one(form, "service_code")
    if code is None:
        problems.append({"field": "service_code", "message": "is required"})
    lon, lat = _point(form, problems)
    address = _one(form, "address_string")
    if lon is None and address is None:
        if _one(form, "address_id"):
            problems.append({"field": "address_id", "message": "is not supported here; send lat and long"})
        else:
            problems.append({"field": "lat", "message": "a location is required: lat and long, or address_string"})
    description = _checked_text(form, "description", MAX_DESCRIPTION, problems, multiline=True)
    address = _checked_text(form, "address_string", MAX_ADDRESS, problems, multiline=False)
    first = _checked_text(form, "first_name", MAX_REPORTER_NAME, problems, multiline=False)
    last = _checked_text(form, "last_name", MAX_REPORTER_NAME, problems, multiline=False)
    phone = _phone(_one(form, "phone"), problems)
    name = reporter_name(first, last)
    if name is not None and len(name) > MAX_REPORTER_NAME:
        problems.append({"field": "first_name", "message": f"the name may have at most {MAX_REPORTER_NAME} characters"})
    if problems:
        raise _refuse(problems)
    assert code is not None  # noqa: S101 - refused above
    said = {
        key: values[0] if len(values) == 1 else ",".join(values)
        for key, values in sorted(form.items())
        if key != "api_key" and any(value.strip() for value in values)
    }
    return Report(code, lon, lat, address, description, {}, name, phone, said)


def _point(form: Mapping[str, Sequence[str]], problems: list[dict[str, str]]) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = _one(form, "lat"), _one(form, "long")
    if raw_lat is None and raw_lon is None:
        return None, None
    try:
        lat, lon = float(raw_lat or "nan"), float(raw_lon or "nan")
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):  # noqa: PLR2004
        problems.append({"field": "lat", "message": "lat and long must both be WGS-84 degrees"})
        return None, None
    return lon, lat


def _checked_text(
    form: Mapping[str, Sequence[str]], name: str, limit: int, problems: list[dict[str, str]], *, multiline: bool
) -> str | None:
    value = _one(form, name)
    if value is None:
        return None
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > limit:
        problems.append({"field": name, "message": f"may have at most {limit:,} characters"})
        return None
    reason = refusal(value, multiline=multiline)
    if reason is not None:
        problems.append({"field": name, "message": reason})
        return None
    return value


def _phone(value: str | None, problems: list[dict[str, str]]) -> str | None:
    if value is None:
        return None
    digits = normalised_phone(_PHONE_SEPARATORS.sub("", value))  # as the 12345 desk looks a caller up
    if digits is None or not re.fullmatch(PHONE, digits):
        problems.append({"field": "phone", "message": "must be a telephone number"})
        return None
    if not CALLBACK_PHONE.match(digits):
        problems.append({"field": "phone", "message": CALLBACK_REFUSAL})
        return None
    return digits


def reporter_name(first: str | None, last: str | None) -> str | None:
    """The reporter's name: a Chinese name family name first (张 + 三 → 张三), others `first last`."""
    parts = [part for part in (first, last) if part]
    if not parts:
        return None
    if first and last and _CJK.search(first + last):
        return last + first
    return " ".join(parts)


def read_attributes(form: Mapping[str, Sequence[str]], definition: MatterDefinition) -> dict[str, Any]:
    """`attribute[CODE]=v` (and `attribute[CODE][]=v` for several values) as the intake's typed values.

    Numbers become numbers and a multi-value list a list; the intake's own check
    (`cases.attributes.validate_attributes`) then says what is missing or wrong.
    """
    known = {attribute.code: attribute for attribute in definition.attributes}
    given: dict[str, list[str]] = {}
    for key, values in form.items():
        found = _ATTRIBUTE_KEY.fullmatch(key)
        if found is None:
            continue
        kept = [value.strip() for value in values if value.strip()]
        if kept:
            given.setdefault(found.group(1), []).extend(kept)
    attributes: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for code, values in sorted(given.items()):
        attribute = known.get(code)
        if attribute is None or attribute.datatype is not Datatype.MULTIVALUELIST:
            if len(values) > 1:
                problems.append({"field": f"attribute[{code}]", "message": "takes one value"})
                continue
            attributes[code] = _number(values[0]) if attribute and attribute.datatype is Datatype.NUMBER else values[0]
        else:
            attributes[code] = values
    if problems:
        raise _refuse(problems)
    return attributes


def _number(value: str) -> int | float | str:
    """A number as typed: an integer when it is one; left as text (refused by the intake) when it is none."""
    with contextlib.suppress(ValueError):
        return int(value)
    with contextlib.suppress(ValueError):
        return float(value)
    return value


def intake_errors(errors: Sequence[Mapping[str, str]]) -> list[str]:
    """The intake's field errors as Open311 names them (`attributes.x` → `attribute[x]`, `body.point` → `lat`)."""
    named = []
    for error in errors:
        name = str(error.get("field", ""))
        if name.startswith("attributes."):
            name = f"attribute[{name.removeprefix('attributes.')}]"
        elif name in {"body.point", "point"}:
            name = "lat"
        elif name in {"body.place", "place"}:
            name = "address_string"
        named.append(f"{name}: {error.get('message', '')}" if name else str(error.get("message", "")))
    return named


# ---- requests (GET) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    """What a service request shows of a case: nothing about who reported it."""

    number: str
    status: str
    matter_code: str
    matter_name_zh: str
    matter_name_en: str
    description: str
    lead_unit: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    due_at: datetime | None
    address: str | None
    lon: float | None
    lat: float | None
    photo_id: int | None
    reply: str | None
    reason: str | None
    rejected_for: str | None = None  # why it was not accepted, kept after it is archived
    grid_code: str | None = None
    grid_name: str | None = None
    rating: str | None = None
    collaborating_units: tuple[str, ...] = ()


def open_or_closed(status: str) -> str:
    """GeoReport's two statuses for ours."""
    return "closed" if status in CLOSED_STATUSES else "open"


def status_notes(row: RequestRow, status_label: str) -> str:
    """The status in words, and what was said last: the reason (not accepted, suspended, reopened) or the reply.

    A case archived without a reply was not accepted: the reason it was not is what was said last.
    """
    said = row.reason if row.status in REASONED else (row.reply or row.rejected_for)
    return f"{status_label}：{said}" if said else status_label


REASONED: Final = frozenset({CaseStatus.REJECTED, CaseStatus.SUSPENDED, CaseStatus.REOPENED})


def request_document(
    row: RequestRow, *, base_url: str, status_label: str, language: str, extensions: bool
) -> dict[str, Value]:
    """A case as a service request (no personal details), with `extended_attributes` when asked."""
    closed = open_or_closed(row.status) == "closed"
    document: dict[str, Value] = {
        "service_request_id": row.number,
        "status": "closed" if closed else "open",
        "status_notes": status_notes(row, status_label),
        "service_name": _name(row.matter_name_zh, row.matter_name_en, language),
        "service_code": row.matter_code,
        "description": row.description,
        "agency_responsible": row.lead_unit,
        "service_notice": None,
        "requested_datetime": iso(row.created_at),
        "updated_datetime": iso(row.closed_at if closed and row.closed_at else row.updated_at),
        "expected_datetime": None if closed else iso(row.due_at),
        "address": row.address,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": f"{base_url}/open311/v2/media/{row.photo_id}" if row.photo_id is not None else None,
    }
    if extensions:
        document["extended_attributes"] = {
            "lead_unit": row.lead_unit,
            "collaborating_units": list(row.collaborating_units),
            "detailed_status": row.status,
            "detailed_status_label": status_label,
            "grid": row.grid_name,
            "grid_code": row.grid_code,
            "deadline": iso(row.due_at),
            "rating": row.rating,
        }
    return document


@dataclass(frozen=True)
class RequestFilter:
    """The GET filters, checked: ids override the rest; otherwise a window of at most 90 days."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open", "closed"
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    extensions: bool = False


def _listed(raw: str | None, *, limit: int, name: str, problems: list[dict[str, str]]) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(item.strip() for item in (raw or "").split(",") if item.strip()))
    if len(items) > limit:
        problems.append({"field": name, "message": f"lists at most {limit} values"})
    return items[:limit]


def parse_instant(raw: str) -> datetime:
    """An ISO 8601 date or time (`Z` or an offset; none: Quzhou time); ValueError when it is none."""
    # An unencoded `+08:00` in a query string arrives as ` 08:00`: read it as the offset it was.
    value = _PLUS_AS_SPACE.sub(r"\1+\2", raw.strip())
    if len(value) == 10:  # noqa: PLR2004 - a bare date, YYYY-MM-DD
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE)
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_ZONE)).astimezone(UTC)


def _instant(params: Mapping[str, str], name: str, problems: list[dict[str, str]]) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_instant(raw)
    except ValueError:
        problems.append({"field": name, "message": "must be an ISO 8601 date or date and time"})
        return None


def _positive(params: Mapping[str, str], name: str, default: int, most: int, problems: list[dict[str, str]]) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        problems.append({"field": name, "message": f"must be a whole number from 1 to {most}"})
        return default
    return int(raw)


def parse_filter(params: Mapping[str, str], *, now: datetime) -> RequestFilter:
    """The GET filters; with no dates at all, the last 90 days. 400 for a bad value or a span over 90 days."""
    problems: list[dict[str, str]] = []
    numbers = _listed(params.get("service_request_id"), limit=MAX_IDS, name="service_request_id", problems=problems)
    if numbers and not problems:  # ids override every other filter: the others are not even read
        extended = (params.get("extensions") or "").strip().lower() in {"true", "1"}
        return RequestFilter(numbers=numbers, extensions=extended)
    codes = _listed(params.get("service_code"), limit=MAX_IDS, name="service_code", problems=problems)
    statuses = _listed(params.get("status"), limit=2, name="status", problems=problems)
    if any(status not in {"open", "closed"} for status in statuses):
        problems.append({"field": "status", "message": "must be open, closed or both (comma-separated)"})
    start, end = _instant(params, "start_date", problems), _instant(params, "end_date", problems)
    after, before = _instant(params, "updated_after", problems), _instant(params, "updated_before", problems)
    page = _positive(params, "page", 1, MAX_PAGE, problems)
    page_size = _positive(params, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE, problems)
    extensions = (params.get("extensions") or "").strip().lower() in {"true", "1"}
    if problems:
        raise _refuse(problems)
    if not numbers:
        start, end = _window(start, end, updated=after is not None or before is not None, now=now)
    if after is not None and before is not None and before < after:
        raise _refuse([{"field": "updated_before", "message": "is before updated_after"}])
    return RequestFilter(numbers, codes, statuses, start, end, after, before, page, page_size, extensions)


def _window(
    start: datetime | None, end: datetime | None, *, updated: bool, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The requested-date window: the dates given (at most 90 days apart), else the last 90 days.

    A client following changes (`updated_after` / `updated_before`) without requested dates is not held
    to the last 90 days of reports: the update window and the page size bound its answer.
    """
    if start is None and end is None:
        return (None, None) if updated else (now - MAX_SPAN, now)
    if end is None:
        assert start is not None  # noqa: S101 - one of them is given
        end = start + MAX_SPAN
    if start is None:
        start = end - MAX_SPAN
    if end < start:
        raise _refuse([{"field": "end_date", "message": "is before start_date"}])
    if end - start > MAX_SPAN:
        raise _refuse([{"field": "end_date", "message": "start_date and end_date may be at most 90 days apart"}])
    return start, end
