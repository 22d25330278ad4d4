"""The message catalog: every file well formed, no key defined twice, both languages present."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from zhili.web import i18n


def test_every_message_has_chinese_and_english() -> None:
    found = i18n.messages()
    assert len(found) > 400
    assert all(zh and en for zh, en in found.values())
    assert i18n.translate("light.red", "zh") == "红灯 · 超期"
    assert i18n.translate("light.red", "en") == "Red · overdue"


def test_a_missing_key_shows_itself() -> None:
    assert i18n.translate("no.such.key", "zh") == "no.such.key"


def test_a_key_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('"x.y" = ["甲", "A"]\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('"x.y" = ["乙", "B"]\n', encoding="utf-8")
    with pytest.raises(i18n.CatalogError, match="already defined"):
        i18n.load_folder(tmp_path)


def test_every_reason_an_error_page_gives_is_in_the_catalog() -> None:
    # `DomainError(..., message_key="forbidden.x")`: the 403 page says the reason by its key; a typo would show the key.
    src = Path(i18n.__file__).parents[1]
    keys = {
        keyword.value.value
        for path in sorted(src.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "message_key" and isinstance(keyword.value, ast.Constant)
    }
    assert len(keys) > 25
    found = i18n.messages()
    assert sorted(key for key in keys if key not in found) == []


def test_no_template_puts_an_ascii_colon_after_a_label() -> None:
    # "回单须提供: 文字" reads wrong in Chinese: a label ends in the catalog's `colon` (：, or ": " in English).
    label_then_colon = re.compile(r"\{\{ t\('[\w.]+'\) \}\}:")
    src = Path(i18n.__file__).parents[1]
    found = [
        f"{path.relative_to(src)}:{number}"
        for path in sorted(src.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if label_then_colon.search(line)
    ]
    assert not found, found
