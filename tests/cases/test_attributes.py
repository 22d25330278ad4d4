"""Intake attributes: every kind refuses a value of the wrong JSON type with a 422 naming the field, never a 500."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.cases.attributes import validate_attributes
from zhili.core.errors import InvalidInputError
from zhili.matters.catalog import load_catalog
from zhili.matters.definition import AttributeDefinition, Datatype, MatterDefinition
from zhili.org.credit_code import compose

CATALOG = load_catalog()
PAIRS = [(definition, attribute) for definition in CATALOG for attribute in definition.attributes]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
WRONG_TYPES: dict[Datatype, list[Any]] = {
    Datatype.STRING: [[], {}, 1, True, ["a"], {"a": "b"}],
    Datatype.TEXT: [[], {}, 1.5, False, ["a"]],
    Datatype.NUMBER: ["1", [], {}, True, 10**400, -(10**400), [1]],
    Datatype.DATETIME: [[], {}, 1, "yesterday", "2026-01-01T00:00:00"],
    Datatype.SINGLEVALUELIST: [[], {}, 1, True, ["car"], {"car": 1}, [[]]],
    Datatype.MULTIVALUELIST: ["car", {}, 1, [[]], [{}], [1], [None], [True], ["x"] * 51],
}


def _refused_field(definition: MatterDefinition, given: dict[str, Any]) -> set[str]:
    with pytest.raises(InvalidInputError) as refused:
        validate_attributes(definition, given)
    assert refused.value.status == 422
    return {error["field"] for error in refused.value.extra["errors"]}


@pytest.mark.parametrize(("definition", "attribute"), PAIRS, ids=lambda item: getattr(item, "code", ""))
def test_each_kind_refuses_the_wrong_json_types_naming_the_field(
    definition: MatterDefinition, attribute: AttributeDefinition
) -> None:
    for wrong in WRONG_TYPES[attribute.datatype]:
        assert f"attributes.{attribute.code}" in _refused_field(definition, {attribute.code: wrong}), wrong


def test_a_number_people_type_is_never_negative() -> None:
    wages = next(d for d in CATALOG if d.code == "wage_arrears")
    given = {"employer_name": "某公司", "employment_type": "construction_project"}
    assert "attributes.workers_affected" in _refused_field(wages, {**given, "workers_affected": -3})  # 涉及人数 -3
    assert "attributes.workers_affected" in _refused_field(wages, {**given, "workers_affected": -math.inf})
    assert validate_attributes(wages, {**given, "workers_affected": 0})["workers_affected"] == 0


def test_a_single_choice_given_a_list_is_a_422_not_a_type_error() -> None:
    parking = next(d for d in CATALOG if d.code == "illegal_parking")
    assert "attributes.vehicle_type" in _refused_field(parking, {"vehicle_type": []})
    assert "attributes.vehicle_type" in _refused_field(parking, {"vehicle_type": {"car": True}})


@pytest.mark.parametrize("bad", ["浙H\x0012345", "\x1b[31m浙H", "浙H\u202e54321", "浙H\u2066", "浙\x85H", "浙H\n1"])
def test_a_string_attribute_holds_no_control_or_bidi_character(bad: str) -> None:
    parking = next(d for d in CATALOG if d.code == "illegal_parking")
    assert "attributes.plate_number" in _refused_field(parking, {"plate_number": bad})


def test_a_text_attribute_may_run_over_lines_but_holds_no_other_control_character() -> None:
    parking = next(d for d in CATALOG if d.code == "illegal_parking")
    attribute = AttributeDefinition(code="details", order=99, datatype=Datatype.TEXT, name_zh="详情", name_en="Details")
    definition = parking.model_copy(update={"attributes": (*parking.attributes, attribute)})
    clean = validate_attributes(definition, {"details": "第一行\r\n第二行\t完"} | _required(definition))
    assert clean["details"] == "第一行\n第二行\t完"
    assert f"attributes.{attribute.code}" in _refused_field(definition, {attribute.code: "a\x00b"})


def _required(definition: MatterDefinition) -> dict[str, Any]:
    samples: dict[Datatype, Any] = {
        Datatype.STRING: "x",
        Datatype.TEXT: "x",
        Datatype.NUMBER: 1,
        Datatype.DATETIME: "2026-07-01T08:00:00+08:00",
    }
    found: dict[str, Any] = {}
    for a in definition.attributes:
        if a.required and a.datatype in samples:
            found[a.code] = samples[a.datatype]
        elif a.required:
            keys = [v.key for v in a.values]
            found[a.code] = keys[0] if a.datatype is Datatype.SINGLEVALUELIST else keys[:1]
    return found


@settings(max_examples=500, derandomize=True)
@given(pair=st.sampled_from(PAIRS), value=JSON)
def test_any_json_value_is_accepted_or_refused_with_a_422(
    pair: tuple[MatterDefinition, AttributeDefinition], value: Any
) -> None:
    definition, attribute = pair
    try:
        validate_attributes(definition, {attribute.code: value})
    except InvalidInputError as exc:
        assert exc.status == 422  # noqa: PT017 - any other exception fails the property


def test_a_credit_code_attribute_takes_only_a_valid_code_stored_as_the_register_keys_it() -> None:
    wages = next(d for d in CATALOG if d.code == "wage_arrears")
    code = compose("9", "1", "330802", "MA2H4K7X")
    clean = validate_attributes(wages, {"credit_code": f" {code.lower()} "} | _required(wages))
    assert clean["credit_code"] == code  # trimmed and upper case, as the register and the feeds key firms
    for bad in ("123", code[:-1] + ("0" if code[-1] != "0" else "1"), "I" * 18):
        with pytest.raises(InvalidInputError) as refused:
            validate_attributes(wages, {"credit_code": bad} | _required(wages))
        [error] = refused.value.extra["errors"]
        assert error["field"] == "attributes.credit_code"
        assert error["message"].startswith("is not a unified social credit code (")


def test_an_attribute_may_be_shorter_than_its_datatype_allows() -> None:
    parking = next(d for d in CATALOG if d.code == "illegal_parking")
    plate = next(a for a in parking.attributes if a.code == "plate_number")
    assert plate.max_length == 12
    assert validate_attributes(parking, _required(parking) | {"plate_number": "浙HD1234567"})["plate_number"]
    with pytest.raises(InvalidInputError) as refused:
        validate_attributes(parking, _required(parking) | {"plate_number": "浙H" + "1" * 11})
    assert refused.value.extra["errors"] == [
        {"field": "attributes.plate_number", "message": "must be text of 1 to 12 characters"}
    ]


def test_a_count_takes_whole_numbers_only() -> None:
    wages = next(d for d in CATALOG if d.code == "wage_arrears")
    assert validate_attributes(wages, _required(wages) | {"workers_affected": 12.0})["workers_affected"] == 12
    with pytest.raises(InvalidInputError) as refused:
        validate_attributes(wages, _required(wages) | {"workers_affected": 2.5})
    assert refused.value.extra["errors"] == [
        {"field": "attributes.workers_affected", "message": "must be a whole number"}
    ]
    assert validate_attributes(wages, _required(wages) | {"amount_owed": 1234.5})["amount_owed"] == 1234.5


@pytest.mark.parametrize(
    ("rules", "why"),
    [
        ({"datatype": Datatype.STRING, "whole": True}, "whole is for number"),
        ({"datatype": Datatype.NUMBER, "max_length": 5}, "max_length is for string"),
        ({"datatype": Datatype.STRING, "max_length": 201}, "max_length is for string"),
        ({"datatype": Datatype.TEXT, "format": "credit_code"}, "a format is for string attributes"),
    ],
)
def test_a_definition_puts_text_rules_only_on_text(rules: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        AttributeDefinition(code="x_code", order=1, name_zh="代码", name_en="Code", **rules)
