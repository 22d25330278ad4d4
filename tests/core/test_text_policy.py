"""One text policy for all free text (`core.text`): the rule, every request model keeps it, and the API says why."""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from tests.cases.test_flow import fushan_point, report_body

from zhili.app import create_app
from zhili.core.settings import Settings
from zhili.core.text import BlankOrText, Line, Text, is_text_policy, refusal
from zhili.web.form_errors import form_errors

REFUSED = ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u061c"]
# Free-form JSON objects checked by their own rule: matter attributes by `cases.attributes.validate_attributes`.
CHECKED_ELSEWHERE = {"CaseCreate.attributes", "CaseRaise.attributes"}
# Settings is a dependency, not a request body.
NOT_REQUEST_MODELS = {"Settings"}


@pytest.mark.parametrize("char", REFUSED)
def test_control_and_bidi_characters_are_refused_in_lines_and_texts(char: str) -> None:
    assert refusal(f"a{char}b", multiline=False) is not None
    assert refusal(f"a{char}b", multiline=True) is not None
    for kind in (Line, Text, BlankOrText):
        with pytest.raises(ValidationError) as refused:
            TypeAdapter(kind).validate_python(f"柯城区{char}府山")
        assert refused.value.errors()[0]["type"] == "text_characters"
        assert f"U+{ord(char):04X}" in refused.value.errors()[0]["msg"]


def test_line_breaks_and_tabs_only_in_multi_line_text() -> None:
    assert TypeAdapter(Text).validate_python(" 第一行\r\n第二行\r第三\t行 ") == "第一行\n第二行\n第三\t行"
    for char in "\n\t\r":
        with pytest.raises(ValidationError):
            TypeAdapter(Line).validate_python(f"一{char}行")
    assert TypeAdapter(Line).validate_python("  Zhāng Wěi 张伟 (柯城) ") == "Zhāng Wěi 张伟 (柯城)"
    assert TypeAdapter(BlankOrText).validate_python("  ") == ""


def test_a_text_of_blanks_is_refused_also_under_a_length_limit() -> None:
    class Body(BaseModel):
        text: Text = Field(max_length=10)
        blank: BlankOrText = Field(default="", max_length=10)

    for value in ("", "   ", " \r\n\t "):
        with pytest.raises(ValidationError) as refused:
            Body.model_validate({"text": value})
        assert refused.value.errors()[0]["type"] == "string_too_short"
    assert Body.model_validate({"text": " 一\r\n二 ", "blank": "  "}).model_dump() == {"text": "一\n二", "blank": ""}
    with pytest.raises(ValidationError):
        Body.model_validate({"text": "x" * 11})


def test_a_form_shows_the_characters_message_for_the_policy() -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Line).validate_python("x\u202e")
    assert form_errors(refused.value, "zh", {"": "name"}).by_field == {"name": ["含有不允许的控制字符"]}


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "endpoint"):
            yield route


def _request_models(app: FastAPI) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for route in _routes(app.routes):
        for name, hint in typing.get_type_hints(route.endpoint, include_extras=True).items():
            base = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
            if name != "return" and isinstance(base, type) and issubclass(base, BaseModel):
                found.add(base)
    return {model for model in found if model.__name__ not in NOT_REQUEST_MODELS}


def _closed_pattern(pattern: str) -> bool:
    """An anchored pattern of ASCII classes without negation (a code, a phone, a time) cannot hold a control."""
    outside_classes = re.sub(r"\[[^\]]*\]", "", pattern)
    return pattern.startswith("^") and pattern.isascii() and "[^" not in pattern and "." not in outside_classes


def _offences(annotation: Any, metadata: list[Any], path: str, seen: set[type]) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _offences(args[0], [*metadata, *args[1:]], path, seen)
    elif origin in {typing.Union, types.UnionType}:
        for arg in args:
            yield from _offences(arg, metadata, path, seen)
    elif origin in {list, tuple, set, frozenset}:
        for arg in (arg for arg in args if arg is not Ellipsis):
            yield from _offences(arg, [], f"{path}[]", seen)
    elif origin is dict:
        if path not in CHECKED_ELSEWHERE:
            yield from _offences(args[0], [], f"{path}{{key}}", seen)
            yield from _offences(args[1], [], f"{path}{{value}}", seen)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _model_offences(annotation, seen)
    elif annotation is str and not _keeps_policy(metadata):
        yield path


def _model_offences(model: type[BaseModel], seen: set[type]) -> Iterator[str]:
    if model not in seen:
        seen.add(model)
        for name, field in model.model_fields.items():
            yield from _offences(field.annotation, list(field.metadata), f"{model.__name__}.{name}", seen)


def _keeps_policy(metadata: list[Any]) -> bool:
    """The text policy, or only closed patterns (enums, literals and numbers never reach here as str)."""
    if any(is_text_policy(item) for item in metadata):
        return True
    patterns = [str(item.pattern) for item in metadata if getattr(item, "pattern", None)]
    return bool(patterns) and all(_closed_pattern(pattern) for pattern in patterns)


def test_every_free_text_field_of_every_request_model_keeps_the_policy(tmp_path: Path) -> None:
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'x.sqlite'}"))
    models = _request_models(app)
    assert len(models) >= 25
    seen: set[type] = set()
    offences = [path for model in models for path in _offences(model, [], model.__name__, seen)]
    assert offences == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "车停在盲道上\x00"),
        ("description", "车停在\u202e盲道上"),
        ("reporter_name", "张\x1b[31m伟"),
        ("address", "府山街道\u2066 1 号"),
    ],
)
def test_the_api_refuses_a_case_with_a_bad_character_naming_the_field(
    api: Any, session: Session, field: str, value: str
) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = {"matter": "illegal_parking", "point": point, "description": "违停", "attributes": {}, field: value}
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field) and "U+" in e["message"] for e in errors), errors


def test_a_description_may_run_over_several_lines(api: Any, session: Session) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = report_body(point, description="人行道上停了一辆车\r\n挡住了盲道")
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 201, response.text
    assert api.get(response.headers["location"]).json()["description"] == "人行道上停了一辆车\n挡住了盲道"


def test_the_api_refuses_a_single_choice_given_a_list(api: Any, session: Session) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = {"matter": "illegal_parking", "point": point, "description": "违停", "attributes": {"vehicle_type": []}}
    response = api.send("POST", "/api/v1/cases", json=body)
    assert response.status_code == 422, response.text
    assert "attributes.vehicle_type" in {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_does_not_have_are_refused(api: Any, session: Session, raw: str) -> None:
    _grid, point = fushan_point(session)
    api.login("gridworker")
    body = report_body(point, matter="campus_safety", attributes={"pupils_involved": 0})
    content = json.dumps(body, ensure_ascii=False).replace('"pupils_involved": 0', f'"pupils_involved": {raw}')
    headers = {"Content-Type": "application/json"}
    response = api.send("POST", "/api/v1/cases", content=content.encode(), headers=headers)
    assert response.status_code in {400, 422}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
