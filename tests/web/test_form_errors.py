"""A refused form's errors by input: a schema's rule over several fields is shown by the field it names."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from zhili.core.errors import FieldRuleError
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
