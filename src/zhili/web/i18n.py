"""The interface in Chinese (default) and English: one catalog of messages, chosen per request.

The messages live in data files, one per area (`web/messages/<area>.toml`, each line
`"key" = ["中文", "English"]`), so a page's words sit together and a key defined twice is an error.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "zhili_lang"


class CatalogError(ValueError):
    """A message file that is malformed or defines a key another file defines."""


@cache
def messages() -> dict[str, tuple[str, str]]:
    """Every message of every area, read once: key → (Chinese, English)."""
    return load_folder(resources.files("zhili.web").joinpath("messages"))


def load_folder(folder: Traversable) -> dict[str, tuple[str, str]]:
    """The messages of every `.toml` file in `folder`, checked."""
    found: dict[str, tuple[str, str]] = {}
    where: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        for key, pair in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            is_pair = isinstance(pair, list) and len(pair) == len(LANGUAGES)
            if not (is_pair and all(isinstance(p, str) and p for p in pair)):
                raise CatalogError(f"{entry.name}: {key} must be [Chinese, English]")
            if key in found:
                raise CatalogError(f"{entry.name}: {key} is already defined in {where[key]}")
            found[key], where[key] = (pair[0], pair[1]), entry.name
    return found


def translate(key: str, language: str) -> str:
    """The message for `key` in `language`; a missing key shows itself so it is noticed."""
    pair = messages().get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]


def request_language(request: Request, default: str) -> str:
    """`?lang=` wins, then the language cookie, then the configured default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGUAGES else default
