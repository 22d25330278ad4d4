"""The detector settings as data: the default loads, round-trips through JSON, and bad values say why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from zhili.early_warning.detect.config import DetectorConfig, load_default


def _default_json() -> dict[str, Any]:
    return load_default().model_dump(mode="json")


def test_the_default_has_the_specified_rules() -> None:
    config = load_default()
    ids = {rule.id for rule in config.rules}
    assert {"electricity_half_own_median", "si_headcount_drop", "tax_declaration_stop", "wages_paid_below_due"} <= ids
    assert {"si_arrears", "electricity_arrears", "tax_arrears", "legal_events", "wage_complaints"} <= ids
    spec = next(rule for rule in config.rules if rule.id == "electricity_half_own_median")
    assert (spec.against, spec.threshold, spec.consecutive) == ("own_median", 0.5, 2)
    assert all(rule.name_zh and rule.name_en for rule in config.rules)


def test_the_config_round_trips_through_json() -> None:
    config = load_default()
    text = json.dumps(config.model_dump(mode="json"), ensure_ascii=False)
    assert DetectorConfig.model_validate(json.loads(text)) == config


def test_the_config_is_frozen() -> None:
    with pytest.raises(ValidationError):
        load_default().grades.red = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["grades"].update(orange=0.99), "yellow < orange < red"),
        (lambda d: d["rules"].append(d["rules"][0]), "repeated: electricity_half_own_median"),
        (lambda d: d["rules"][0].update(per="electricity_kwh"), "must differ"),
        (lambda d: d["rules"][0].update(threshold=0), "above 0"),
        (lambda d: d["rules"][0].update(consecutive=0), "consecutive"),
        (lambda d: d["rules"][0].update(indicator="gas_m3"), "indicator"),
        (lambda d: d["rules"][0].update(colour="red"), "colour"),
        (lambda d: d["baseline"].update(min_history=13), "cannot exceed window"),
        (lambda d: d["change"]["signals"].append(d["change"]["signals"][0]), "appear once"),
        (lambda d: d["rules"][0].update(id="Bad Id"), "id"),
    ],
)
def test_a_bad_value_is_refused_with_a_reason(change: Any, message: str) -> None:
    data = _default_json()
    change(data)
    with pytest.raises(ValidationError, match=message):
        DetectorConfig.model_validate(data)
