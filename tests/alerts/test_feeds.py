"""Polling CAP feeds against a real HTTP server on loopback: Atom, RSS, a CAP document itself, and failing feeds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.alerts.helpers import demo_bytes, variant
from tests.conftest import START, free_port
from zhili.alerts.feeds import FeedError, FeedPoller, entry_links, feed_urls
from zhili.alerts.models import AlertRecord, AlertRefusal
from zhili.core.clock import FrozenClock
from zhili.core.settings import Settings
from zhili.worker import build_jobs

ATOM = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>CAP</title>
  <entry><title>one</title><link rel="alternate" type="application/cap+xml" href="/cap/one.xml"/></entry>
  <entry><title>bad</title><link href="/cap/bad.xml"/></entry>
  <entry><title>gone</title><link href="/cap/missing.xml"/></entry>
</feed>"""
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>CAP</title>
  <item><title>two</title><link>/cap/two.xml</link></item>
</channel></rss>"""


class Documents(BaseHTTPRequestHandler):
    """Serves the documents of `pages`; counts the requests; 404 for anything else."""

    pages: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        body = self.pages.get(self.path)
        if self.path == "/broken":
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    Documents.pages = {
        "/atom": ATOM,
        "/rss": RSS,
        "/cap/one.xml": demo_bytes(),
        "/cap/bad.xml": variant(identifier="T-bad", severity="Orange"),
        "/cap/two.xml": variant(identifier="T-two"),
        "/direct.xml": variant(identifier="T-direct"),
    }
    Documents.hits = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Documents)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def identifiers(session: Session) -> set[str]:
    return set(session.scalars(select(AlertRecord.identifier)))


def test_a_round_receives_every_feeds_alerts_and_survives_failing_feeds(
    server: str, sessions: sessionmaker[Session], session: Session, clock: FrozenClock
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/feed"  # nothing listens: refused at once
    urls = [nowhere, f"{server}/broken", f"{server}/atom", f"{server}/rss", f"{server}/direct.xml"]
    poller = FeedPoller(urls, sessions, clock, every_seconds=3600, timeout_seconds=5)
    assert poller.run() == 3
    assert identifiers(session) == {"33082541600000_20260723150000", "T-two", "T-direct"}
    sources = set(session.scalars(select(AlertRecord.source_detail)))
    assert f"{server}/cap/one.xml" in sources
    refused = session.scalars(select(AlertRefusal)).one()
    assert (refused.source, refused.source_detail) == ("feed", f"{server}/cap/bad.xml")
    assert poller.run() == 0  # not due yet: nothing fetched
    assert Documents.hits["/atom"] == 1
    poller.next_round = 0
    assert poller.run() == 0  # due: the feeds are read again, their entries are not
    assert (Documents.hits["/atom"], Documents.hits["/cap/one.xml"], Documents.hits["/cap/bad.xml"]) == (2, 1, 1)
    assert Documents.hits["/cap/missing.xml"] == 2  # a failed entry is tried again next round
    assert session.scalars(select(AlertRefusal)).all() == [refused]


def test_feed_documents_are_read_safely() -> None:
    assert entry_links(RSS, "http://x/feeds/rss") == ["http://x/cap/two.xml"]
    elsewhere = RSS.replace(b"/cap/two.xml", b"http://169.254.169.254/latest/meta-data/")
    assert entry_links(elsewhere, "http://x/feeds/rss") == [], "a feed never sends the worker off its own site"
    assert entry_links(demo_bytes(), "http://x/") is None
    with pytest.raises(FeedError):
        entry_links(b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>', "http://x/")
    with pytest.raises(FeedError, match="neither Atom, RSS nor CAP"):
        entry_links(b"<html/>", "http://x/")


def test_the_worker_polls_the_configured_feeds_only() -> None:
    assert feed_urls(" http://a/feed , https://b/cap.xml,") == ["http://a/feed", "https://b/cap.xml"]
    with pytest.raises(ValueError, match="not an http"):
        feed_urls("file:///etc/passwd")
    sessions: sessionmaker[Session] = sessionmaker()
    clock = FrozenClock(START)
    without = [job.name for job in build_jobs(Settings(), sessions, clock)]
    with_feeds = [job.name for job in build_jobs(Settings(cap_feeds="http://127.0.0.1:9/feed"), sessions, clock)]
    assert "cap-feeds" not in without
    assert with_feeds == [*without, "cap-feeds"]
