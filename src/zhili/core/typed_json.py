"""`JsonText`: a text column holding JSON, read and written as a typed value, so no caller parses it by hand."""

from __future__ import annotations

import json
from dataclasses import is_dataclass
from functools import lru_cache
from inspect import isclass
from typing import Any, get_origin

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class JsonText(TypeDecorator[Any]):
    """JSON in a TEXT column (the same on SQLite and PostgreSQL), checked against `value_type` when read.

    Written with `json.dumps(..., ensure_ascii=False)`, so Chinese stays readable in the database.
    """

    impl = Text
    cache_ok = True

    def __init__(self, value_type: Any) -> None:
        super().__init__()
        self.value_type = value_type  # the statement cache keys on it
        self._adapter: TypeAdapter[Any] = TypeAdapter(value_type)
        # A text given for an object or an array is JSON encoded by hand: it would be stored as a JSON string.
        self._refuses_text = get_origin(value_type) in {dict, list, tuple} or (
            isclass(value_type) and (issubclass(value_type, BaseModel) or is_dataclass(value_type))
        )

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:  # noqa: ARG002
        """The value as JSON text (None stays NULL); a text where an object or an array belongs is a TypeError."""
        if value is None:
            return None
        if self._refuses_text and isinstance(value, str):
            message = f"a {self.value_type} column takes the value itself, not its JSON text"
            raise TypeError(message)
        return json.dumps(self._adapter.dump_python(value, mode="json"), ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:  # noqa: ARG002
        """The stored JSON as the typed value (NULL is None)."""
        return None if value is None else self._adapter.validate_json(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:  # noqa: ARG002 - the base signature
        """A text compared with the column (`contains`, `icontains`, `==`) is matched against the stored JSON text."""
        return self.impl_instance if isinstance(value, str) else self


class FrozenJsonText(JsonText):
    """`JsonText` of an immutable value (a frozen model), parsed once per distinct text and then shared.

    For a snapshot that many rows repeat (a campaign's copy of its template, read with each of its
    tasks): the last `KEPT` texts read map to their one parsed value.
    """

    cache_ok = True
    KEPT = 256

    def __init__(self, value_type: Any) -> None:
        super().__init__(value_type)
        self._parse = lru_cache(maxsize=self.KEPT)(self._adapter.validate_json)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:  # noqa: ARG002
        """The stored JSON as the typed value, shared by every read of the same text (NULL is None)."""
        return None if value is None else self._parse(value)
