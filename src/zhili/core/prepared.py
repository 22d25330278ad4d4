"""Statements compiled once per backend and run straight on the driver: the hot paths' statements.

SQLAlchemy Core spends 30–60 µs on a cached statement before the driver sees it (the execution
context, parameter processing, the result's metadata); SQLite answers a small indexed statement in
8–20 µs. A lifecycle command runs a dozen statements in its transaction, so the stores on the hot
path (cases, audit chain, timers, hand-off notices) declare theirs as `Prepared`: the same Core
construct, compiled by SQLAlchemy's own compiler once per dialect (and, for an INSERT or UPDATE,
per set of columns given), parameters and results converted by the columns' own types
(`UtcDateTime`, `JsonText`, ...), executed on the DBAPI connection of the session's transaction.

What it keeps: the transaction is the session's (begun by it, committed by it); a driver error is
raised as SQLAlchemy's (`IntegrityError`, `OperationalError`, ...), so callers catch the same
exceptions. What it drops: SQLAlchemy's statement events and echo (count statements at the driver,
e.g. with `sqlite3.Connection.set_trace_callback`), the session's autoflush: an ORM object added
to the session and not yet flushed is not seen (the stores write with prepared statements, not the
unit of work), and the session's savepoints: `Session.begin_nested` is refused, since the statements
run on the driver would not roll back with one (a savepoint begun on a `Connection` before the
session uses it is fine: the driver runs inside it). Not for statements SQLAlchemy must rewrite at
execution: expanding `IN` parameters bound per call (those whose values are part of the statement,
such as a scope's unit ids, are rendered once), Python-side column defaults that are not plain values,
and many rows with RETURNING; running a `Prepared` of those fails on first use.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Executable, event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, Update, UpdateBase
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import ReturnsRows
from sqlalchemy.sql.type_api import TypeEngine

Params = Mapping[str, Any]
_Convert = Callable[[Any], Any]
_DRIVER_KEY = "zhili.prepared.driver"


class PreparedError(TypeError):
    """A statement that `Prepared` cannot run without SQLAlchemy's execution-time rewriting."""


@dataclass(slots=True)
class _Form:
    """One statement compiled for one dialect (and one set of given columns)."""

    sql: str
    positional: bool
    binds: tuple[tuple[str, _Convert | None], ...]  # in the SQL's order when positional
    defaults: dict[str, Any]
    row: type[tuple[Any, ...]] | None  # the result's named row, when the statement's columns are known
    columns: tuple[TypeEngine[Any], ...]
    dialect: Dialect
    results: tuple[_Convert | None, ...] | None = None  # found on the first result: they need the driver's types
    names: tuple[str, ...] = field(init=False)
    converted: tuple[tuple[int, _Convert], ...] = field(init=False)  # the binds that have a conversion

    def __post_init__(self) -> None:
        self.names = tuple(name for name, _ in self.binds)
        self.converted = tuple((n, convert) for n, (_, convert) in enumerate(self.binds) if convert is not None)

    def bind(self, params: Params) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters: converted by each bind's type, in order or by name."""
        defaults = self.defaults
        if defaults:
            values = [params[name] if name in params else defaults[name] for name in self.names]
        else:
            values = [params[name] for name in self.names]
        for index, convert in self.converted:
            values[index] = convert(values[index])
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def rows(self, cursor: Any, raws: Sequence[Sequence[Any]]) -> list[Any]:
        """Result rows, each column converted by its type, fields named as the statement's columns.

        A statement whose columns are not known (plain text) gives plain tuples.
        """
        row = self.row
        if row is None:
            return [tuple(raw) for raw in raws]
        results = self.results
        if results is None:
            described = [entry[1] for entry in cursor.description]
            dialect = self.dialect
            results = self.results = tuple(
                kind.dialect_impl(dialect).result_processor(dialect, code)
                for kind, code in zip(self.columns, described, strict=True)
            )
        make = row._make  # type: ignore[attr-defined]
        return [make([(c(v) if c else v) for c, v in zip(results, raw, strict=True)]) for raw in raws]


@dataclass(frozen=True, slots=True)
class _Driver:
    """The DBAPI connection of one session transaction, and what running on it needs."""

    transaction: SessionTransaction | Connection
    connection: Any
    dialect: Dialect
    error: type[Exception]


class Result:
    """What a prepared statement returned: its rows (converted, named) and the rows it changed."""

    __slots__ = ("_cursor", "_form")

    def __init__(self, cursor: Any, form: _Form) -> None:
        self._cursor = cursor
        self._form = form

    @property
    def rowcount(self) -> int:
        """The rows an UPDATE or DELETE changed."""
        return int(self._cursor.rowcount)

    def first(self) -> Any | None:
        """The first row, or None."""
        raw = self._cursor.fetchone()
        return None if raw is None else self._form.rows(self._cursor, [raw])[0]

    def one(self) -> Any:
        """The only row; `NoResultFound` when there is none."""
        row = self.first()
        if row is None:
            message = "a prepared statement returned no row"
            raise exc.NoResultFound(message)
        return row

    def scalar(self) -> Any | None:
        """The first column of the first row, or None."""
        row = self.first()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        """The first column of the only row."""
        return self.one()[0]

    def all(self) -> list[Any]:
        """Every row."""
        return self._form.rows(self._cursor, self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.all())


