"""The packaged matter catalog: one TOML file per matter, each validated with errors naming the field."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from zhili.core.errors import InvalidInputError, rule_field
from zhili.matters.definition import MatterDefinition
from zhili.org.catalog import load_department_kinds, load_enforcement_items

SUFFIX = ".toml"


@dataclass(frozen=True)
class References:
    """What a definition may name: department kind codes, and enforcement items with their kind."""

    kinds: frozenset[str]
    items: Mapping[str, str]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of a matter file."""

    field: str
    message: str


def packaged_references() -> References:
    """The department kinds and enforcement items shipped with the organisation catalogs."""
    kinds = load_department_kinds()
    items = load_enforcement_items({kind.code for kind in kinds})
    return References(frozenset(kind.code for kind in kinds), {item.code: item.kind for item in items})


def packaged_files() -> Traversable:
    """The folder of the shipped matter files."""
    return resources.files("zhili.matters").joinpath("data")


def load_catalog(folder: Traversable | None = None, *, references: References | None = None) -> list[MatterDefinition]:
    """Read and validate every matter file of a folder (the packaged one by default), by code."""
    folder = folder or packaged_files()
    references = references or packaged_references()
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(SUFFIX)), key=lambda f: f.name)
    if not files:
        raise InvalidInputError(f"no matter files (*{SUFFIX}) in {folder}")
    return [
        parse_definition(file.read_text(encoding="utf-8"), file_name=file.name, references=references) for file in files
    ]


def parse_definition(text: str, *, file_name: str, references: References) -> MatterDefinition:
    """One matter file's text as a definition; every problem is reported with the file and field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"{file_name}: not valid TOML: {exc}", errors=[_as_error(file_name, "", str(exc))]
        ) from exc
    try:
        definition = MatterDefinition.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(file_name, [_describe(error, raw) for error in exc.errors()]) from exc
    problems = reference_problems(definition, references)
    stem = file_name.removesuffix(SUFFIX)
    if definition.code != stem:
        problems.insert(0, Problem("code", f"{definition.code!r} does not match the file name {file_name}"))
    if problems:
        raise _invalid(file_name, problems)
    return definition


def reference_problems(definition: MatterDefinition, references: References) -> list[Problem]:
    """What a definition names that does not exist (or twice): kinds, attribute orders, the enforcement item."""
    problems = [_unknown_kind("lead_kind", definition.lead_kind, references)]
    problems += [_unknown_kind("collaborator_kinds", kind, references) for kind in definition.collaborator_kinds]
    problems += [
        Problem("collaborator_kinds", f"{kind!r} is listed {count} times")
        for kind, count in Counter(definition.collaborator_kinds).items()
        if count > 1
    ]
    problems += [
        Problem("attributes", f"order {order} is used by {count} attributes")
        for order, count in Counter(attribute.order for attribute in definition.attributes).items()
        if count > 1
    ]
    problems.append(_enforcement_problem(definition, references))
    return [problem for problem in problems if problem is not None]


def _unknown_kind(field: str, kind: str, references: References) -> Problem | None:
    return None if kind in references.kinds else Problem(field, f"unknown department kind {kind!r}")


def _enforcement_problem(definition: MatterDefinition, references: References) -> Problem | None:
    # The item is a power of the lead's kind: routing sends the case to that kind's unit, or to the
    # township team where the item is delegated.
    item = definition.enforcement_item
    if item is None:
        return None
    holder = references.items.get(item)
    if holder is None:
        return Problem("enforcement_item", f"unknown enforcement item {item!r}")
    if holder != definition.lead_kind:
        return Problem(
            "enforcement_item", f"{item} is a power of {holder!r}, not of the lead kind {definition.lead_kind!r}"
        )
    return None


def _describe(error: ErrorDetails, raw: Mapping[str, Any]) -> Problem:
    message = error["msg"].removeprefix("Value error, ")
    return Problem(_field_path([*error["loc"], *rule_field(error.get("ctx"))], raw), message)


def _field_path(loc: Sequence[int | str], raw: object) -> str:
    # Name list entries by their code (attributes[plate_number]) rather than by a position.
    path, node = "", raw
    for step in loc:
        if isinstance(step, int):
            item = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            label = (item.get("code") or item.get("key")) if isinstance(item, dict) else None
            path += f"[{label or step + 1}]"
            node = item
        else:
            path += f".{step}" if path else step
            node = node.get(step) if isinstance(node, dict) else None
    return path


def _as_error(file_name: str, field: str, message: str) -> dict[str, str]:
    return {"file": file_name, "field": field, "message": message}


def _invalid(file_name: str, problems: Sequence[Problem]) -> InvalidInputError:
    detail = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
    errors = [_as_error(file_name, p.field, p.message) for p in problems]
    return InvalidInputError(f"{file_name}: {detail}", errors=errors)


def canonical_json(definition: MatterDefinition) -> str:
    """The stored form of a definition: every field, keys sorted, so equal content gives equal text."""
    return json.dumps(definition.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(definition: MatterDefinition) -> str:
    """SHA-256 of the canonical JSON: a changed file is a new version, an unchanged one is not."""
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()
