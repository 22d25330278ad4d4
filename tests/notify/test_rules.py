"""Pure rules of notifications: quiet hours, back-off, the DingTalk signature and message bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.notify import dingtalk
from zhili.notify.backoff import RetryPolicy
from zhili.notify.kinds import Severity, thresholds_met_by
from zhili.notify.quiet import parse_hhmm, quiet_until
from zhili.notify.sms import masked

# 15:30 in Quzhou (UTC+8).
AFTERNOON = datetime(2026, 7, 23, 7, 30, tzinfo=UTC)


def test_inside_a_daytime_window_it_is_quiet_until_the_window_ends() -> None:
    assert quiet_until(AFTERNOON, "15:00", "16:00") == datetime(2026, 7, 23, 8, 0, tzinfo=UTC)
    assert quiet_until(AFTERNOON, "16:00", "17:00") is None
    assert quiet_until(AFTERNOON, "14:00", "15:30") is None


def test_a_window_past_midnight_ends_the_next_morning() -> None:
    late = datetime(2026, 7, 23, 15, 0, tzinfo=UTC)  # 23:00 local
    early = datetime(2026, 7, 23, 21, 0, tzinfo=UTC)  # 05:00 local on the 24th
    morning = datetime(2026, 7, 23, 23, 0, tzinfo=UTC)  # 07:00 local on the 24th
    assert quiet_until(late, "22:00", "07:00") == morning
    assert quiet_until(early, "22:00", "07:00") == morning
    assert quiet_until(AFTERNOON, "22:00", "07:00") is None


def test_an_empty_window_is_never_quiet() -> None:
    assert quiet_until(AFTERNOON, "15:00", "15:00") is None


@given(st.datetimes(timezones=st.just(UTC)), st.times(), st.times())
def test_quiet_ends_within_a_day_and_after_now(now: datetime, start: object, end: object) -> None:
    until = quiet_until(now, f"{start:%H:%M}", f"{end:%H:%M}")
    if until is not None:
        assert now < until <= now + timedelta(days=1)


@pytest.mark.parametrize("bad", ["24:00", "7:00", "07:60", "", "07:00:00"])
def test_times_of_day_are_hh_mm(bad: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(bad)


def test_back_off_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=10), cap=timedelta(seconds=60))
    assert [policy.delay(n, rand=lambda: 1.0).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    assert [policy.delay(n, rand=lambda: 0.0).total_seconds() for n in range(1, 4)] == [5, 10, 20]
    assert policy.delay(10_000).total_seconds() <= 60
    assert policy.is_last(5)
    assert not policy.is_last(4)


def test_severity_thresholds() -> None:
    assert thresholds_met_by(Severity.INFO) == ("info",)
    assert thresholds_met_by(Severity.RED) == ("info", "yellow", "red")


# Computed independently with `printf '1700000000000\nSECexample0123456789' |
# openssl dgst -sha256 -hmac SECexample0123456789 -binary | base64`.
KNOWN_SIGN = "figG6qqCA/lRh0hsGCW2zNtNV5znkAFut5BI0zKhqnQ="


def test_dingtalk_sign_matches_a_known_vector() -> None:
    assert (
        dingtalk.sign("SECexample0123456789", 1_700_000_000_000) == "figG6qqCA%2FlRh0hsGCW2zNtNV5znkAFut5BI0zKhqnQ%3D"
    )
    assert unquote_plus(dingtalk.sign("SECexample0123456789", 1_700_000_000_000)) == KNOWN_SIGN


def test_dingtalk_signed_url_verifies_as_dingtalk_would() -> None:
    secret = "SEC" + "a1" * 30
    url = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, 1_700_000_000_123)
    query = parse_qs(urlsplit(url).query)
    assert query["access_token"] == ["abc"]
    timestamp = query["timestamp"][0]
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"][0]) == expected
    assert dingtalk.signed_url("https://x.test/robot", None, 1) == "https://x.test/robot"


def test_dingtalk_bodies() -> None:
    markdown = dingtalk.markdown_message(
        title="督办", body="请尽快处置", severity="red", url="https://z/1", message_key="k"
    )
    assert markdown["msgtype"] == "markdown"
    assert markdown["markdown"]["title"] == "督办"
    assert "[查看详情](https://z/1)" in markdown["markdown"]["text"]
    text = dingtalk.text_message(title="催办", body="b", severity="yellow", url=None, message_key="k")
    assert text == {"msgtype": "text", "text": {"content": "【黄色提醒】催办\nb\n(k)"}}


def test_phones_are_masked_in_logs() -> None:
    assert masked("13900000001") == "139****0001"
    assert masked("123") == "****"
