"""A notification's title in the reader's language: its message key and parameters, else the stored title.

A notice may carry its title as a key of the message catalog (`web/messages/*.toml`) with named
parameters (`{matter}`, `{matter_en}`, `{place}` …), stored as JSON beside the Chinese title. The inbox
renders the key in the page's language; a key unknown to the catalog, parameters that do not fit it or
none at all give the stored title, so nothing already sent is lost.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping

from zhili.web.i18n import messages, translate


def localized_title(title: str, key: str | None, params: str | None, language: str) -> str:
    """The title in `language` from `key` and `params` (JSON text), or the stored `title`."""
    if not key or key not in messages():
        return title
    try:
        values = json.loads(params) if params else {}
    except ValueError:
        return title
    if not isinstance(values, dict):
        return title
    return fill(translate(key, language), values) or title


def fill(template: str, values: Mapping[str, object]) -> str:
    """The template with its `{name}` fields filled; empty when a field is missing or the template is malformed."""
    try:
        names = {field for _text, field, _spec, _conv in string.Formatter().parse(template) if field is not None}
        if not names <= values.keys():
            return ""
        return template.format_map({name: str(values[name]) for name in names})
    except (ValueError, IndexError, KeyError):
        return ""
