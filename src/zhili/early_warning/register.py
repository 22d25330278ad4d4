"""The enterprise register: its columns, and `register_enterprises`, which adds or updates firms by credit code.

Each firm is placed in the organisation: coordinates (`lon`, `lat`) are located to the finest division
(a grid where grids are drawn), or else the `division` column is read as a division code or a place
name ("柯城区府山街道"). A row that cannot be placed is refused; nothing is guessed. Columns are checked
by the same cell parsers as the feeds (`feeds.rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from zhili.cases import location
from zhili.cases.schemas import Point
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import DomainError, InvalidInputError
from zhili.early_warning import industries
from zhili.early_warning.feeds.rows import Cell, FeedRefusedError, Rejection, parse_cell
from zhili.early_warning.feeds.schema import Column, ColumnType
from zhili.early_warning.feeds.store import enterprise_ids, upsert_insert
from zhili.early_warning.models import Enterprise
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.geo import LocatorCache
from zhili.org.models import Division


class Size(StrEnum):
    """Enterprise size classes (大型、中型、小型、微型)."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


COLUMNS: Final[tuple[Column, ...]] = (
    Column("credit_code", ColumnType.CREDIT_CODE, "统一社会信用代码 / unified social credit code"),
    Column("name", ColumnType.TEXT, "企业名称 / name", max_length=120),
    Column("industry", ColumnType.CHOICE, "行业门类 GB/T 4754 / industry section", choices=industries.CODES),
    Column("legal_representative", ColumnType.TEXT, "法定代表人 / legal representative", max_length=40),
    Column("address", ColumnType.TEXT, "住所 / registered address", max_length=200),
    Column("division", ColumnType.TEXT, "所在区划代码或地名 / division code or place", required=False, max_length=60),
    Column("lon", ColumnType.NUMBER, "经度 WGS-84 / longitude", required=False),
    Column("lat", ColumnType.NUMBER, "纬度 WGS-84 / latitude", required=False),
    Column("size", ColumnType.CHOICE, "规模 / size", choices=tuple(Size)),
    Column("employees", ColumnType.COUNT, "从业人数 / employees", required=False),
)
NAMES: Final = tuple(column.name for column in COLUMNS)


@dataclass(frozen=True, slots=True)
class RegisterReport:
    """What a register import did."""

    added: int
    updated: int
    rejected: tuple[Rejection, ...]


def check_header(header: Sequence[str]) -> None:
    """Refuse unknown or missing columns."""
    unknown = sorted(set(header) - set(NAMES))
    missing = sorted({column.name for column in COLUMNS if column.required} - set(header))
    if unknown or missing:
        message = f"未知的列 / unknown columns: {unknown}; 缺少 / missing: {missing}. 列 / columns: {', '.join(NAMES)}"
        raise FeedRefusedError(message)


def register_enterprises(
    session: Session,
    *,
    actor: Actor,
    clock: Clock,
    locators: LocatorCache,
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, Cell]]],
    source: str,
) -> RegisterReport:
    """Add new firms and update known ones (administrators); bad rows are reported with their line."""
    actor.require_admin("change the enterprise register")
    try:
        check_header(header)
    except FeedRefusedError as exc:
        raise InvalidInputError(str(exc), errors=[{"field": "header", "message": str(exc)}]) from exc
    now = clock.now()
    accepted: dict[str, dict[str, Any]] = {}
    rejected: list[Rejection] = []
    for line, row in rows:
        try:
            values = _checked(session, locators, row)
        except _RowError as exc:
            rejected.append(Rejection(line, exc.column, exc.reason))
            continue
        if values["credit_code"] in accepted:
            rejected.append(Rejection(line, "credit_code", "本文件中重复 / repeated in this file"))
            continue
        accepted[values["credit_code"]] = {**values, "registered_at": now, "updated_at": now}
    known = _known_codes(session, list(accepted))
    _upsert(session, list(accepted.values()))
    audit.record_by(
        session,
        actor,
        "early_warning.register.imported",
        entity_type="enterprise_register",
        entity_id=source[:60],
        after={"added": len(accepted) - len(known), "updated": len(known), "rejected": len(rejected)},
        at=now,
    )
    commit(session)
    return RegisterReport(len(accepted) - len(known), len(known), tuple(rejected))


class _RowError(ValueError):
    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def _checked(session: Session, locators: LocatorCache, row: Mapping[str, Cell]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        try:
            values[column.name] = parse_cell(column, row.get(column.name))
        except ValueError as exc:
            raise _RowError(column.name, str(exc)) from exc
    division = values.pop("division")
    code = _place(session, locators, division, values["lon"], values["lat"])
    grid = DivisionCode(code).at(DivisionLevel.GRID) if DivisionCode(code).has_level(DivisionLevel.GRID) else None
    employees = values["employees"]
    values |= {
        "division_code": code,
        "grid_code": None if grid is None else str(grid),
        "employees": None if employees is None else int(employees),
    }
    return values


def _place(session: Session, locators: LocatorCache, division: object, lon: object, lat: object) -> str:
    point = Point(lon=lon, lat=lat) if isinstance(lon, float) and isinstance(lat, float) else None
    if point is None and not division:
        raise _RowError("division", "请填写所在区划或经纬度 / give the division or the coordinates")
    text = str(division or "")
    try:
        if point is None and DivisionCode.is_valid(text):
            if session.get(Division, text) is None:
                raise _RowError("division", f"没有区划 {text} / no division {text}")
            return text
        return location.resolve(session, locators, point=point, place=text or None).code
    except (DomainError, ValueError) as exc:
        column = "division" if point is None else "lon"
        raise _RowError(column, f"无法定位 / cannot place it: {exc}") from exc


def _known_codes(session: Session, codes: list[str]) -> set[str]:
    return set(enterprise_ids(session, codes))


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = upsert_insert(session, cast("Table", Enterprise.__table__))
    updated = [name for name in rows[0] if name not in {"credit_code", "registered_at"}]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["credit_code"], set_={name: statement.excluded[name] for name in updated}
        ),
        rows,
    )


def insert_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """A bulk load of complete register rows, ids included (the demo's firms), one `executemany`."""
    insert_rows(session, Enterprise, rows)


def load(session: Session, enterprise_id: int) -> Enterprise:
    """A firm of the register by id (unscoped: for services that checked the scope, and the demo)."""
    return session.get_one(Enterprise, enterprise_id)
