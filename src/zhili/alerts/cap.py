"""Parsing CAP 1.2 XML safely into typed values (`alerts.message`), every refusal naming its element (pure).

The XML goes through defusedxml only, with DTDs, entity declarations and external references all
forbidden: no XXE, no billion laughs. CAP 1.1 (and any other namespace) is refused: intake speaks
CAP 1.2, the standard China's national warning system profiles (GB/T 35965.1-2018). Unknown
elements (an enveloped `<Signature>`, extensions) are ignored; processing instructions too.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from zhili.alerts.message import (
    Alert,
    Area,
    Category,
    Certainty,
    Circle,
    Info,
    MsgType,
    NamedValue,
    Reference,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from zhili.core.errors import DomainError, InvalidInputError, PayloadTooLargeError

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_11 = "urn:oasis:names:tc:emergency:cap:1.1"
MAX_BYTES = 1_000_000
"""The largest CAP document accepted (a national warning is a few kilobytes)."""
MAX_TEXT = 20_000
MAX_ID = 200
MAX_INFOS, MAX_AREAS, MAX_POINTS = 20, 100, 5_000
_NS = f"{{{NAMESPACE}}}"
_FORBIDDEN_IN_IDS = re.compile(r"[\s,<&]")
E = TypeVar("E", bound=StrEnum)


class CapRefusedError(InvalidInputError):
    """Not a CAP 1.2 alert we accept: each wrong element named in `errors` (422)."""

    title = "CAP message refused"
    type_slug = "cap-refused"


class UnsafeXmlError(DomainError):
    """XML with a DTD, an entity declaration or an external reference: refused unread (400)."""

    title = "Unsafe XML refused"
    type_slug = "unsafe-xml"


class CapTooLargeError(PayloadTooLargeError):
    """A CAP document over `MAX_BYTES` (413)."""


def parse_alert(data: bytes, *, max_bytes: int = MAX_BYTES) -> Alert:
    """The alert in `data`, or a refusal: `CapTooLargeError`, `UnsafeXmlError` or `CapRefusedError`."""
    if len(data) > max_bytes:
        raise CapTooLargeError(f"the CAP document has {len(data):,} bytes; at most {max_bytes:,} are accepted")
    try:
        root: Element = SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        message = f"unsafe XML refused ({type(exc).__name__}): DTDs, entities and external references are not read"
        raise UnsafeXmlError(message, errors=[{"field": "body", "message": message}]) from exc
    except (ParseError, ValueError) as exc:
        raise _refused([("body", f"not well-formed XML: {exc}")]) from exc
    if root.tag == f"{{{CAP_11}}}alert":
        raise _refused([("alert", "CAP 1.1 is not accepted: send CAP 1.2 (urn:oasis:names:tc:emergency:cap:1.2)")])
    if root.tag != f"{_NS}alert":
        raise _refused([("alert", f"the root element must be <alert> in the namespace {NAMESPACE}, not {root.tag}")])
    reader = _Reader()
    alert = reader.alert(root)
    if reader.errors or alert is None:
        raise _refused(reader.errors)
    return alert


def _refused(errors: list[tuple[str, str]]) -> CapRefusedError:
    detail = "; ".join(f"{field}: {message}" for field, message in errors[:10])
    return CapRefusedError(detail, errors=[{"field": field, "message": message} for field, message in errors])


class _Reader:
    """Reads elements into values, collecting every problem with its path instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def text(self, parent: Element, name: str, path: str, *, required: bool = False) -> str:
        found = parent.find(_NS + name)
        value = (found.text or "").strip() if found is not None else ""
        if required and not value:
            self.fail(f"{path}.{name}", "required")
        if len(value) > MAX_TEXT:
            self.fail(f"{path}.{name}", f"longer than {MAX_TEXT:,} characters")
        return value

    def texts(self, parent: Element, name: str) -> list[str]:
        return [(e.text or "").strip() for e in parent.findall(_NS + name) if (e.text or "").strip()]

    def enum(self, kind: type[E], value: str, path: str) -> E | None:
        try:
            return kind(value)
        except ValueError:
            if value:  # a missing value is already reported as required
                self.fail(path, f"{value!r} is not one of {', '.join(kind)}")
            return None

    def time(self, parent: Element, name: str, path: str, *, required: bool = False) -> datetime | None:
        raw = self.text(parent, name, path, required=required)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.fail(f"{path}.{name}", f"{raw!r} is not a date and time (2024-07-12T21:31:38+08:00)")
            return None
        if value.tzinfo is None:
            self.fail(f"{path}.{name}", f"{raw!r} has no time-zone offset")
            return None
        return value

    def pairs(self, parent: Element, name: str) -> tuple[NamedValue, ...]:
        return tuple(
            NamedValue(self.text(e, "valueName", name), self.text(e, "value", name)) for e in parent.findall(_NS + name)
        )

    def alert(self, root: Element) -> Alert | None:
        path = "alert"
        identifier = self._id(root, "identifier", path)
        sender = self._id(root, "sender", path)
        sent = self.time(root, "sent", path, required=True)
        status = self.enum(Status, self.text(root, "status", path, required=True), f"{path}.status")
        msg_type = self.enum(MsgType, self.text(root, "msgType", path, required=True), f"{path}.msgType")
        scope = self.enum(Scope, self.text(root, "scope", path, required=True), f"{path}.scope")
        references = self._references(self.text(root, "references", path))
        if msg_type in {MsgType.UPDATE, MsgType.CANCEL} and not references:
            self.fail(f"{path}.references", f"a message of type {msg_type} must name what it updates or cancels")
        elements = root.findall(_NS + "info")
        if len(elements) > MAX_INFOS:
            self.fail(f"{path}.info", f"at most {MAX_INFOS} info blocks")
        infos = tuple(self.info(e, f"{path}.info[{n}]") for n, e in enumerate(elements[:MAX_INFOS]))
        if msg_type in {MsgType.ALERT, MsgType.UPDATE} and not infos:
            self.fail(f"{path}.info", "an alert or update needs at least one <info>")
        if sent is None or status is None or msg_type is None or scope is None or self.errors:
            return None
        return Alert(
            identifier=identifier,
            sender=sender,
            sent=sent,
            status=status,
            msg_type=msg_type,
            scope=scope,
            source=self.text(root, "source", path),
            restriction=self.text(root, "restriction", path),
            addresses=self.text(root, "addresses", path),
            codes=tuple(self.texts(root, "code")),
            note=self.text(root, "note", path),
            references=references,
            incidents=self.text(root, "incidents", path),
            infos=tuple(info for info in infos if info is not None),
        )

    def _id(self, root: Element, name: str, path: str) -> str:
        value = self.text(root, name, path, required=True)
        if _FORBIDDEN_IN_IDS.search(value):
            self.fail(f"{path}.{name}", "must not contain spaces, commas, < or &")
        if len(value) > MAX_ID:
            self.fail(f"{path}.{name}", f"longer than {MAX_ID} characters")
        return value

    def _references(self, raw: str) -> tuple[Reference, ...]:
        found: list[Reference] = []
        for triple in raw.split():
            parts = triple.split(",")
            if len(parts) != 3 or not all(parts):  # noqa: PLR2004 - sender, identifier, sent
                self.fail("alert.references", f"{triple!r} is not sender,identifier,sent")
                continue
            found.append(Reference(*parts))
        return tuple(found)

    def info(self, element: Element, path: str) -> Info | None:
        categories = self._many(element, "category", Category, path, required=True)
        event = self.text(element, "event", path, required=True)
        urgency = self.enum(Urgency, self.text(element, "urgency", path, required=True), f"{path}.urgency")
        severity = self.enum(Severity, self.text(element, "severity", path, required=True), f"{path}.severity")
        certainty = self.enum(Certainty, self.text(element, "certainty", path, required=True), f"{path}.certainty")
        response_types = self._many(element, "responseType", ResponseType, path)
        times = {name: self.time(element, name, path) for name in ("effective", "onset", "expires")}
        area_elements = element.findall(_NS + "area")
        if len(area_elements) > MAX_AREAS:
            self.fail(f"{path}.area", f"at most {MAX_AREAS} areas")
        areas = tuple(self.area(e, f"{path}.area[{n}]") for n, e in enumerate(area_elements[:MAX_AREAS]))
        if urgency is None or severity is None or certainty is None or not categories:
            return None
        return Info(
            language=self.text(element, "language", path) or "en-US",
            categories=categories,
            event=event,
            urgency=urgency,
            severity=severity,
            certainty=certainty,
            response_types=response_types,
            event_codes=self.pairs(element, "eventCode"),
            sender_name=self.text(element, "senderName", path),
            headline=self.text(element, "headline", path),
            description=self.text(element, "description", path),
            instruction=self.text(element, "instruction", path),
            web=self.text(element, "web", path),
            contact=self.text(element, "contact", path),
            parameters=self.pairs(element, "parameter"),
            areas=tuple(area for area in areas if area is not None),
            **times,
        )

    def _many(self, element: Element, name: str, kind: type[E], path: str, *, required: bool = False) -> tuple[E, ...]:
        values = self.texts(element, name)
        if required and not values:
            self.fail(f"{path}.{name}", "required")
        parsed = (self.enum(kind, value, f"{path}.{name}") for value in values)
        return tuple(dict.fromkeys(value for value in parsed if value is not None))

    def area(self, element: Element, path: str) -> Area | None:
        description = self.text(element, "areaDesc", path, required=True)
        polygons = tuple(
            ring
            for n, raw in enumerate(self.texts(element, "polygon"))
            if (ring := self._polygon(raw, f"{path}.polygon[{n}]")) is not None
        )
        circles = tuple(
            circle
            for n, raw in enumerate(self.texts(element, "circle"))
            if (circle := self._circle(raw, f"{path}.circle[{n}]")) is not None
        )
        return Area(description, polygons, circles, self.pairs(element, "geocode")) if description else None

    def _polygon(self, raw: str, path: str) -> tuple[tuple[float, float], ...] | None:
        words = raw.split()
        if len(words) > MAX_POINTS:
            self.fail(path, f"more than {MAX_POINTS:,} points")
            return None
        points: list[tuple[float, float]] = []
        for word in words:
            point = self._point(word, path)
            if point is None:  # one reason per polygon
                return None
            points.append(point)
        ring = tuple(points)
        if len(ring) < 4 or ring[0] != ring[-1]:  # noqa: PLR2004 - CAP's minimum: a triangle closed
            self.fail(path, "a polygon needs at least 4 lat,lon pairs, the first equal to the last")
            return None
        return ring

    def _circle(self, raw: str, path: str) -> Circle | None:
        words = raw.split()
        centre = self._point(words[0], path) if len(words) == 2 else None  # noqa: PLR2004 - centre and radius
        radius = _number(words[1]) if len(words) == 2 else None  # noqa: PLR2004
        if centre is None or radius is None or radius < 0:
            self.fail(path, f"{raw!r} is not 'lat,lon radius' with the radius in km")
            return None
        return Circle(centre[0], centre[1], radius)

    def _point(self, word: str, path: str) -> tuple[float, float] | None:
        parts = word.split(",")
        lat, lon = (_number(parts[0]), _number(parts[1])) if len(parts) == 2 else (None, None)  # noqa: PLR2004
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):  # noqa: PLR2004
            self.fail(path, f"{word!r} is not a lat,lon pair (latitude first, WGS-84)")
            return None
        return lat, lon


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
