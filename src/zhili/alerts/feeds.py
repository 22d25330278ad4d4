"""Polling CAP feeds (`ZHILI_CAP_FEEDS`): each round fetches every feed and receives the alerts it links to.

A feed is an Atom or RSS document whose entries link to CAP documents, or a CAP document itself. A
feed that fails (unreachable, slow, not XML) is logged and tried again next round; the others go on.
Entries already received in this process are not fetched again; across processes and restarts the
(sender, identifier) de-duplication makes a second receipt harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeTree
import httpx
import structlog
from defusedxml import DefusedXmlException
from sqlalchemy.orm import Session, sessionmaker

from zhili.alerts import intake
from zhili.alerts.cap import MAX_BYTES, NAMESPACE
from zhili.core.auth import system_actor
from zhili.core.clock import Clock
from zhili.core.errors import DomainError

log = structlog.get_logger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
MAX_ENTRIES = 200
REMEMBERED = 10_000


class FeedError(Exception):
    """A feed that could not be read this round."""


def feed_urls(setting: str) -> list[str]:
    """The comma-separated `ZHILI_CAP_FEEDS` as URLs (http and https only; others are refused)."""
    urls = [u.strip() for u in setting.split(",") if u.strip()]
    for url in urls:
        if urlsplit(url).scheme not in {"http", "https"}:
            message = f"ZHILI_CAP_FEEDS: {url!r} is not an http(s) URL"
            raise ValueError(message)
    return urls


def entry_links(data: bytes, base: str) -> list[str] | None:
    """The CAP documents an Atom or RSS feed links to (absolute URLs); None when `data` is a CAP alert itself."""
    try:
        root: Element = SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise FeedError(f"not a feed: {exc}") from exc
    if root.tag == f"{{{NAMESPACE}}}alert":
        return None
    if root.tag == f"{ATOM}feed":
        links = [_atom_link(entry) for entry in root.iter(f"{ATOM}entry")]
    elif root.tag == "rss" or root.tag.endswith("RDF"):
        links = [_rss_link(item) for item in root.iter() if item.tag.rpartition("}")[2] == "item"]
    else:
        raise FeedError(f"neither Atom, RSS nor CAP: <{root.tag}>")
    found = [urljoin(base, link) for link in dict.fromkeys(link for link in links if link)]
    # Only documents on the feed's own site: a feed never makes the worker fetch an address of its choosing
    # (an internal service's, say), whose answer a refusal would keep.
    return [link for link in found if _same_site(link, base)][:MAX_ENTRIES]


def _same_site(link: str, base: str) -> bool:
    there, here = urlsplit(link), urlsplit(base)
    return there.scheme in {"http", "https"} and (there.hostname, there.port) == (here.hostname, here.port)


def _atom_link(entry: Element) -> str:
    links = entry.findall(f"{ATOM}link")
    typed = [link for link in links if (link.get("type") or "").split(";")[0].strip() in CAP_TYPES]
    alternate = [link for link in links if link.get("rel", "alternate") == "alternate"]
    chosen = typed or alternate or links
    return (chosen[0].get("href") or "").strip() if chosen else ""


def _rss_link(item: Element) -> str:
    enclosure = next((e for e in item if e.tag.rpartition("}")[2] == "enclosure" and e.get("url")), None)
    if enclosure is not None:
        return (enclosure.get("url") or "").strip()
    link = next((e for e in item if e.tag.rpartition("}")[2] == "link"), None)
    return (link.text or "").strip() if link is not None else ""


@dataclass
class FeedPoller:
    """The worker's job: one round over every feed when due, returning how many new alerts came in."""

    urls: Sequence[str]
    sessions: sessionmaker[Session]
    clock: Clock
    every_seconds: float = 60.0
    timeout_seconds: float = 10.0
    client_factory: Callable[[], httpx.Client] | None = None
    seen: set[str] = field(default_factory=set)
    next_round: float = 0.0

    def run(self) -> int:
        """Poll every feed if a round is due; a failing feed is logged and left for the next round."""
        if not self.urls or time.monotonic() < self.next_round:
            return 0
        self.next_round = time.monotonic() + self.every_seconds
        received = 0
        with self._client() as client:
            for url in self.urls:
                try:
                    received += self._poll(client, url)
                except (FeedError, httpx.HTTPError) as exc:
                    log.warning("alerts.feed_failed", feed=url, error=str(exc)[:300])
        return received

    def _client(self) -> httpx.Client:
        if self.client_factory is not None:
            return self.client_factory()
        # No redirects: an entry moved elsewhere is not followed off the feed's site (see `entry_links`).
        return httpx.Client(
            timeout=self.timeout_seconds, follow_redirects=False, headers={"Accept": ", ".join(CAP_TYPES)}
        )

    def _poll(self, client: httpx.Client, url: str) -> int:
        data = _fetch(client, url)
        links = entry_links(data, url)
        if links is None:  # the feed is a CAP document itself
            return self._receive(data, url)
        received = 0
        for link in links:
            if link in self.seen:
                continue
            try:
                received += self._receive(_fetch(client, link), link)
            except (FeedError, httpx.HTTPError) as exc:
                log.warning("alerts.entry_failed", feed=url, entry=link, error=str(exc)[:300])
        return received

    def _receive(self, data: bytes, url: str) -> int:
        """Receive one document; a refused one is kept by intake and remembered, so it is not fetched again."""
        actor = system_actor("cap-feed")
        with self.sessions() as session:
            try:
                receipt = intake.ingest(
                    session, data=data, source="feed", source_detail=url, actor=actor, clock=self.clock
                )
            except DomainError as refused:
                log.warning("alerts.entry_refused", entry=url, reason=refused.detail[:300])
                self._remember(url)
                return 0
        self._remember(url)
        return int(receipt.is_new)

    def _remember(self, url: str) -> None:
        if len(self.seen) >= REMEMBERED:
            self.seen.clear()
        self.seen.add(url)


def _fetch(client: httpx.Client, url: str) -> bytes:
    """The document at `url`, refused over `MAX_BYTES` (read no further) or on an error status."""
    with client.stream("GET", url) as response:
        if response.status_code != httpx.codes.OK:
            raise FeedError(f"{url}: HTTP {response.status_code}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BYTES:
                raise FeedError(f"{url}: over {MAX_BYTES:,} bytes")
            chunks.append(chunk)
    return b"".join(chunks)
