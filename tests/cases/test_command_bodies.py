"""The command body: one model per lifecycle command, told apart by `command`, errors named by their field."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tests.cases.test_flow import command, report_parking

from zhili.cases import lifecycle as lc
from zhili.cases import states
from zhili.cases.commands import COMMAND_ARGUMENTS, COMMAND_BODY, CloseBody, CommandBody, DispatchBody, RateBody
from zhili.cases.forms import COMMAND_INPUTS
from zhili.cases.states import CommandKind
from zhili.core.params import MAX_ID

PARTIES = frozenset({states.Party.LEAD})


def _fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        COMMAND_BODY.validate_python(payload)
    return [(".".join(map(str, e["loc"])), e["type"]) for e in refused.value.errors()]


def test_every_lifecycle_command_but_report_has_its_body() -> None:
    members = get_args(get_args(CommandBody)[0])
    tags = [get_args(member.model_fields["command"].annotation)[0] for member in members]
    assert sorted(tags) == sorted(set(CommandKind) - {CommandKind.REPORT})


def test_the_case_page_posts_every_argument_a_command_takes() -> None:
    # Read off the bodies: a new command's new argument reaches the page's form without a list to keep.
    assert set(COMMAND_INPUTS) == {
        "version", "reason", "hours", "text", "rating", "comment", "cancel_reason", "lead_unit_id",
    }  # fmt: skip
    assert set(COMMAND_ARGUMENTS) == {*COMMAND_INPUTS, "evidence"}


def test_each_body_builds_its_typed_command() -> None:
    dispatch = COMMAND_BODY.validate_python({"command": "dispatch"})
    assert isinstance(dispatch, DispatchBody)
    assert dispatch.to_command(PARTIES, routed_unit_id=7) == states.Dispatch(parties=PARTIES, lead_unit_id=7)
    rate = COMMAND_BODY.validate_python({"command": "rate", "rating": "satisfied", "version": 3})
    assert isinstance(rate, RateBody)
    assert rate.to_command(PARTIES, routed_unit_id=7) == states.Rate(parties=PARTIES, rating=states.Rating.SATISFIED)
    assert isinstance(COMMAND_BODY.validate_python({"command": "close", "cancel_reason": "已协调"}), CloseBody)


def test_errors_name_the_field_in_the_body_not_under_the_command() -> None:
    assert _fields({"command": "reject"}) == [("reason", "missing")]
    assert _fields({"command": "rate", "rating": "great"}) == [("rating", "enum")]
    assert _fields({"command": "request_extension", "reason": "雨天", "hours": lc.MAX_EXTENSION_HOURS + 1}) == [
        ("hours", "less_than_equal")
    ]
    assert _fields({"command": "dispatch", "lead_unit_id": MAX_ID + 1}) == [("lead_unit_id", "less_than_equal")]


def test_a_field_the_command_does_not_take_and_an_unknown_command_are_refused() -> None:
    assert _fields({"command": "accept", "reason": "多余"}) == [("reason", "extra_forbidden")]
    assert _fields({"command": "launch"}) == [("command", "union_tag_invalid")]
    assert _fields({"version": 1}) == [("command", "union_tag_not_found")]


def test_the_api_names_the_field_and_lists_each_command_in_its_schema(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    api.login("kc-centre")
    refused = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "reject", "reason": " "})
    assert refused.status_code == 422, refused.text
    unknown = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "launch"})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.command"]
    extra = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json={"command": "accept", "hours": 3})
    assert [e["field"] for e in extra.json()["errors"]] == ["body.hours"]
    assert command(api, case, "accept")["status"] == "accepted"
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    assert schema["RejectBody"]["required"] == ["command", "reason"]
    assert "reason" not in schema["AcceptBody"]["properties"]
