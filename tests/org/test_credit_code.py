"""The unified social credit code: composed codes validate, any changed character does not."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.org import credit_code
from zhili.org.credit_code import ALPHABET, InvalidCreditCodeError, compose, is_valid, normalise

DIGITS = "0123456789"
parts = st.tuples(
    st.sampled_from("159"),
    st.sampled_from("123"),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(DIGITS + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)


@given(parts)
def test_a_composed_code_always_validates(part: tuple[str, str, str, str]) -> None:
    code = compose(*part)
    assert len(code) == credit_code.LENGTH
    assert is_valid(code)
    assert normalise(f"  {code.lower()} ") == code


@given(parts, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_a_changed_character_never_validates(part: tuple[str, str, str, str], position: int, char: str) -> None:
    code = compose(*part)
    if code[position] == char:
        return
    changed = code[:position] + char + code[position + 1 :]
    assert not is_valid(changed)


def test_a_known_code_validates() -> None:
    assert is_valid(compose("9", "1", "330802", "MA2DLP4X"))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9133080", "18"),
        ("91330802MA2DLP4X0O", "O"),
        ("9133X802MA2DLP4X00", "division"),
    ],
)
def test_a_bad_code_says_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidCreditCodeError, match=reason):
        normalise(raw)


def test_a_wrong_check_character_names_the_right_one() -> None:
    code = compose("9", "1", "330802", "MA2DLP4X")
    wrong = ALPHABET[(ALPHABET.index(code[17]) + 1) % len(ALPHABET)]
    with pytest.raises(InvalidCreditCodeError, match=f"should be {code[17]}"):
        normalise(code[:17] + wrong)


def test_the_reason_comes_in_each_language_and_survives_a_copy() -> None:
    with pytest.raises(InvalidCreditCodeError) as refused:
        normalise("123")
    reason = refused.value
    assert reason.chinese == "统一社会信用代码应为 18 位，这里是 3 位"
    assert reason.english == "must be 18 characters, got 3"
    assert str(reason) == f"{reason.chinese} / {reason.english}"  # the CLI and the feeds show both
    copied = pickle.loads(pickle.dumps(reason))  # noqa: S301 - our own bytes
    assert (copied.chinese, copied.english) == (reason.chinese, reason.english)
