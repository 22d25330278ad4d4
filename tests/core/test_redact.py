"""Secrets in URLs and texts masked for pages and logs: the last four characters only, other parameters plain."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from zhili.core.redact import mask_log_event, masked_text, masked_url
from zhili.core.request_context import configure_logging
from zhili.notify.channels import Envelope, Target
from zhili.notify.kinds import WebhookFormat

TOKEN = "8f2e9c41d7b0a6e3f5c2d1b4a9e8f7c6d5b4a3e2f1c0d9b8a7e6f5c4d3b2a1f0"
ROBOT = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"


def test_a_robot_url_shows_its_token_by_the_last_four_characters() -> None:
    assert masked_url(ROBOT) == "https://oapi.dingtalk.com/robot/send?access_token=…a1f0"
    assert TOKEN not in masked_url(ROBOT)


def test_every_secret_parameter_is_masked_and_the_others_stay_readable() -> None:
    url = "https://hooks.example.com/in?team=ops&Token=abcdefghijkl&sign=0123456789abcdef&timestamp=1700000000000"
    assert masked_url(url) == "https://hooks.example.com/in?team=ops&Token=…ijkl&sign=…cdef&timestamp=1700000000000"
    assert masked_url("https://user:pa55word@example.com/hook?key=k") == "https://example.com/hook?key=…"
    assert masked_url("https://example.com/hook") == "https://example.com/hook"


def test_a_secret_quoted_inside_an_error_is_masked() -> None:
    error = f"ConnectError: cannot reach {ROBOT}&timestamp=1&sign=abcdefghijklmnop (https://u:p@x.example/)"
    shown = masked_text(error)
    assert TOKEN not in shown
    assert "abcdefghijklmnop" not in shown
    assert "access_token=…a1f0&timestamp=1&sign=…mnop" in shown
    assert "u:p@" not in shown


def test_a_failing_webhooks_route_is_named_without_its_token() -> None:
    envelope = Envelope(
        outbox_id=1,
        attempt=1,
        message_key="k",
        channel="webhook",
        destination="1",
        person_id=None,
        target=Target(ROBOT, WebhookFormat.DINGTALK_MARKDOWN, None),
        topic="case.urged",
        severity="info",
        title="t",
        body="b",
        link=None,
        subject=None,
        created_at=datetime(2026, 12, 5, tzinfo=UTC),
    )
    assert envelope.route == f"webhook:{ROBOT}"  # the key that groups a receiver's messages stays whole
    assert envelope.route_shown == "webhook:https://oapi.dingtalk.com/robot/send?access_token=…a1f0"


def test_log_lines_never_carry_a_secret() -> None:
    assert mask_log_event(None, "info", {"event": "x", "first_error": f"{ROBOT} failed", "n": 3}) == {
        "event": "x",
        "first_error": "https://oapi.dingtalk.com/robot/send?access_token=…a1f0 failed",
        "n": 3,
    }
    before = structlog.get_config()
    try:
        for json_output in (True, False):
            configure_logging(json_output=json_output)
            processors = structlog.get_config()["processors"]
            assert processors.index(mask_log_event) == len(processors) - 2  # just before the renderer
    finally:
        structlog.configure(**before)
