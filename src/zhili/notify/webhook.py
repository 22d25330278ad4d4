"""The webhook channel: POST the message as Zhili JSON or as a DingTalk robot message, over httpx.

Every request carries the message key (`Idempotency-Key` and `X-Zhili-Message-Key` headers and
`message_key` in generic JSON), so a receiver that sees a message twice can drop the repeat.
A generic endpoint with a secret also gets `X-Zhili-Signature: sha256=<hex HMAC of the body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from zhili.core.redact import masked_text
from zhili.notify import dingtalk
from zhili.notify.channels import Envelope, SendResult, Target, absolute
from zhili.notify.kinds import WebhookFormat

# 408 and 425 and 429 say "later", every 5xx may pass; any other 4xx will not get better by retrying.
RETRYABLE_4XX = frozenset({408, 425, 429})
USER_AGENT = "zhili-notify/0.1"


def _wall_clock_ms() -> int:
    # DingTalk checks the timestamp against its own clock: the real time, not the injected one.
    return int(time.time() * 1000)


class WebhookChannel:
    """Sends webhook messages; one pooled HTTP client shared by the worker's threads."""

    name = "webhook"

    def __init__(
        self,
        *,
        public_url: str,
        timeout_seconds: float,
        max_connections: int = 32,
        now_ms: Callable[[], int] = _wall_clock_ms,
    ) -> None:
        self.public_url = public_url
        self.now_ms = now_ms
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self.client = httpx.Client(timeout=timeout_seconds, limits=limits, follow_redirects=False)

    def send(self, envelope: Envelope) -> SendResult:
        """POST one message; the HTTP status (and DingTalk's errcode) decide the outcome."""
        if envelope.target is None:
            return SendResult.failed("the webhook endpoint was deleted", is_permanent=True)
        url, body, headers = self.request_for(envelope, envelope.target)
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            return SendResult.failed(f"timed out: {type(exc).__name__}")
        except httpx.HTTPError as exc:  # its text may quote the URL: the delivery log shows the token masked
            return SendResult.failed(masked_text(f"{type(exc).__name__}: {exc}"))
        return _judge(response, envelope.target)

    def request_for(self, envelope: Envelope, target: Target) -> tuple[str, bytes, dict[str, str]]:
        """The URL, body and headers of the POST for one message."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": envelope.message_key,
            "X-Zhili-Message-Key": envelope.message_key,
            "X-Zhili-Attempt": str(envelope.attempt),
        }
        if target.format == WebhookFormat.GENERIC:
            body = _dumps(envelope.as_json(self.public_url))
            if target.secret:
                digest = hmac.new(target.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
                headers["X-Zhili-Signature"] = f"sha256={digest}"
            return target.url, body, headers
        build = dingtalk.text_message if target.format == WebhookFormat.DINGTALK_TEXT else dingtalk.markdown_message
        message = build(
            title=envelope.title,
            body=envelope.body,
            severity=envelope.severity,
            url=absolute(self.public_url, envelope.link),
            message_key=envelope.message_key,
        )
        return dingtalk.signed_url(target.url, target.secret, self.now_ms()), _dumps(message), headers

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.close()


def _dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _judge(response: httpx.Response, target: Target) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:  # noqa: PLR2004 - the 2xx range
        if target.format != WebhookFormat.GENERIC:
            return _judge_dingtalk(response)
        return SendResult.delivered(status)
    error = f"HTTP {status}: {response.text[:200]}"
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX  # noqa: PLR2004 - the 4xx range
    return SendResult.failed(error, http_status=status, is_permanent=permanent)


def _judge_dingtalk(response: httpx.Response) -> SendResult:
    # DingTalk answers 200 even when it refuses; the verdict is `errcode` (0: accepted).
    try:
        answer = response.json()
    except ValueError:
        return SendResult.failed(f"DingTalk answered without JSON: {response.text[:200]}", http_status=200)
    if isinstance(answer, dict) and answer.get("errcode", 0) == 0:
        return SendResult.delivered(response.status_code)
    return SendResult.failed(f"DingTalk refused: {answer}", http_status=response.status_code)
