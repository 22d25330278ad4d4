"""Checking a feed's rows before anything is stored: every bad cell is a `Rejection` with its line. Pure.

A file's header must name the feed's columns: an unknown or missing required column refuses the
whole file (`FeedRefusedError`). Rows are then checked one by one; a bad row is skipped with its line
number and the reason, and the rest go on. A row repeating an earlier row's key (credit code and month,
or the event's credit code, kind, date and reference) is a duplicate of that line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from zhili.core.months import Month
from zhili.early_warning.feeds.schema import Column, ColumnType, Feed, Shape
from zhili.org import credit_code

Cell = str | int | float | None
Value = float | str | date | Month | None
EARLIEST: Final = Month.of(2000, 1)
MAX_NUMBER: Final = 1e13  # yuan, kWh or m3 beyond this are typing errors


class FeedRefusedError(ValueError):
    """The whole batch is refused (unknown columns, missing required columns, no rows)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A skipped row: its line (the header is line 1), the column at fault (if one) and why."""

    line: int
    column: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A row that passed: the credit code, its month, and its other cells by column name."""

    line: int
    credit_code: str
    month: Month
    values: Mapping[str, Value]


class _CellError(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


def check_header(feed: Feed, header: Sequence[str]) -> None:
    """Refuse a header with columns the feed does not have, a repeated column, or a required one missing."""
    names = [name.strip() for name in header]
    unknown = sorted(set(names) - set(feed.names))
    missing = sorted(feed.required - set(names))
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = [
        *([f"未知的列 {', '.join(unknown)} / unknown columns: {', '.join(unknown)}"] if unknown else []),
        *([f"缺少必填列 {', '.join(missing)} / missing columns: {', '.join(missing)}"] if missing else []),
        *([f"重复的列 {', '.join(repeated)} / repeated columns: {', '.join(repeated)}"] if repeated else []),
    ]
    if problems:
        expected = ", ".join(feed.names)
        raise FeedRefusedError(f"{'; '.join(problems)}. {feed.kind} 的列 / columns of {feed.kind}: {expected}")


def check_rows(
    feed: Feed, rows: Iterable[tuple[int, Mapping[str, Cell]]], *, latest: Month
) -> tuple[list[CheckedRow], list[Rejection]]:
    """The rows that pass and the rejections; `latest` is the last month a feed may report (this month)."""
    accepted: list[CheckedRow] = []
    rejected: list[Rejection] = []
    seen: dict[tuple[object, ...], int] = {}
    for line, row in rows:
        try:
            checked = _check_row(feed, line, row, latest)
        except _CellError as exc:
            rejected.append(Rejection(line, exc.column, str(exc)))
            continue
        key = _key(feed, checked)
        if key in seen:
            reason = f"与第 {seen[key]} 行重复 / a duplicate of line {seen[key]}"
            rejected.append(Rejection(line, None, reason))
            continue
        seen[key] = line
        accepted.append(checked)
    return accepted, rejected


def _key(feed: Feed, row: CheckedRow) -> tuple[object, ...]:
    if feed.shape is Shape.MONTHLY:
        return (row.credit_code, row.month)
    return (row.credit_code, *(row.values[column.name] for column in feed.columns[1:4]))


def _check_row(feed: Feed, line: int, row: Mapping[str, Cell], latest: Month) -> CheckedRow:
    values = {column.name: parse_cell(column, row.get(column.name)) for column in feed.columns}
    code = values.pop("credit_code")
    if feed.shape is Shape.MONTHLY:
        month = values.pop("month")
        if not isinstance(month, Month):  # pragma: no cover - the column type guarantees it
            raise _CellError("month", "month")
    else:
        happened = values["date"]
        if not isinstance(happened, date):  # pragma: no cover - the column type guarantees it
            raise _CellError("date", "date")
        month = Month.containing(happened)
    if month > latest:
        column = "month" if feed.shape is Shape.MONTHLY else "date"
        raise _CellError(column, f"{month} 尚未到来 / {month} is in the future (latest {latest})")
    if month < EARLIEST:
        column = "month" if feed.shape is Shape.MONTHLY else "date"
        raise _CellError(column, f"{month} 早于 {EARLIEST} / {month} is before {EARLIEST}")
    return CheckedRow(line=line, credit_code=str(code), month=month, values=values)


def parse_cell(column: Column, raw: Cell) -> Value:
    """A cell as its column's type; `ValueError` (with the column and the reason) when it is not."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if column.required:
            raise _CellError(column.name, f"{column.name} 不能为空 / {column.name} is required")
        return None
    return _PARSERS[column.type](column, text)


def _credit_code(column: Column, text: str) -> str:
    try:
        return credit_code.normalise(text)
    except credit_code.InvalidCreditCodeError as exc:
        raise _CellError(column.name, str(exc)) from exc


def _month(column: Column, text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise _CellError(column.name, str(exc)) from exc


def _date(column: Column, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        reason = f"日期应写作 YYYY-MM-DD，而不是 {text!r} / a date is written YYYY-MM-DD; got {text!r}"
        raise _CellError(column.name, reason) from exc


def _choice(column: Column, text: str) -> str:
    if text not in column.choices:
        choices = ", ".join(column.choices)
        raise _CellError(column.name, f"{text!r} 不在可选值中（{choices}） / {text!r} is not one of: {choices}")
    return text


def _text(column: Column, text: str) -> str:
    if len(text) > column.max_length or not text.isprintable():
        reason = f"超过 {column.max_length} 字或含控制字符 / longer than {column.max_length} or not printable"
        raise _CellError(column.name, reason)
    return text


def _number(column: Column, text: str) -> float:
    try:
        number = float(text.replace(",", ""))
    except ValueError as exc:
        raise _CellError(column.name, f"{text!r} 不是数字 / {text!r} is not a number") from exc
    if not math.isfinite(number) or number > MAX_NUMBER:
        raise _CellError(column.name, f"{text!r} 不是有效数字 / {text!r} is not a usable number")
    if number < 0:
        raise _CellError(column.name, f"{column.name} 不能为负数（{text}） / {column.name} cannot be negative ({text})")
    if column.type is ColumnType.COUNT and not number.is_integer():
        reason = f"{column.name} 应为整数（{text}） / {column.name} must be a whole number ({text})"
        raise _CellError(column.name, reason)
    return number


_PARSERS: Final[dict[ColumnType, Callable[[Column, str], Value]]] = {
    ColumnType.CREDIT_CODE: _credit_code,
    ColumnType.MONTH: _month,
    ColumnType.DATE: _date,
    ColumnType.NUMBER: _number,
    ColumnType.COUNT: _number,
    ColumnType.CHOICE: _choice,
    ColumnType.TEXT: _text,
}
