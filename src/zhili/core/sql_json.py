"""Reading a key of a JSON text column in SQL, on SQLite and PostgreSQL alike.

The timelines keep their details as JSON text (`case_events.details`). `json_text(column, "phase_ended")`
is the key's value as text and `json_true(column, "phase_late")` is true where the key holds JSON
`true`: `json_extract` on SQLite, a cast to `jsonb` and `->>` on PostgreSQL. Keys are literals in
the statement (never user input), so a statement compiles once and is cached.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")


class _JsonText(FunctionElement[str]):
    type = String()
    name = "json_text"
    inherit_cache = True


class _JsonTrue(FunctionElement[bool]):
    type = Boolean()
    name = "json_true"
    inherit_cache = True


def _key(key: str) -> ColumnElement[Any]:
    if not _KEY.match(key):
        raise ValueError(f"not a plain JSON key: {key!r}")
    return literal_column(f"'{key}'")


def json_text(column: ColumnElement[Any] | Any, key: str) -> ColumnElement[str]:
    """The value of `key` in the JSON text `column`, as text (NULL when absent)."""
    return _JsonText(column, _key(key))


def json_true(column: ColumnElement[Any] | Any, key: str) -> ColumnElement[bool]:
    """True where `key` in the JSON text `column` holds `true`."""
    return _JsonTrue(column, _key(key))


def _parts(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return column, key.strip("'")


@compiles(_JsonText, "sqlite")
def _text_sqlite(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    return f"CAST(json_extract({column}, '$.{key}') AS TEXT)"


@compiles(_JsonText)
def _text_default(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    return f"(CAST({column} AS jsonb) ->> '{key}')"


@compiles(_JsonTrue, "sqlite")
def _true_sqlite(element: _JsonTrue, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    return f"(json_type({column}, '$.{key}') = 'true')"


@compiles(_JsonTrue)
def _true_default(element: _JsonTrue, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    return f"((CAST({column} AS jsonb) -> '{key}') = 'true'::jsonb)"
