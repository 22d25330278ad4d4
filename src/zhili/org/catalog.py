"""The catalogs shipped as data: department kinds and the enforcement-item register."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from zhili.core.errors import InvalidInputError

UnitLevel = Literal["city", "county", "township"]
ModelT = TypeVar("ModelT", bound=BaseModel)


class KindDefinition(BaseModel):
    """One department kind as written in `department_kinds.toml`."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=120)
    unit_suffix_zh: str = Field(min_length=1, max_length=30)
    township_suffix_zh: str | None = Field(default=None, max_length=30)
    levels: list[UnitLevel] = Field(min_length=1)


class EnforcementDefinition(BaseModel):
    """One enforcement item as written in `enforcement_items.toml`."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,39}$")
    kind: str
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=200)
    legal_basis: str = Field(min_length=1, max_length=200)
    exercised_level: Literal["county", "township"]


def _read_toml(name: str) -> dict[str, object]:
    text = resources.files("zhili.org").joinpath("data", name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = f"{name}: not valid TOML: {exc}"
        raise InvalidInputError(message) from exc


def _validate(model: type[ModelT], name: str, rows: object) -> list[ModelT]:
    if not isinstance(rows, list):
        message = f"{name}: expected a list of tables"
        raise InvalidInputError(message)
    parsed: list[ModelT] = []
    for index, row in enumerate(rows, start=1):
        try:
            parsed.append(model.model_validate(row))
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            message = f"{name}: entry {index}: {fields}"
            raise InvalidInputError(message) from exc
    return parsed


def load_department_kinds() -> list[KindDefinition]:
    """Read and validate the department-kind catalog; codes must be unique."""
    kinds = _validate(KindDefinition, "department_kinds.toml", _read_toml("department_kinds.toml").get("kind"))
    _require_unique([kind.code for kind in kinds], "department_kinds.toml")
    return kinds


def load_enforcement_items(kind_codes: set[str]) -> list[EnforcementDefinition]:
    """Read and validate the enforcement register against the known kinds."""
    name = "enforcement_items.toml"
    items = _validate(EnforcementDefinition, name, _read_toml(name).get("item"))
    _require_unique([item.code for item in items], name)
    for item in items:
        if item.kind not in kind_codes:
            message = f"{name}: item {item.code} names unknown department kind {item.kind!r}"
            raise InvalidInputError(message)
    return items


def _require_unique(codes: list[str], name: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            message = f"{name}: code {code!r} appears twice"
            raise InvalidInputError(message)
        seen.add(code)
