"""The shipped matter files: all valid, the seed's assignments, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhili.core.errors import InvalidInputError
from zhili.matters.catalog import (
    content_hash,
    load_catalog,
    packaged_files,
    packaged_references,
    parse_definition,
)
from zhili.matters.definition import EscalationAction, HandlerLevel, MatterDefinition, Phase

SEED_MATTERS = (
    "农民建房服务监督",
    "扬尘处置",
    "非法采砂制砂处置",
    "固体废物处置",
    "欠薪处置",
    "非法加油处置",
    "城区噪音处置",
    "城区机动车违停治理",
    "城镇燃气管理",
    "校外培训机构监管",
    "矿产品管理问题处置",
    "道路交通安全隐患处置",
    '"三小一摊"监管',
    "无证无照生产经营整治",
    "国有土地违建处置",
    "校园周边安全防控",
    "进口冷链食品疫情防控",
)

MINIMAL = """
code = "sample"
name_zh = "样例"
name_en = "Sample"
lead_kind = "market"
collaborator_kinds = ["enforcement"]
handling_level = "township"
evidence_to_close = ["photo"]
escalation = [{ action = "urge", at = 0.7 }, { action = "red_card", at = 2.0 }]

[duplicates]
distance_m = 100
hours = 24

[limits.department]
accept = { amount = 1, unit = "working_days" }
sign = { amount = 1, unit = "working_days" }
handle = { amount = 5, unit = "working_days" }
verify = { amount = 2, unit = "working_days" }

[[attributes]]
code = "shop_name"
datatype = "string"
required = true
order = 1
name_zh = "店名"
name_en = "Shop name"