class Prepared:
    """A Core statement run on the driver of the caller's transaction (see the module's docstring)."""

    __slots__ = ("_forms", "_keyed", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # An INSERT or UPDATE writes the columns it is given besides its own VALUES, as Core's does.
        self._keyed = isinstance(statement, Insert | Update)
        self._forms: dict[tuple[str, frozenset[str] | None], _Form] = {}

    def run(self, bind: Session | Connection, params: Params | None = None) -> Result:
        """Execute once with `params`, in the transaction of `bind`."""
        values: Params = params or {}
        driver = _driver(bind)
        form = self._form(driver.dialect, values)
        cursor = driver.connection.cursor()
        try:
            cursor.execute(form.sql, form.bind(values))
        except driver.error as error:
            raise exc.DBAPIError.instance(form.sql, None, error, driver.error) from error
        return Result(cursor, form)

    def run_many(self, bind: Session | Connection, rows: Sequence[Params]) -> int:
        """Execute once per row (the driver's `executemany`); rows are alike (the same keys). The rows changed."""
        if not rows:
            return 0
        driver = _driver(bind)
        form = self._form(driver.dialect, rows[0])
        if form.row is not None:
            message = "run_many does not return rows; run a RETURNING statement row by row"
            raise PreparedError(message)
        result = _execute(driver, form, lambda cursor: cursor.executemany(form.sql, [form.bind(r) for r in rows]))
        return result.rowcount

    def _form(self, dialect: Dialect, params: Params) -> _Form:
        key = (dialect.name, frozenset(params) if self._keyed else None)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(self.statement, dialect, key[1])
        return form


def _compile(statement: Executable, dialect: Dialect, keys: frozenset[str] | None) -> _Form:
    """Compile for `dialect`; expanding parameters whose values are part of the statement are rendered now."""
    compiled = cast(
        "SQLCompiler",
        cast("ClauseElement", statement).compile(dialect=dialect, column_keys=sorted(keys) if keys else None),
    )
    late = (*compiled.post_compile_params, *compiled.literal_execute_params)
    if any(param.required or param.callable is not None for param in late):
        message = f"parameters expanded at execution are not prepared; use Core: {compiled.string}"
        raise PreparedError(message)
    required = [compiled.bind_names[param] for param in compiled.binds.values() if param.required]
    state = compiled.construct_expanded_state(dict.fromkeys(required))
    defaults = {name: value for name, value in state.parameters.items() if name not in required}
    prefetch = [(c, c.default) for c in compiled.insert_prefetch] + [(c, c.onupdate) for c in compiled.update_prefetch]
    for column, default in prefetch:
        if default is None or not default.is_scalar:
            message = f"column {column.key} has a default computed at execution; give it a value"
            raise PreparedError(message)
        defaults[column.key] = default.arg  # type: ignore[attr-defined]
    order = state.positiontup if state.positiontup is not None else list(state.parameters)
    types = {compiled.bind_names[param]: param.type for param in compiled.binds.values()}
    binds = tuple((name, _converter(name, types, state.processors, dialect)) for name in order)
    row, columns = _result_shape(statement)
    return _Form(state.statement, state.positiontup is not None, binds, defaults, row, columns, dialect)


def _converter(
    name: str, types: dict[str, TypeEngine[Any]], expanded: Mapping[str, _Convert], dialect: Dialect
) -> _Convert | None:
    """A bind's conversion to what the driver takes: its type's, or the expanded parameter's."""
    if name in expanded:
        return expanded[name]
    found = types.get(name)
    return None if found is None else found.dialect_impl(dialect).bind_processor(dialect)


def _result_shape(statement: Executable) -> tuple[type[tuple[Any, ...]] | None, tuple[TypeEngine[Any], ...]]:
    """The named row and column types of what the statement returns (none for DML without RETURNING)."""
    if isinstance(statement, UpdateBase) and not statement._returning:  # noqa: SLF001 - no public "has RETURNING"
        return None, ()
    if not isinstance(statement, ReturnsRows):
        return None, ()
    columns = list(statement.exported_columns)
    names = [str(getattr(column, "key", None) or getattr(column, "name", f"c{n}")) for n, column in enumerate(columns)]
    row = namedtuple("Row", names, rename=True) if names else None  # noqa: PYI024 - built at run time
    return row, tuple(column.type for column in columns)


@event.listens_for(Session, "after_transaction_create")
def _no_savepoints(_session: Session, transaction: SessionTransaction) -> None:
    """Refuse `Session.begin_nested`: the statements run on the driver would not roll back with it."""
    if transaction.nested:
        transaction.close()  # the session is back in its own transaction, as if never asked
        message = "Session.begin_nested is not supported: prepared statements run outside its savepoint"
        raise PreparedError(message)


def _driver(bind: Session | Connection) -> _Driver:
    """The DBAPI connection of `bind`'s transaction, begun if need be; cached for the transaction."""
    if isinstance(bind, Connection):
        if not bind.in_transaction():
            bind.begin()  # as Core's autobegin would: the caller commits or rolls back
        return _Driver(bind, bind.connection.driver_connection, bind.dialect, bind.dialect.loaded_dbapi.Error)
    cached: _Driver | None = bind.info.get(_DRIVER_KEY)
    if cached is not None and cached.transaction is bind.get_transaction():
        return cached
    connection = bind.connection()  # begins the transaction (SQLite: BEGIN IMMEDIATE)
    transaction = cast("SessionTransaction", bind.get_transaction())
    driver = _Driver(
        transaction, connection.connection.driver_connection, connection.dialect, connection.dialect.loaded_dbapi.Error
    )
    bind.info[_DRIVER_KEY] = driver
    return driver


def _execute(driver: _Driver, form: _Form, call: Callable[[Any], object]) -> Result:
    cursor = driver.connection.cursor()
    try:
        call(cursor)
    except driver.error as error:
        raise exc.DBAPIError.instance(form.sql, None, error, driver.error) from error
    return Result(cursor, form)
