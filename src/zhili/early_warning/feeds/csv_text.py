"""A feed's CSV as a header and numbered rows: UTF-8 (with or without a BOM) or GB 18030, as departments export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from zhili.early_warning.feeds.rows import FeedRefusedError


@dataclass(frozen=True, slots=True)
class CsvText:
    """The header's column names and the rows, each with its line number (the header is line 1)."""

    header: tuple[str, ...]
    text: str

    def rows(self) -> Iterator[tuple[int, Mapping[str, str | None]]]:
        """Each data row as a mapping of column name to cell; blank lines are skipped.

        `FeedRefusedError` naming the line where the text stops being CSV (a stray carriage return or
        quote inside a field, a field over the csv module's limit).
        """
        reader = csv.reader(io.StringIO(self.text, newline=""))
        try:
            next(reader, None)
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                yield number, dict(zip(self.header, cells, strict=False))
        except csv.Error as exc:
            line = reader.line_num
            raise FeedRefusedError(f"第 {line} 行不是有效的 CSV / line {line} is not valid CSV: {exc}") from exc


def decode(data: bytes) -> CsvText:
    """The CSV in `data`; `FeedRefusedError` when it has no header or is not text."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise FeedRefusedError("文件不是 UTF-8 或 GB 18030 文本 / the file is not UTF-8 or GB 18030 text")
    if "\x00" in text:
        raise FeedRefusedError("文件不是 CSV 文本 / the file is not CSV text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise FeedRefusedError(f"表头行不是有效的 CSV / the header line is not valid CSV: {exc}") from exc
    if not first or not any(cell.strip() for cell in first):
        raise FeedRefusedError("文件没有表头行 / the file has no header line")
    return CsvText(header=tuple(cell.strip() for cell in first), text=text)
