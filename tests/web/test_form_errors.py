"""A refused form's errors by input: a schema's rule by the field it names, a service's by its message key."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, model_validator

from zhili.core.errors import FieldRuleError, InvalidInputError
from zhili.web.form_errors import form_errors


class _Where(BaseModel):
    point: str | None = None
    place: str | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> _Where:
        if self.point is None and self.place is None:
            raise FieldRuleError("give a point or a place", field="point")
        return self


class _Report(BaseModel):
    where: _Where


def _refused(payload: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        _Report.model_validate(payload)
    return refused.value


def test_a_rule_over_several_fields_is_filed_under_the_field_it_names() -> None:
    refused = _refused({"where": {}})
    assert refused.errors()[0]["msg"] == "Value error, give a point or a place", "the API's wording is unchanged"
    found = form_errors(refused, "zh", {"where.point": "lon", "where.place": "place"})
    assert found.by_field == {"lon": ["请选择位置或填写地点"]}
    assert not found.general
    assert form_errors(refused, "en", {"where.point": "lon"}).by_field == {
        "lon": ["Pick a point on the map or enter a place"]
    }


def test_a_rule_naming_no_input_of_the_form_stays_with_the_form_as_a_whole() -> None:
    found = form_errors(_refused({"where": {}}), "zh", {"where.place": "place"})
    assert found.general == ["请选择位置或填写地点"]


def test_a_service_error_with_a_message_key_is_worded_by_it_with_its_params() -> None:
    refused = InvalidInputError(
        "no unit named 交警",
        errors=[
            {
                "field": "to",
                "message": "no unit named 交警",
                "key": "org.move.error.unknown_unit",
                "params": {"name": "交警"},
            },
            {"field": "body.point", "message": "outside every known county"},  # no key: known by its wording
        ],
    )
    found = form_errors(refused, "zh", {"to": "to-7", "point": "lon"})
    assert found.by_field == {
        "to-7": ["未找到您管理的单位“交警”"],
        "lon": ["该位置不在已知区县范围内，请在地图上重新选点"],
    }
    assert form_errors(refused, "en", {"to": "to-7"}).by_field["to-7"] == ["No unit you manage is named “交警”"]


class _Limit(BaseModel):
    amount: int = Field(ge=1, le=365)


def test_a_number_out_of_its_bounds_is_told_the_bound_it_crossed() -> None:
    for value, zh, en in ((0, "不能小于 1", "Must be at least 1"), (999, "不能大于 365", "Must be at most 365")):
        with pytest.raises(ValidationError) as refused:
            _Limit.model_validate({"amount": value})
        assert form_errors(refused.value, "zh", {"amount": "amount"}).by_field == {"amount": [zh]}
        assert form_errors(refused.value, "en", {"amount": "amount"}).by_field == {"amount": [en]}


def test_a_negative_count_is_told_it_must_not_be_negative() -> None:
    refused = InvalidInputError(
        "attributes do not match", errors=[{"field": "body.attributes.workers", "message": "must not be negative"}]
    )
    assert form_errors(refused, "zh", {"attributes.workers": "attr.workers"}).by_field == {
        "attr.workers": ["不能为负数"]
    }


class _Choice(BaseModel):
    rating: Literal["good", "bad"]
    unit_id: int
    note: str


def test_a_choice_left_unmade_is_told_to_choose_and_a_typed_field_to_fill_in() -> None:
    inputs = {name: name for name in ("rating", "unit_id", "note")}
    for sent in ({}, {"unit_id": ""}):  # nothing sent, or the blank option's "" read as an id
        with pytest.raises(ValidationError) as refused:
            _Choice.model_validate(sent)
        found = form_errors(refused.value, "zh", inputs, choices={"rating", "unit_id"})
        assert found.by_field == {"rating": ["请选择此项"], "unit_id": ["请选择此项"], "note": ["请填写此项"]}
        english = form_errors(refused.value, "en", inputs, choices={"rating", "unit_id"})
        assert english.by_field["rating"] == ["Please choose one"]
    with pytest.raises(ValidationError) as blank:  # the blank option of a list: not one of the list, yet unchosen
        _Choice.model_validate({"rating": "", "unit_id": 1, "note": "x"})
    assert form_errors(blank.value, "zh", inputs, choices={"rating"}).by_field == {"rating": ["请选择此项"]}
    assert form_errors(blank.value, "zh", inputs).by_field == {"rating": ["请从列表中选择"]}
    service = InvalidInputError("bad", errors=[{"field": "body.attributes.kind", "message": "kind is required"}])
    assert form_errors(service, "zh", {"attributes.kind": "attr.kind"}, choices={"attr.kind"}).by_field == {
        "attr.kind": ["请选择此项"]
    }
    assert form_errors(service, "zh", {"attributes.kind": "attr.kind"}).by_field == {"attr.kind": ["请填写此项"]}
