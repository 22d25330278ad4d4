"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, two check characters.

Layout: the registration authority (1), the kind of organisation (1), the division code of the
registering office (6), the organisation code (9, itself ending in a GB 11714 check character) and the
code's own check character. The alphabet is the 31 characters without I, O, S, V and Z. Pure.
"""

from __future__ import annotations

from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH: Final = 18
_VALUE: Final = {char: value for value, char in enumerate(ALPHABET)}
_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class InvalidCreditCodeError(ValueError):
    """Not a unified social credit code; the message says why, in words a clerk can act on (Chinese / English)."""

    def __init__(self, chinese: str, english: str) -> None:
        super().__init__(chinese, english)  # both as args: the error copies and pickles
        self.chinese = chinese
        self.english = english

    def __str__(self) -> str:
        return f"{self.chinese} / {self.english}"


def check_character(first17: str) -> str:
    """The 18th character that the first 17 call for."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check(first8: str) -> str:
    """The 9th character of an organisation code (GB 11714) that its first 8 call for."""
    total = sum(_ORG_ALPHABET.index(char) * weight for char, weight in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def compose(authority: str, kind: str, division: str, organisation8: str) -> str:
    """A complete code from its parts, both check characters computed (the generators use this)."""
    first17 = f"{authority}{kind}{division}{organisation8}{organisation_check(organisation8)}"
    return first17 + check_character(first17)


def normalise(raw: str) -> str:
    """`raw` as a valid code (trimmed, upper case), or `InvalidCreditCodeError` saying what is wrong."""
    code = raw.strip().upper()
    if len(code) != LENGTH:
        raise InvalidCreditCodeError(
            f"统一社会信用代码应为 18 位，这里是 {len(code)} 位", f"must be 18 characters, got {len(code)}"
        )
    bad = sorted({char for char in code if char not in _VALUE})
    if bad:
        raise InvalidCreditCodeError(f"含有不允许的字符 {''.join(bad)}", f"characters not allowed: {''.join(bad)}")
    if not code[2:8].isdigit():
        raise InvalidCreditCodeError("第 3–8 位应为登记机关的行政区划代码", "characters 3-8 must be a division code")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCodeError(
            f"校验位应为 {expected}，这里是 {code[17]}", f"the check character should be {expected}, not {code[17]}"
        )
    return code


def is_valid(raw: str) -> bool:
    """Whether `raw` is a valid code."""
    try:
        normalise(raw)
    except InvalidCreditCodeError:
        return False
    return True
