"""Secrets inside URLs and texts, masked for pages and logs: a robot's `access_token=…9f3a`, never the whole value.

A DingTalk robot's URL carries its credential as a query parameter; so may any webhook receiver's
(`token`, `key`, `secret`, `sign` …). Pages, the API, the audit record, delivery errors and log lines
show such a value by its last four characters only; the stored URL stays whole, as sending needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

# Query parameter names whose value is a credential (compared without case).
SECRET_PARAMS = frozenset(
    {"access_token", "token", "key", "secret", "sign", "signature", "api_key", "apikey", "password", "auth"}
)
SHOWN_TAIL = 4  # characters of a secret left visible, to tell two robots apart
# A secret parameter anywhere in a text (an error message, a log line): name=value up to the next separator.
_IN_TEXT = re.compile(
    r"(?P<name>\b(?:" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r"))=(?P<value>[^&\s'\"<>]+)",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(?P<scheme>\bhttps?://)[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)


def masked_value(value: str) -> str:
    """A secret by its last characters only: `…9f3a` (a short one wholly hidden: `…`)."""
    return "…" + value[-SHOWN_TAIL:] if len(value) > 2 * SHOWN_TAIL else "…"


def masked_url(url: str) -> str:
    """The URL with each secret query value masked and any user:password dropped; other parameters as they are."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{quote(name, safe='')}={masked_value(value) if name.lower() in SECRET_PARAMS else quote(value, safe='')}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def masked_text(text: str) -> str:
    """A free text (an error, a log message) with every secret parameter and URL password in it masked."""
    text = _USERINFO.sub(lambda m: m.group("scheme"), text)
    return _IN_TEXT.sub(lambda m: f"{m.group('name')}={masked_value(m.group('value'))}", text)


def mask_log_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """A structlog processor: every string value of a log line with its secrets masked."""
    for name, value in event.items():
        if isinstance(value, str) and ("=" in value or "@" in value):
            event[name] = masked_text(value)
    return event
