"""docs/reference/feeds.md says what the declarations say: every table is there, as written from the code."""

from __future__ import annotations

from pathlib import Path

from zhili.early_warning.feeds_reference import sections

DOC = Path(__file__).parents[2] / "docs" / "reference" / "feeds.md"


def test_the_reference_has_every_feed_table_as_declared() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [section.splitlines()[0] for section in sections() if section not in text]
    assert missing == [], "regenerate the tables: python -c 'from zhili.early_warning.feeds_reference import sections'"
