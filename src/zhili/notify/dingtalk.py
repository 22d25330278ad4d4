r"""The DingTalk custom robot: the signed URL and the text and markdown message bodies.

DingTalk's "加签" security setting: the robot URL gets `timestamp` (milliseconds) and `sign`,
the URL-encoded base64 of HMAC-SHA256 keyed with the secret over "{timestamp}\n{secret}".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

SEVERITY_MARK = {"info": "通知", "yellow": "黄色提醒", "red": "红色警示"}


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` value for this timestamp, already URL-encoded as DingTalk documents it."""
    material = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), material, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The robot URL with `timestamp` and `sign` added when a secret is set."""
    if not secret:
        return url
    parts = urlsplit(url)
    extra = urlencode({"timestamp": timestamp_ms}) + "&sign=" + sign(secret, timestamp_ms)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def markdown_message(*, title: str, body: str, severity: str, url: str | None, message_key: str) -> dict[str, Any]:
    """A `markdown` robot message: a heading with the severity, the text, a link, the message key."""
    lines = [f"#### 【{SEVERITY_MARK.get(severity, severity)}】{title}", "", body]
    if url:
        lines += ["", f"[查看详情]({url})"]
    lines += ["", f"> {message_key}"]
    return {"msgtype": "markdown", "markdown": {"title": title, "text": "\n".join(lines)}}


def text_message(*, title: str, body: str, severity: str, url: str | None, message_key: str) -> dict[str, Any]:
    """A plain `text` robot message."""
    parts = [f"【{SEVERITY_MARK.get(severity, severity)}】{title}", body]
    if url:
        parts.append(url)
    parts.append(f"({message_key})")
    return {"msgtype": "text", "text": {"content": "\n".join(parts)}}
