r"""One policy for free text people type: which characters a name, a description or an attribute may hold.

Refused everywhere, with a reason naming the character:
- C0 controls U+0000–U+001F (NUL, ESC, ...), DEL U+007F and C1 controls U+0080–U+009F, except line
  feed and tab in multi-line text (a carriage return there is read as a line break: `\r\n` → `\n`);
- every Unicode `Bidi_Control` character: the embeddings and overrides U+202A–U+202E, the isolates
  U+2066–U+2069 and the marks U+200E, U+200F, U+061C. Overrides and isolates reorder what a reader
  sees (a file name or an amount shown backwards, "Trojan Source"); the marks are refused too because
  Chinese and English text never needs them, so one Unicode property is the whole rule.

`Line` is one line (a name, a title, a place); `Text` may hold line breaks (a description, minutes).
Both strip surrounding blanks and refuse an empty value. `refusal` is the same rule for values that
are not pydantic fields (matter attributes).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\t")
ERROR_TYPE = "text_characters"
C1_LAST = 0x9F
DEL = 0x7F
SPACE = 0x20


def refusal(text: str, *, multiline: bool) -> str | None:
    """Why this text is refused (the first bad character, by code point), or None when it is clean."""
    allowed = LINE_BREAKS if multiline else frozenset()
    for char in text:
        point = ord(char)
        if (point < SPACE or DEL <= point <= C1_LAST) and char not in allowed:
            return f"contains the control character U+{point:04X}, which is not allowed"
        if char in BIDI_CONTROLS:
            return f"contains the bidirectional control character U+{point:04X}, which is not allowed"
    return None


def _line(value: str) -> str:
    reason = refusal(value, multiline=False)
    if reason is not None:
        raise PydanticCustomError(ERROR_TYPE, reason)
    return value


def _text(value: str) -> str:
    reason = refusal(value, multiline=True)
    if reason is not None:
        raise PydanticCustomError(ERROR_TYPE, reason)
    return value


def _line_breaks(value: Any) -> Any:
    """A browser's textarea sends CRLF; store one kind of line break."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def is_text_policy(metadata: object) -> bool:
    """Whether a field's metadata item is this policy (for the test that walks every request model)."""
    return getattr(metadata, "func", None) in {_line, _text}


# One line a person types: blanks around it removed, something left, no control or bidi character.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_line)]
# Text that may run over several lines: the same, with line feeds and tabs allowed. The constraints come
# before the line-break validator: placed after it, a field's own `Field(max_length=…)` dropped the
# `min_length`, and a text of blanks was taken as "" (a before-validator wraps whatever precedes it).
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), BeforeValidator(_line_breaks), AfterValidator(_text)
]
# Optional text that may be left empty (a dispatch message): the same rule, an empty value kept.
BlankOrText = Annotated[
    str, StringConstraints(strip_whitespace=True), BeforeValidator(_line_breaks), AfterValidator(_text)
]
