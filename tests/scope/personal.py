"""Finding people in an answer: every name and phone of the world, and whose they are.

A subject is a person id, or minus a case id for the citizen who reported that case (their name and
phone live on the case). A phone names one subject; a name may be shared, and it is allowed when any
subject bearing it is allowed. Strings are matched whole (JSON values, CSV and XLSX cells), phones
also inside longer text, and `person:<id>:` actor strings by their id.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text
from tests.scope.oracle import PERSON_ACTOR, PHONE, Facts


@dataclass(frozen=True)
class Mention:
    """A string in an answer that names someone, and whom it may name."""

    value: str
    subjects: frozenset[int]


class People:
    """The name and phone index of the world."""

    def __init__(self, world: Facts) -> None:
        names: dict[str, set[int]] = defaultdict(set)
        phones: dict[str, set[int]] = defaultdict(set)
        for person_id, (name, phone) in world.people.items():
            names[name].add(person_id)
            if phone:
                phones[phone].add(person_id)
        reporters = world.conn.execute(
            text("SELECT id, reporter_name, reporter_phone FROM cases WHERE reporter_name IS NOT NULL")
        )
        for case_id, name, phone in reporters:
            names[name].add(-case_id)
            if phone:
                phones[phone].add(-case_id)
        self.names = {k: frozenset(v) for k, v in names.items()}
        self.phones = {k: frozenset(v) for k, v in phones.items()}

    def mentions(self, strings: Iterator[str]) -> Iterator[Mention]:
        """Every name, phone and person actor among the strings."""
        for value in strings:
            if value in self.names:
                yield Mention(value, self.names[value])
            for phone in PHONE.findall(value):
                if phone in self.phones:
                    yield Mention(phone, self.phones[phone])
            for person_id in PERSON_ACTOR.findall(value):
                yield Mention(value, frozenset({int(person_id)}))


def strings_of(content_type: str, body: bytes) -> Iterator[str]:
    """The text values of a JSON, CSV or XLSX answer (nothing for images)."""
    if "json" in content_type:
        yield from _walk(json.loads(body))
    elif "csv" in content_type:
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
            yield from row
    elif "spreadsheet" in content_type:
        book = load_workbook(io.BytesIO(body), read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                yield from (str(cell) for cell in row if cell is not None)


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def leaks(people: People, content_type: str, body: bytes, allowed: set[int] | None) -> list[str]:
    """The mentions of nobody the login may see (`allowed` None: everyone may be seen)."""
    if allowed is None:
        return []
    return sorted({m.value for m in people.mentions(strings_of(content_type, body)) if not m.subjects & allowed})
