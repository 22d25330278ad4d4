"""Open311 documents written as XML or JSON: pure, from plain values (dicts, lists, strings, numbers, booleans).

One document value renders to both formats. In JSON a list is a bare array and a mapping an object;
in XML the root and every list's items are named as GeoReport v2 names them (`<services><service>`,
`<attributes><attribute>`, `<formats><format>` …), with an XML declaration, UTF-8 and no namespace.
XML is only written here (ElementTree escapes text); nothing is parsed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # writing only: nothing untrusted is parsed here
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

Value = str | int | float | bool | None | Sequence["Value"] | Mapping[str, "Value"]


class Format(StrEnum):
    """The two formats every endpoint serves, named by the path's extension."""

    XML = "xml"
    JSON = "json"

    @property
    def media_type(self) -> str:
        """The Content-Type of a document in this format."""
        return MEDIA_TYPES[self]


MEDIA_TYPES: Final = {Format.XML: "text/xml; charset=utf-8", Format.JSON: "application/json; charset=utf-8"}
DEFAULT_FORMAT: Final = Format.XML
"""The format of an error whose path names none: GeoReport v2's required format."""
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The element of each item of a list, by the list's name (GeoReport v2 and our extensions).
ITEMS: Final = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "collaborating_units": "unit",
}


def format_of(path: str) -> Format:
    """The format a path asks for by its extension (`….xml`, `….json`); XML when it names neither."""
    return Format.JSON if path.endswith(".json") else DEFAULT_FORMAT


def render(document: Value, *, root: str, fmt: Format) -> bytes:
    """The document in the format: `root` names the XML root element (a list's items are named from it)."""
    if fmt is Format.JSON:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    element = ET.Element(root)
    _fill(element, root, document)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def _fill(element: ET.Element, name: str, value: Value) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), key, item)
    elif isinstance(value, str):
        element.text = value
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, int | float):
        element.text = str(value)
    else:
        item_name = ITEMS.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, item_name), item_name, item)


def errors_document(status: int, descriptions: Sequence[str]) -> list[dict[str, Value]]:
    """GeoReport's errors list: one `{code, description}` per problem, the code being the HTTP status."""
    return [{"code": status, "description": description} for description in descriptions or ("error",)]
