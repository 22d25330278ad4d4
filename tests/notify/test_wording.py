"""A notification's title in the reader's language: its message key filled in, else the title stored."""

from __future__ import annotations

import json

from zhili.notify.wording import fill, localized_title

PARAMS = json.dumps({"matter": "欠薪处置", "matter_en": "Wage arrears", "place": "湖镇镇"})


def test_a_title_with_a_key_is_rendered_in_each_language() -> None:
    assert (
        localized_title("旧", "handoff.return", PARAMS, "en")
        == "Case returned, to dispatch again: Wage arrears · 湖镇镇"
    )
    assert localized_title("旧", "handoff.return", PARAMS, "zh") == "办件被退回，待重新派单：欠薪处置 · 湖镇镇"


def test_without_a_usable_key_the_stored_title_is_shown() -> None:
    assert localized_title("旧标题", None, PARAMS, "en") == "旧标题"
    assert localized_title("旧标题", "handoff.no_such_kind", PARAMS, "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", "not json", "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", "[1, 2]", "en") == "旧标题"
    assert localized_title("旧标题", "handoff.return", json.dumps({"matter": "x"}), "en") == "旧标题"


def test_fill_needs_every_field_and_a_well_formed_template() -> None:
    assert fill("{a} · {b}", {"a": 1, "b": "二"}) == "1 · 二"
    assert fill("{a} · {b}", {"a": 1}) == ""
    assert fill("{a", {"a": 1}) == ""
    assert fill("{0}", {"a": 1}) == ""
