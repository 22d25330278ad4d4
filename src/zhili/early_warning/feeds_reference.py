"""The column tables of docs/reference/feeds.md, written from the declarations (a test keeps the doc in step)."""

from __future__ import annotations

from collections.abc import Sequence

from zhili.early_warning.feeds.schema import FEEDS, Column, ColumnType, Shape
from zhili.early_warning.register import COLUMNS


def column_table(columns: Sequence[Column]) -> str:
    """A Markdown table of columns."""
    lines = ["| column | type | required | unit | indicator | meaning |", "|---|---|---|---|---|---|"]
    for column in columns:
        kind = column.type.value
        if column.choices:
            kind += f" ({', '.join(column.choices)})"
        if column.type is ColumnType.TEXT:
            kind += f", ≤ {column.max_length} characters"
        unit = column.unit.value if column.unit else ""
        indicator = f"`{column.indicator.value}`" if column.indicator else ""
        required = "yes" if column.required else "no"
        lines.append(f"| `{column.name}` | {kind} | {required} | {unit} | {indicator} | {column.description} |")
    return "\n".join(lines)


def sections() -> list[str]:
    """One section per table: the register, then each feed."""
    found = [f"## The register: `enterprises`\n\n{column_table(COLUMNS)}"]
    for feed in FEEDS.values():
        key = "`credit_code` + `month`"
        if feed.shape is Shape.EVENTS:
            key = "`credit_code` + kind + `date` + `reference`"
        found.append(
            f"## `{feed.kind.value}` — {feed.provider_zh} / {feed.provider_en}\n\n"
            f"Shape: **{feed.shape.value}**. Key: {key}.\n\n{column_table(feed.columns)}"
        )
    return found
