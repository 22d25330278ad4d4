"""A notice's words as message keys and parameters: rendered in the reader's language, else the stored text.

A notice may state its title as `Words` (a key of the message catalog, `web/messages/*.toml`, with
named parameters) and its body as parts, each `Words` or verbatim text (what a person typed: a reason,
an instruction), one line each. The Chinese rendering is the stored title and body, which e-mail, SMS
and webhooks send; the keys and parameters are stored beside it as JSON (`title_key`, `title_params`,
`body_parts`) and the inbox renders them in the reader's language.

A parameter is text or a number (shown as it is in both languages), a `Name` (a name or label that
has an English form: a matter, a campaign, an enum's label) or a `When` (a time, in local time as the
language writes it). A key unknown to the catalog, parameters that do not fit it or none at all give
the stored text, so nothing already sent is lost. Hand-off titles stored before `Name` existed carry
`{matter}` and `{matter_en}` as two plain parameters; they still render.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from zhili.core.auth import Actor
from zhili.core.local_time import local_short, to_local
from zhili.web.i18n import messages, translate

WhenStyle = Literal["short", "month_day"]


@dataclass(frozen=True, slots=True)
class Name:
    """A name or label with an English form (`en` empty: the Chinese in both languages)."""

    zh: str
    en: str = ""

    @classmethod
    def label(cls, key: str) -> Name:
        """A catalog label as a name: its words now, kept with the notice if the catalog changes later."""
        return cls(translate(key, "zh"), translate(key, "en"))

    @classmethod
    def of_actor(cls, actor: Actor) -> Name:
        """Who acted: a person by their name; the system, a channel or the clock by its label (`actor.<name>`).

        The Chinese is the actor's own display name (12345 热线), the English the catalog's where it has one.
        """
        if actor.person_id is not None:
            return cls(actor.display_name)
        key = f"actor.{actor.username.split(':', 1)[0]}"
        english = translate(key, "en")
        return cls(actor.display_name, "" if english == key else english)


@dataclass(frozen=True, slots=True)
class When:
    """A time: `short` as lists show it (the year only when not the notice's), `month_day` as `12-05 17:30`."""

    at: datetime
    style: WhenStyle = "short"


Param = str | int | Name | When


@dataclass(frozen=True, slots=True)
class Words:
    """A message key of the catalog and its named parameters."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def stored_params(self) -> dict[str, object]:
        """The parameters as stored (JSON values)."""
        return {name: _encoded(value) for name, value in self.params.items()}

    def said(self, language: str, now: datetime) -> str:
        """These words in `language` (`now`: when the notice is written); an error when the catalog does not fit."""
        return _said(self.key, self.stored_params(), language, now)


Part = Words | str
"""One line of a notice's body: words of the catalog, or verbatim text."""
StoredPart = str | list[object]
"""A body part as stored: verbatim text, or `[key, parameters]`."""


def stored_title(title: Words, now: datetime) -> tuple[str, dict[str, object]]:
    """A title as the notice stores it: its Chinese, and its parameters (JSON values); an error if it does not fit."""
    return _chinese(title, now), title.stored_params()


def stored_body(parts: Sequence[Part], now: datetime) -> tuple[str, list[StoredPart]]:
    """A body as stored: its Chinese (a line per part) and its parts (JSON values); an error if one does not fit."""
    stored: list[StoredPart] = []
    lines: list[str] = []
    for part in parts:
        if isinstance(part, str):
            stored.append(part)
            lines.append(part)
        else:
            stored.append([part.key, part.stored_params()])
            lines.append(_chinese(part, now))
    return "\n".join(lines), stored


def _chinese(words: Words, now: datetime) -> str:
    """The words in Chinese, the text every channel sends; an error when the catalog does not fit.

    From the live parameters: a notice is worded on the write path, with no round trip through the stored form.
    """
    template = _parsed(translate(words.key, "zh")) if words.key in messages() else None
    params = words.params
    if template is None or not template.fields <= params.keys():
        raise ValueError(f"notice words {words.key!r} do not fit the message catalog")
    return "".join(text + (_in_chinese(params[name], now) if name else "") for text, name in template.parts)


def _in_chinese(value: Param, now: datetime) -> str:
    if isinstance(value, Name):
        return value.zh
    if isinstance(value, When):
        return _time(value.at, value.style, "zh", now)
    return str(value)


def _said(key: str, params: Mapping[str, object], language: str, now: datetime) -> str:
    found = joined(rendered(key, params, language, now))
    if not found:
        raise ValueError(f"notice words {key!r} do not fit the message catalog")
    return found


def localized_title(title: str, key: str | None, params: str | None, language: str, now: datetime | None = None) -> str:
    """The title in `language` from `key` and `params` (JSON text), or the stored `title`."""
    found = title_pieces(key, params, language, now)
    return joined(found) if found else title


def localized_body(body: str, parts: str | None, language: str, now: datetime | None = None) -> str:
    """The body in `language` from its stored parts (JSON text), or the stored `body` when any part does not fit."""
    found = body_pieces(parts, language, now)
    return joined(found) if found is not None else body


Piece = tuple[str, bool]
"""A piece of a rendered notice: its text, and whether it is Chinese as written (a name without English, what
someone typed), which a page marks as Chinese text; the rest is in the reader's language."""
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def title_pieces(key: str | None, params: str | None, language: str, now: datetime | None = None) -> list[Piece]:
    """The title from `key` and `params` (JSON text) in `language`, as pieces; empty when they do not fit."""
    if not key:
        return []
    values = _loaded(params) if params else {}
    return rendered(key, values, language, now) if isinstance(values, dict) else []


def body_pieces(parts: str | None, language: str, now: datetime | None = None) -> list[Piece] | None:
    """The body from its stored parts (JSON text) in `language`, as pieces, lines apart; None when any does not fit."""
    found = _loaded(parts) if parts else None
    if not isinstance(found, list):
        return None
    pieces: list[Piece] = []
    for n, part in enumerate(found):
        if n:
            pieces.append(("\n", False))
        if isinstance(part, str):
            pieces.append((part, _is_chinese(part)))
            continue
        if not (isinstance(part, list) and len(part) == 2 and isinstance(part[0], str) and isinstance(part[1], dict)):  # noqa: PLR2004 - [key, params]
            return None
        line = rendered(part[0], part[1], language, now)
        if not line:
            return None
        pieces.extend(line)
    return pieces


def joined(pieces: Sequence[Piece]) -> str:
    """The text of some pieces."""
    return "".join(text for text, _as_written in pieces)


def rendered(key: str, params: Mapping[str, object], language: str, now: datetime | None) -> list[Piece]:
    """The message `key` in `language` with its stored parameters, as pieces; empty when they do not fit."""
    if key not in messages():
        return []
    try:
        values = {name: _piece(value, language, now) for name, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return []
    return _filled(translate(key, language), values)


def fill(template: str, values: Mapping[str, object]) -> str:
    """The template with its `{name}` fields filled; empty when a field is missing or the template is malformed."""
    return joined(_filled(template, {name: (str(value), False) for name, value in values.items()}))


def _filled(template: str, values: Mapping[str, Piece]) -> list[Piece]:
    parsed = _parsed(template)
    if parsed is None or not parsed.fields <= values.keys():
        return []
    pieces: list[Piece] = []
    for text, name in parsed.parts:
        if text:
            pieces.append((text, False))
        if name:
            pieces.append(values[name])
    return pieces


@dataclass(frozen=True, slots=True)
class _Template:
    parts: tuple[tuple[str, str], ...]  # literal text, then the field after it ("" for none)
    fields: frozenset[str]


@lru_cache(maxsize=1024)
def _parsed(template: str) -> _Template | None:
    """A template's literal text and named fields in order (parsed once: a notice is worded on the write path).

    None when it is malformed or has a field that is not a plain name (`{0}`, `{a.b}`, `{a!r}`, `{a:>3}`).
    """
    try:
        parsed = tuple(string.Formatter().parse(template))
    except ValueError:
        return None
    if any(name is not None and (not name.isidentifier() or spec or conv) for _t, name, spec, conv in parsed):
        return None
    parts = tuple((text, name or "") for text, name, _spec, _conv in parsed)
    return _Template(parts, frozenset(name for _text, name in parts if name))


def _encoded(value: Param) -> object:
    if isinstance(value, Name):
        return {"zh": value.zh, "en": value.en} if value.en and value.en != value.zh else value.zh
    if isinstance(value, When):
        return {"at": value.at.isoformat(), "style": value.style}
    return value


def _piece(value: object, language: str, now: datetime | None) -> Piece:
    """A stored parameter shown in `language`; text stored plain (not a name with English) is as written."""
    shown = _shown(value, language, now)
    return shown, isinstance(value, str) and _is_chinese(shown)


def _is_chinese(text: str) -> bool:
    return CHINESE.search(text) is not None


def _shown(value: object, language: str, now: datetime | None) -> str:
    """A stored parameter in `language`: a name's English form, a time in local time, else as it is."""
    if isinstance(value, dict):
        if "at" in value:
            return _time(datetime.fromisoformat(str(value["at"])), str(value.get("style", "short")), language, now)
        return str(value.get("en") or value["zh"]) if language == "en" else str(value["zh"])
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(f"not a notice parameter: {value!r}")


def _time(at: datetime, style: str, language: str, now: datetime | None) -> str:
    if style == "month_day":
        return local_short(at, None, language) if language == "en" else f"{to_local(at):%m-%d %H:%M}"
    return local_short(at, now, language)


def _loaded(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
