"""Some members of an enum as a field (`core.params.OneOf`): refused and described as their values, read as members."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from zhili.core.params import OneOf


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


Personal = TypeAdapter(Annotated[Channel, OneOf(Channel.EMAIL, Channel.SMS)])


def test_a_value_among_the_members_is_read_as_its_member() -> None:
    assert Personal.validate_json('"sms"') is Channel.SMS
    assert Personal.validate_python("email") is Channel.EMAIL
    assert Personal.dump_json(Channel.EMAIL) == b'"email"'


@pytest.mark.parametrize("value", ["webhook", "inbox", "EMAIL", 1])
def test_a_member_left_out_is_refused_in_the_words_of_a_literal(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Personal.validate_python(value)
    (error,) = refused.value.errors()
    assert (error["type"], error["msg"]) == ("literal_error", "Input should be 'email' or 'sms'")


def test_the_schema_lists_only_the_members_values() -> None:
    assert Personal.json_schema() == {"enum": ["email", "sms"], "type": "string"}