[[attributes]]
code = "kind"
datatype = "singlevaluelist"
order = 2
name_zh = "类型"
name_en = "Kind"
values = [{ key = "eatery", name_zh = "小餐饮", name_en = "Eatery" }]
"""


def parse(text: str, file_name: str = "sample.toml") -> MatterDefinition:
    return parse_definition(text, file_name=file_name, references=packaged_references())


def refused(text: str, file_name: str = "sample.toml") -> str:
    with pytest.raises(InvalidInputError) as caught:
        parse(text, file_name)
    return caught.value.detail


def test_all_seventeen_matters_of_the_seed_are_shipped_and_valid() -> None:
    definitions = load_catalog()
    assert len(definitions) == 17
    assert sorted(d.name_zh for d in definitions) == sorted(SEED_MATTERS)
    assert len({d.code for d in definitions}) == 17
    files = sorted(entry.name for entry in packaged_files().iterdir() if entry.name.endswith(".toml"))
    assert files == sorted(f"{d.code}.toml" for d in definitions)


def test_every_file_says_it_is_editable_data() -> None:
    for entry in packaged_files().iterdir():
        if entry.name.endswith(".toml"):
            assert "Editable data" in entry.read_text(encoding="utf-8").split("\ncode =", 1)[0], entry.name


def test_traffic_police_lead_illegal_parking_as_the_seed_says() -> None:
    parking = next(d for d in load_catalog() if d.code == "illegal_parking")
    assert parking.name_zh == "城区机动车违停治理"
    assert parking.lead_kind == "traffic_police"
    assert parking.handling_level == "county"
    assert parking.enforcement_item == "ENF-PARK-PAVEMENT"
    assert {"enforcement", "public_security"} <= set(parking.collaborator_kinds)
    assert parking.is_default_assignment is False
    assert (parking.duplicates.distance_m, parking.duplicates.hours) == (50, 2)
    plate = parking.attributes[0]
    assert (plate.code, plate.datatype, plate.required) == ("plate_number", "string", True)
    parked_on = next(a for a in parking.attributes if a.code == "parked_on")
    assert {"pavement", "lane", "fire_access"} <= {v.key for v in parked_on.values}


def test_hrss_leads_wage_arrears_with_housing_court_police_and_justice() -> None:
    wages = next(d for d in load_catalog() if d.code == "wage_arrears")
    assert wages.lead_kind == "hrss"
    assert {"housing", "court", "public_security", "justice", "market", "tax", "letters"} <= set(
        wages.collaborator_kinds
    )
    assert wages.is_default_assignment is False
    assert (wages.duplicates.distance_m, wages.duplicates.hours) == (500, 720)
    codes = [a.code for a in sorted(wages.attributes, key=lambda a: a.order)]
    assert codes[:6] == [
        "employer_name",
        "credit_code",
        "workers_affected",
        "amount_owed",
        "months_owed",
        "employment_type",
    ]


def test_the_other_matters_are_editable_defaults_with_the_spec_limits() -> None:
    for definition in load_catalog():
        if definition.code in {"illegal_parking", "wage_arrears"}:
            continue
        assert definition.is_default_assignment, definition.code
        ladder = [(step.action, step.at) for step in definition.escalation]
        assert ladder == [
            (EscalationAction.URGE, 0.7),
            (EscalationAction.SUPERVISE, 1.0),
            (EscalationAction.YELLOW_CARD, 1.0),
            (EscalationAction.RED_CARD, 2.0),
            (EscalationAction.LEADER_INSTRUCTION, 3.0),
        ]
        handle = definition.limit(HandlerLevel.DEPARTMENT, Phase.HANDLE)
        township = definition.limit(HandlerLevel.TOWNSHIP, Phase.HANDLE)
        if definition.urgent:
            assert handle.unit == township.unit == "hours", definition.code
        else:
            assert (handle.amount, handle.unit) == (5, "working_days"), definition.code
            assert (township.amount, township.unit) == (1, "working_days"), definition.code


def test_urgent_matters_are_counted_in_hours() -> None:
    urgent = {d.code for d in load_catalog() if d.urgent}
    assert urgent == {"urban_gas", "cold_chain_food", "road_safety_hazard"}


def test_delegated_enforcement_items_are_handled_by_townships() -> None:
    references = packaged_references()
    for definition in load_catalog():
        if definition.enforcement_item in {"ENF-SMALL-SHOPS", "ENF-UNLICENSED-BIZ", "ENF-ILLEGAL-BUILD"}:
            assert definition.handling_level == "township", definition.code
            assert references.items[definition.enforcement_item] == definition.lead_kind


def test_a_minimal_definition_parses() -> None:
    definition = parse(MINIMAL)
    assert definition.limit(HandlerLevel.GRID, Phase.HANDLE).amount == 5


def test_an_unknown_datatype_is_named_by_file_and_attribute() -> None:
    detail = refused(MINIMAL.replace('datatype = "string"', 'datatype = "date"'))
    assert detail.startswith("sample.toml: ")
    assert "attributes[shop_name].datatype" in detail
    assert "'singlevaluelist'" in detail


def test_a_list_attribute_without_values_is_refused() -> None:
    text = MINIMAL.replace('values = [{ key = "eatery", name_zh = "小餐饮", name_en = "Eatery" }]', "")
    detail = refused(text)
    assert "sample.toml: attributes[kind]:" in detail
    assert "list datatypes need values" in detail


def test_an_unknown_lead_kind_is_refused() -> None:
    detail = refused(MINIMAL.replace('lead_kind = "market"', 'lead_kind = "police_dogs"'))
    assert "sample.toml: lead_kind: unknown department kind 'police_dogs'" in detail


def test_an_unknown_collaborator_and_a_foreign_enforcement_item_are_both_reported() -> None:
    text = MINIMAL.replace('["enforcement"]', '["enforcement", "aliens"]').replace(
        'handling_level = "township"', 'handling_level = "township"\nenforcement_item = "ENF-WAGES"'
    )
    with pytest.raises(InvalidInputError) as caught:
        parse(text)
    fields = [error["field"] for error in caught.value.extra["errors"]]
    assert fields == ["collaborator_kinds", "enforcement_item"]
    assert "ENF-WAGES is a power of 'hrss', not of the lead kind 'market'" in caught.value.detail


def test_a_lead_kind_also_among_the_collaborators_is_refused_by_the_collaborators_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse(MINIMAL.replace('["enforcement"]', '["enforcement", "market"]'))
    assert [(e["field"], e["message"]) for e in caught.value.extra["errors"]] == [
        ("collaborator_kinds", "the lead kind cannot also be a collaborator kind")
    ]


def test_a_missing_phase_limit_is_refused() -> None:
    detail = refused(MINIMAL.replace('verify = { amount = 2, unit = "working_days" }\n', ""))
    assert "sample.toml: limits.department: missing phases verify" in detail


def test_an_escalation_action_named_twice_is_refused() -> None:
    twice = '[{ action = "urge", at = 0.7 }, { action = "urge", at = 0.9 }, { action = "red_card", at = 2.0 }]'
    detail = refused(MINIMAL.replace('[{ action = "urge", at = 0.7 }, { action = "red_card", at = 2.0 }]', twice))
    assert "each escalation action may appear once" in detail


def test_a_code_that_does_not_match_the_file_name_is_refused() -> None:
    detail = refused(MINIMAL, "other.toml")
    assert "other.toml: code: 'sample' does not match the file name other.toml" in detail


def test_broken_toml_names_the_file() -> None:
    assert refused("code = ", "sample.toml").startswith("sample.toml: not valid TOML")


def test_a_folder_with_a_bad_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "sample.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(MINIMAL.replace('code = "sample"', 'code = "broken"\nurgent = "maybe"'))
    with pytest.raises(InvalidInputError, match=r"broken\.toml: urgent: Input should be a valid boolean"):
        load_catalog(tmp_path)
    (tmp_path / "broken.toml").unlink()
    assert [d.code for d in load_catalog(tmp_path)] == ["sample"]


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no matter files"):
        load_catalog(tmp_path)


def test_the_content_hash_follows_the_content_not_the_layout() -> None:
    first = parse(MINIMAL)
    reordered = parse("# a comment\n" + MINIMAL.replace("[duplicates]\n", "[duplicates]\n\n"))
    changed = parse(MINIMAL.replace("hours = 24", "hours = 48"))
    assert content_hash(first) == content_hash(reordered)
    assert content_hash(first) != content_hash(changed)


def test_the_example_in_the_how_to_is_a_valid_file() -> None:
    guide = Path(__file__).parents[2] / "docs" / "how-to" / "edit-the-matter-catalog.md"
    example = guide.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    definition = parse(example, "urban_noise.toml")
    assert definition.enforcement_item == "ENF-NOISE-SOCIAL"
    assert [a.code for a in definition.attributes] == ["noise_source", "venue_name"]
